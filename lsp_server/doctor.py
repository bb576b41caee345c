"""`iquest-lsp doctor`: versions, llama.cpp capabilities, model state and paths."""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from typing import TextIO

from lsp_server import __version__
from lsp_server.model.catalog import UnknownModelError, load_catalog
from lsp_server.model.fetch import is_verified, resolve_model
from lsp_server.model.gguf import GGUFError, read_gguf_info
from lsp_server.paths import models_dir, state_dir


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _llama_report(out: TextIO) -> list[str]:
    """Print llama.cpp's build capabilities; return problems."""
    try:
        import llama_cpp
    except Exception as exc:
        return [f"llama-cpp-python cannot be imported: {exc}. Fix: run the README's set-up command."]
    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    system = llama_cpp.llama_print_system_info()
    system = system.decode("utf-8", errors="replace") if isinstance(system, bytes) else str(system)
    out.write(f"llama.cpp GPU offload: {'yes' if gpu else 'no (CPU only)'}\n")
    out.write(f"llama.cpp CPU features: {system.strip()}\n")
    return []


def _model_report(out: TextIO, spec: str | None) -> list[str]:
    """Check that the model would load; return problems."""
    catalog = load_catalog()
    spec = spec or catalog.default
    try:
        resolved = resolve_model(spec, catalog)
    except UnknownModelError as exc:
        return [str(exc)]
    out.write(f"model: {spec} -> {resolved.path}\n")
    entry = resolved.entry
    if entry is not None and not entry.loadable:
        return [f"model {entry.name} cannot be loaded: {entry.note}"]
    if not resolved.path.is_file():
        fix = f"run `iquest-lsp model fetch {entry.name}`" if entry else "check the path"
        return [f"model file missing: {resolved.path}. Fix: {fix}."]
    if entry is not None and entry.sha256 and not is_verified(resolved.path, entry.sha256, entry.size):
        return [
            f"model file {resolved.path} fails sha256 verification. Fix: run `iquest-lsp model fetch {entry.name}`."
        ]
    try:
        info = read_gguf_info(resolved.path)
    except GGUFError as exc:
        return [f"model file {resolved.path} is not a valid GGUF file: {exc}"]
    out.write(
        f"model state: verified, GGUF v{info.version}, architecture {info.architecture}, "
        f"trained context {info.context_length}\n"
    )
    return []


def run_doctor(out: TextIO, model: str | None = None) -> int:
    """Print the report; 0 when everything needed for completions is in place, else 1."""
    out.write(f"iquest-lsp {__version__}\n")
    out.write(f"python {sys.version.split()[0]} on {platform.platform()}\n")
    problems: list[str] = []
    for package in ("pygls", "lsprotocol", "llama-cpp-python"):
        version = _version(package)
        out.write(f"{package}: {version or 'NOT INSTALLED'}\n")
        if version is None:
            problems.append(f"{package} is not installed. Fix: run the README's set-up command.")
    problems += _llama_report(out)
    out.write(f"models directory: {models_dir()}\n")
    out.write(f"audit log: {state_dir() / 'audit.jsonl'}\n")
    problems += _model_report(out, model)
    for problem in problems:
        out.write(f"PROBLEM: {problem}\n")
    out.write("doctor: OK\n" if not problems else f"doctor: {len(problems)} problem(s)\n")
    return 1 if problems else 0
