"""In-process llama.cpp backend through llama-cpp-python."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

from lsp_server.model.backend import (
    ChatRequest,
    GenerationRequest,
    GenerationResult,
    ModelError,
    ModelInfo,
    StopReason,
    TextRequest,
)
from lsp_server.model.catalog import Catalog, UnknownModelError
from lsp_server.model.fetch import resolve_model
from lsp_server.model.gpu import resolve_gpu_layers
from lsp_server.model.healing import MAX_HEALED_BYTES, TokenHealer
from lsp_server.model.kv_snapshots import KvSnapshots
from lsp_server.model.kv_spill import SnapshotSpill, spill_key
from lsp_server.model.live_kv import SNAPSHOT_MIN_TOKENS, LiveKv
from lsp_server.model.llama_decode import PROMPT_BATCH, Decoded, LlamaDecoder, stop_at
from lsp_server.model.llama_loading import (
    chat_formatter,
    check_model_file,
    file_identity,
    import_llama,
    measure_speed,
    vocab_pieces,
)
from lsp_server.model.prompt_lookup import decode_copying
from lsp_server.model.short_prompt import short_request, short_room
from lsp_server.model.skeleton import fill_skeleton, slot
from lsp_server.paths import cache_root
from lsp_server.progress import Progress
from lsp_server.prompting.budget import fit_context, fit_local_window
from lsp_server.prompting.fim import FimTemplate, detect_template

if TYPE_CHECKING:
    from llama_cpp.llama_types import ChatCompletionRequestMessage

log = logging.getLogger(__name__)

# Warm-ups go in smaller batches: a request that stops one (llama.cpp aborts the batch in flight)
# throws away at most this much of its work, and a user typing every second or so still lets it on.
_WARM_UP_BATCH = 32
# How many recent repository contexts are tried as a stand-in for a changed one.
_RECENT_CONTEXTS = 4
# Within the budget the full prompt answers, unless a stand-in is warm (the KV or a snapshot holds all
# but at most _WARM_TOKENS of it, and more than it lacks) and the full one would cost more than the
# slack beyond it: then a user who came back to a place gets an answer at once instead of waiting
# seconds for the rest.
_FULL_PROMPT_SLACK_S = 0.5
_WARM_TOKENS = 64


class LlamaCppBackend:
    """One ``Llama`` object; every call happens on the runtime's single worker thread."""

    def __init__(
        self,
        spec: str,
        catalog: Catalog,
        *,
        models_dir: Path | None = None,
        n_ctx: int = 4096,
        n_threads: int = 2,
        n_gpu_layers: int = -1,
        snapshot_bytes: int = 0,
        spill_bytes: int = 0,
        spill_dir: Path | None = None,
        progress: Progress | None = None,
    ) -> None:
        report = progress or (lambda message, percent: None)
        try:
            resolved = resolve_model(spec, catalog, models_dir)
        except UnknownModelError as exc:
            raise ModelError(f"{exc}. Fix: set iquest.model to one of them or to a .gguf path.") from exc
        report("Checking model file", 5)
        architecture = check_model_file(resolved.path, resolved.entry, spec)
        llama_cpp = import_llama()
        report(f"Loading {resolved.path.name}", 20)
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(resolved.path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_gpu_layers=resolve_gpu_layers(n_gpu_layers, bool(llama_cpp.llama_supports_gpu_offload())),
                n_batch=PROMPT_BATCH,
                n_ubatch=PROMPT_BATCH,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(
                f"llama.cpp (llama-cpp-python {llama_cpp.__version__}) could not load {resolved.path.name} "
                f"(architecture '{architecture}'): {exc}. If the architecture is new (such as "
                "IQuest-Coder Loop), this llama.cpp does not support it yet. Fix: use a supported "
                "model such as qwen2.5-coder-0.5b or iquest-coder-v1-7b-instruct."
            ) from exc
        report("Reading vocabulary", 90)
        self.speed = measure_speed(self._llm)
        spill = None
        if snapshot_bytes > 0 and spill_bytes > 0:
            identity = resolved.entry.sha256 if resolved.entry else file_identity(resolved.path)
            key = spill_key(identity, llama_cpp.__version__, self._llm.n_ctx())
            spill = SnapshotSpill((spill_dir or cache_root() / "kv") / key, spill_bytes)
        self.kv = LiveKv(self._llm, KvSnapshots(snapshot_bytes, spill) if snapshot_bytes > 0 else None)
        self._token_cache: dict[str, list[int]] = {}
        # The paths and repository contexts of the latest full prompts (a document's stand-in while its
        # changed context fills in).
        self._recent_contexts: deque[tuple[str | None, tuple[tuple[str, str], ...], int]] = deque(
            maxlen=_RECENT_CONTEXTS
        )
        # The latest short prompt size per request path (None: no context): the stand-in that may still be warm.
        self._short_rooms: dict[str | None, int] = {}
        self._formatter = None
        self._healer = TokenHealer(vocab_pieces(self._llm))
        self.template: FimTemplate = detect_template(self.has_special_token)
        stop_ids = frozenset(
            token
            for text in self.template.stop_tokens
            if self.has_special_token(text)
            for token in self._tokenize(text, special=True)
        ) | {self._llm.token_eos()}
        self._decoder = LlamaDecoder(self._llm, llama_cpp, self.kv, self.speed, self._healer, stop_ids)
        self.info = ModelInfo(
            name=resolved.entry.name if resolved.entry else resolved.path.stem,
            path=str(resolved.path),
            architecture=architecture,
            fim_family=self.template.family,
            context_length=self._llm.n_ctx(),
            prompt_tps=self.speed.prompt_tps,
        )
        log.info("loaded %s (%s, FIM %s)", self.info.name, architecture, self.template.family)

    @property
    def snapshots(self) -> KvSnapshots | None:
        """The saved KV states (None: off)."""
        return self.kv.snapshots

    @snapshots.setter
    def snapshots(self, snapshots: KvSnapshots | None) -> None:
        self.kv.snapshots = snapshots

    def _tokenize(self, text: str, *, special: bool) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8", errors="replace"), add_bos=False, special=special)

    def _special_tokens(self, text: str) -> list[int]:
        return self._tokenize(text, special=True)

    def has_special_token(self, text: str) -> bool:
        """True when ``text`` is one special token of this model's vocabulary."""
        return len(self._tokenize(text, special=True)) == 1 and len(self._tokenize(text, special=False)) > 1

    def count_tokens(self, text: str) -> int:
        """Count the tokens ``text`` takes as plain (non-special) text."""
        return len(self._tokenize(text, special=False))

    def encode_prompt(
        self,
        prefix: str,
        suffix: str,
        repo_name: str | None = None,
        path: str | None = None,
        context: Sequence[tuple[str, str]] = (),
        comment: str = "#",
    ) -> list[int]:
        """Tokenize a FIM prompt: template markers as special tokens, user text and context never."""
        values = [prefix, suffix, repo_name or "", path or ""]
        slots: list[tuple[str, str]] = []
        for chunk_path, chunk_text in context:
            slots.append((slot(len(values)), slot(len(values) + 1)))
            values += [chunk_path, chunk_text]
        skeleton = self.template.build(
            slot(0),
            slot(1),
            repo_name=slot(2) if repo_name is not None else None,
            path=slot(3) if path is not None else None,
            context=slots,
            comment=comment,
        )
        tokens: list[int] = self._llm.tokenize(b"", add_bos=True, special=False)
        return tokens + fill_skeleton(skeleton, values, self._tokens_of, self._special_tokens)

    def _tokens_of(self, text: str) -> list[int]:
        """Plain-text tokens, cached for the long texts that repeat between requests (context)."""
        if len(text) < 256:
            return self._tokenize(text, special=False)
        cached = self._token_cache.get(text)
        if cached is None:
            cached = self._tokenize(text, special=False)
            self._token_cache[text] = cached
            while len(self._token_cache) > 256:
                self._token_cache.pop(next(iter(self._token_cache)))
        return cached

    def _prompt_tokens(self, request: GenerationRequest) -> tuple[list[int], int]:
        """Context, then the local window (start in line steps), then the forced middle.

        Returns the tokens and how many of the last ones are the text just before the cursor
        (the forced middle, or the whole prefix without FIM): those may be healed.
        """
        fim = self.template.uses_fim
        text = request.prefix
        forced = text[len(text) - request.middle_chars :] if fim and request.middle_chars else ""
        head = text[: len(text) - len(forced)]
        forced_tokens = self._tokenize(forced, special=False) if forced else []
        prefix, suffix = fit_local_window(
            head,
            request.suffix if fim else "",
            self.count_tokens,
            prefix_tokens=max(0, request.prefix_tokens - len(forced_tokens)),
            suffix_tokens=request.suffix_tokens if fim else 0,
            first_line=request.prefix_first_line,
            line_step=request.prefix_line_step,
        )
        context = fit_context(request.context, lambda text: len(self._tokens_of(text)), request.context_tokens)
        tokens = self.encode_prompt(prefix, suffix, request.repo_name, request.path, context, request.comment)
        typed = len(forced_tokens) if fim else len(self._tokenize(prefix[-MAX_HEALED_BYTES:], special=False))
        return tokens + forced_tokens, typed

    def _healed_prompt(self, request: GenerationRequest) -> tuple[list[int], bytes]:
        """The prompt with the cursor's partial token(s) taken off, and the bytes they spelled."""
        tokens, typed = self._prompt_tokens(request)
        # Keep one token: llama.cpp cannot sample from an empty prompt.
        cut = self._healer.back_off(tokens, min(typed, len(tokens) - 1))
        if not cut:
            return tokens, b""
        kept = len(tokens) - cut
        return tokens[:kept], b"".join(self._healer.piece(t) for t in tokens[kept:])

    def _shorter_to_answer(
        self, tokens: list[int], request: GenerationRequest, budget: float
    ) -> tuple[list[int], bytes] | None:
        """A stand-in prompt (healed) when the full one ``tokens`` does not fit the budget or a stand-in is
        warm and far cheaper: the full prompt with a repository context already in the KV, or a short one."""
        full_s = self.speed.prompt_seconds(len(tokens) - self.kv.reusable(tokens))
        if full_s <= _FULL_PROMPT_SLACK_S:
            return None
        earlier = self._with_earlier_context(request)
        if earlier is not None and (full_s > budget or full_s > earlier[2] + _FULL_PROMPT_SLACK_S):
            return earlier[:2]
        if full_s > budget:
            room = short_room(request, self.speed, budget)
            self._short_rooms[request.path] = room
            return self._healed_prompt(short_request(request, self.speed, budget, room))
        # Within the budget only the short prompt this document last used can be warm, whatever size the
        # budget gives a new one now.
        room = self._short_rooms.get(request.path)
        if room is None:
            return None
        short_tokens, healed = self._healed_prompt(short_request(request, self.speed, budget, room))
        short_s = self._warm_seconds(short_tokens)
        if short_s is None or full_s <= short_s + _FULL_PROMPT_SLACK_S:
            return None
        return short_tokens, healed

    def _warm_seconds(self, tokens: list[int]) -> float | None:
        """Seconds to evaluate what ``tokens`` still need when they are warm (see _WARM_TOKENS); else None."""
        reusable = self.kv.reusable(tokens)
        left = len(tokens) - reusable
        return self.speed.prompt_seconds(left) if left <= _WARM_TOKENS and reusable >= left else None

    def _with_earlier_context(self, request: GenerationRequest) -> tuple[list[int], bytes, float] | None:
        """The prompt with a recent repository context of the same document instead of the requested one,
        if that is warm, and its evaluation time.

        A context that grew or changed would put new tokens before the whole document window, and
        llama.cpp only decodes a sequence at consecutive positions, so they cannot be slipped in.
        """
        for path, context, context_tokens in reversed(self._recent_contexts):
            if path != request.path or (context, context_tokens) == (request.context, request.context_tokens):
                continue
            tokens, healed = self._healed_prompt(replace(request, context=context, context_tokens=context_tokens))
            seconds = self._warm_seconds(tokens)
            if seconds is not None:
                return tokens, healed, seconds
        return None

    def complete(self, request: GenerationRequest, cancel: threading.Event) -> GenerationResult:
        """Run one FIM generation; returns early on cancel, deadline or a stop condition."""
        started = time.perf_counter()
        tokens, healed = self._healed_prompt(request)
        short = False
        if request.eval_budget_s is not None:
            stand_in = self._shorter_to_answer(tokens, request, request.eval_budget_s)
            if stand_in is not None:
                (tokens, healed), short = stand_in, True
        recent = (request.path, request.context, request.context_tokens)
        if not short and recent not in self._recent_contexts:
            self._recent_contexts.append(recent)
        restored = self.kv.swap(tokens)
        shifted = self.kv.reuse_by_shifting(tokens)
        if shifted:
            log.debug("dropped %d cached tokens and shifted the rest of the KV", shifted)

        def step(text: str) -> tuple[str, StopReason | None]:
            stop = request.should_stop is not None and request.should_stop(text)
            return text, StopReason.STOP_CHECK if stop else None

        if request.max_tokens == 0:  # a warm-up: fill the KV, generate nothing, never count as a generation
            decoded = self._decoder.decode(tokens, cancel, 0, None, step, batch=_WARM_UP_BATCH)
            decoded = replace(
                decoded, stop_reason=StopReason.WARM_UP_CANCELLED if cancel.is_set() else StopReason.WARM_UP
            )
            return self._result(tokens, decoded, started, healed, restored, short)
        if not tokens:  # nothing before the cursor and no BOS: llama.cpp cannot sample from nothing
            return self._result(tokens, Decoded("", 0, StopReason.EMPTY_PROMPT, 0.0), started, healed)
        decoded = self._decoder.decode(
            tokens,
            cancel,
            request.max_tokens,
            request.deadline,
            step,
            healed,
            temperature=request.temperature,
            rejects=request.repeats_code_below,
        )
        return self._result(tokens, decoded, started, healed, restored, short)

    def _result(
        self,
        tokens: list[int],
        decoded: Decoded,
        started: float,
        healed: bytes = b"",
        restored: int = 0,
        short: bool = False,
    ) -> GenerationResult:
        return GenerationResult(
            text=decoded.text,
            prompt=self._llm.detokenize(tokens, special=True).decode("utf-8", errors="replace"),
            prompt_tokens=len(tokens),
            evaluated_tokens=len(tokens) - decoded.reused,
            generated_tokens=decoded.generated,
            prompt_ms=decoded.prompt_ms,
            total_ms=(time.perf_counter() - started) * 1000,
            stop_reason=decoded.stop_reason,
            healed=healed.decode("utf-8", errors="replace"),
            restored_tokens=min(restored, decoded.reused),
            short_prompt=short,
        )

    def encode_chat(self, messages: Sequence[tuple[str, str]]) -> list[int]:
        """Tokenize a chat with the model's template; message contents never become special tokens."""
        if self._formatter is None:
            self._formatter = chat_formatter(self._llm)
        formatter = self._formatter
        contents = [content for _, content in messages]
        if formatter is None:  # no template in the GGUF: a plain transcript
            skeleton = (
                "".join(f"{role.capitalize()}: {slot(i)}\n\n" for i, (role, _) in enumerate(messages)) + "Assistant: "
            )
        else:
            slots = [{"role": role, "content": slot(i)} for i, (role, _) in enumerate(messages)]
            skeleton = formatter(messages=cast("list[ChatCompletionRequestMessage]", slots)).prompt
        tokens: list[int] = self._llm.tokenize(b"", add_bos=True, special=False)
        bos_text = formatter.bos_token if formatter is not None else ""
        if tokens and bos_text and skeleton.startswith(bos_text):
            skeleton = skeleton[len(bos_text) :]
        return tokens + fill_skeleton(skeleton, contents, self._tokens_of, self._special_tokens)

    def chat(self, request: ChatRequest, cancel: threading.Event) -> GenerationResult:
        """Answer a chat with the GGUF's chat template, streaming the text to ``request.on_text``.

        llama-cpp-python's ``generate`` keeps ``input_ids``/``n_tokens`` in step with the KV cache, so
        the next completion reuses only the prefix it really shares with this chat.
        """
        started = time.perf_counter()
        tokens = self.encode_chat(request.messages)
        restored = self.kv.swap(tokens)

        decoded = self._decoder.decode(
            tokens, cancel, request.max_tokens, request.deadline, stop_at(request.stop, request.on_text)
        )
        return self._result(tokens, decoded, started, restored=restored)

    def generate(self, request: TextRequest, cancel: threading.Event) -> GenerationResult:
        """Continue a raw prompt greedily; markers become special tokens, text never does."""
        started = time.perf_counter()
        tokens: list[int] = self._llm.tokenize(b"", add_bos=True, special=False)
        for text, marker in request.parts:
            tokens += self._special_tokens(text) if marker else self._tokens_of(text)
        restored = self.kv.swap(tokens)
        step = stop_at(request.stop, should_stop=request.should_stop)
        if request.draft > 0 and tokens:
            guess = self._tokens_of(request.guess) if request.guess else []
            decoded = decode_copying(
                self._decoder, tokens, cancel, request.max_tokens, request.deadline, step, request.draft, guess
            )
        else:
            decoded = self._decoder.decode(tokens, cancel, request.max_tokens, request.deadline, step)
        return self._result(tokens, decoded, started, restored=restored)

    def close(self) -> None:
        """Keep the KV snapshots on disk (when spilling), then free the model and its context."""
        self._decoder.active_cancel.set()
        if self.snapshots is not None:
            if self.snapshots.spill is not None and self._llm.n_tokens >= SNAPSHOT_MIN_TOKENS:
                self.kv.save_live()
            self.snapshots.close()
        self._llm.close()
