"""Loading a GGUF into llama-cpp-python: the lazy import, the file checks, the vocabulary's pieces."""

from __future__ import annotations

import ctypes
import logging
import time
from pathlib import Path

from lsp_server.model.backend import ModelError
from lsp_server.model.catalog import CatalogEntry
from lsp_server.model.fetch import is_verified
from lsp_server.model.gguf import GGUFError, read_gguf_info
from lsp_server.model.speed import MachineSpeed

log = logging.getLogger(__name__)

# Timed at load, after an untimed first batch that maps the weights in: code, ~100 tokens.
_SPEED_SAMPLE = (
    'def scale(points, factor):\n    """Multiply every coordinate by factor."""\n'
    "    result = []\n    for x, y in points:\n        result.append((x * factor, y * factor))\n"
    "    return result\n\n\nclass Box:\n    def __init__(self, width, height):\n"
    "        self.width = width\n        self.height = height\n\n    def area(self):\n"
    "        return self.width * self.height\n"
)


def import_llama():
    """Import llama_cpp lazily so the CLI and tests that need no model start fast."""
    try:
        import llama_cpp
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelError(f"llama-cpp-python is not installed ({exc}); run the README's set-up command") from exc
    return llama_cpp


def check_model_file(path: Path, entry: CatalogEntry | None, spec: str) -> str:
    """Return the GGUF architecture after checking presence, digest and header."""
    if entry is not None and not entry.loadable:
        raise ModelError(f"Model '{entry.name}' ({entry.architecture}) cannot be loaded: {entry.note}")
    if not path.is_file():
        if entry is not None:
            raise ModelError(
                f"Model '{entry.name}' is not downloaded yet. Fix: run `iquest-lsp model fetch {entry.name}`."
            )
        raise ModelError(f"Model file {path} does not exist. Fix: set iquest.model to a .gguf path or a catalog name.")
    if entry is not None and entry.sha256 and not is_verified(path, entry.sha256, entry.size):
        raise ModelError(
            f"Model file {path} does not match the catalog's sha256 (corrupt or incomplete). "
            f"Fix: run `iquest-lsp model fetch {entry.name}` again."
        )
    try:
        info = read_gguf_info(path)
    except (GGUFError, OSError) as exc:
        raise ModelError(
            f"{path} is not a usable GGUF model: {exc}. Fix: point iquest.model at a valid .gguf file."
        ) from exc
    return info.architecture or "unknown"


def file_identity(path: Path) -> str:
    """A model file given by path: its place, size and modification time (hashing 1 GB would take seconds)."""
    stat = path.stat()
    return f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def vocab_pieces(llm) -> list[bytes]:
    """Each token's bytes; b"" for control and end-of-generation tokens, which never spell text.

    ``llama_token_to_piece`` is called directly: ``Llama.detokenize`` gives b"" for pieces over
    32 bytes (long runs of spaces or dashes).
    """
    llama_cpp = import_llama()
    vocab = llm._model.vocab
    size = 256
    buffer = ctypes.create_string_buffer(size)
    pieces = []
    for token in range(llm.n_vocab()):
        if llama_cpp.llama_vocab_is_control(vocab, token) or llama_cpp.llama_vocab_is_eog(vocab, token):
            pieces.append(b"")
            continue
        length = llama_cpp.llama_token_to_piece(vocab, token, buffer, size, 0, False)
        pieces.append(buffer.raw[:length] if length > 0 else b"")
    return pieces


def measure_speed(llm) -> MachineSpeed:
    """Time a prompt batch and a few generated tokens of this model on this machine."""
    sample = llm.tokenize(_SPEED_SAMPLE.encode("utf-8", errors="replace"), add_bos=False, special=False)
    llm.eval(sample[:8])  # untimed: the first decode maps the weights in
    llm.n_tokens = 0
    began = time.perf_counter()
    llm.eval(sample)
    prompt_s = time.perf_counter() - began
    began = time.perf_counter()
    for token in sample[:4]:
        llm.eval([token])
    generation_s = time.perf_counter() - began
    llm.n_tokens = 0
    speed = MachineSpeed(len(sample) / prompt_s, 4 / generation_s)
    log.info("this machine: %.0f prompt tokens/s, %.0f generated tokens/s", speed.prompt_tps, speed.generation_tps)
    return speed


def chat_formatter(llm):
    """The GGUF's own chat template (``tokenizer.chat_template``), or None when it has none."""
    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    model = llm._model
    eos = model.token_get_text(llm.token_eos()) if llm.token_eos() >= 0 else ""
    bos = model.token_get_text(llm.token_bos()) if llm.token_bos() >= 0 else ""
    return Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)
