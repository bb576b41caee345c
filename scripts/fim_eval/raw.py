"""The raw baseline: the model through llama-cpp-python directly, a Qwen FIM prompt of the file alone."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from lsp_server.completion.line_mode import cleaner, multiline_at
from lsp_server.settings import Settings

from .scoring import Result, score
from .tasks import Case

POST_PROCESSED = "raw+post"  # the raw model's answers cut as the server cuts its own

BEFORE_CHARS = 3000
AFTER_CHARS = 1000
MAX_TOKENS = 64
FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE = "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"
# Qwen's FIM and file markers: the model ending its middle with any of them means "done"
STOP_MARKERS = (
    FIM_PREFIX,
    FIM_SUFFIX,
    FIM_MIDDLE,
    "<|fim_pad|>",
    "<|file_sep|>",
    "<|repo_name|>",
    "<|endoftext|>",
    "<|im_end|>",
)

Tokenize = Callable[[str, bool], list[int]]  # (text, special) -> token ids


def windows(case: Case) -> tuple[str, str]:
    """The last BEFORE_CHARS characters of the document before the cursor and the first AFTER_CHARS after it."""
    return case.document[: case.offset][-BEFORE_CHARS:], case.document[case.offset :][:AFTER_CHARS]


def post_processed(result: Result) -> Result:
    """``result`` as the server would show it: its answer cut where the cursor's block ends, before code that
    repeats the document below, and so on (completion.postprocess), with the server's default settings."""
    settings, document, offset = Settings(), result.case.document, result.case.offset
    multiline = multiline_at(settings.multiline, document, offset)
    text = cleaner(document[:offset], document[offset:], multiline, settings)(result.suggestion)
    return score(
        result.case, POST_PROCESSED, text, result.latency_ms, result.error, result.stop_reason, result.prompt_tokens
    )


def prompt_tokens(tokenize: Tokenize, before: str, after: str, bos: Sequence[int]) -> list[int]:
    """``<|fim_prefix|>{before}<|fim_suffix|>{after}<|fim_middle|>``: only the markers tokenized as special tokens."""
    return [
        *bos,
        *tokenize(FIM_PREFIX, True),
        *tokenize(before, False),
        *tokenize(FIM_SUFFIX, True),
        *tokenize(after, False),
        *tokenize(FIM_MIDDLE, True),
    ]


def wanted_lines(case: Case) -> int:
    """How many lines of the output the score looks at."""
    return len(case.expected.split("\n")) if case.task.kind == "multi-line" else 1


def cut_suggestion(case: Case, output: str) -> str:
    """The first line of the output, or as many lines as expected for a multi-line task."""
    return "\n".join(output.split("\n")[: wanted_lines(case)])


class RawModel:
    """One in-process ``Llama``; greedy, MAX_TOKENS, stops at an end-of-generation or FIM marker token."""

    def __init__(self, model_path: Path, context_size: int = 8192) -> None:
        import llama_cpp

        self._llm = llama_cpp.Llama(str(model_path), n_ctx=context_size, n_threads=os.cpu_count() or 1, verbose=False)
        self._is_eog = lambda token: llama_cpp.llama_vocab_is_eog(self._llm._model.vocab, token)
        self._bos = self._llm.tokenize(b"", add_bos=True, special=False)  # [] when the model wants no BOS
        self._stops = {ids[0] for ids in (self._tokenize(m, True) for m in STOP_MARKERS) if len(ids) == 1}

    def _tokenize(self, text: str, special: bool) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=special) if text else []

    def complete(self, case: Case) -> Result:
        started = time.perf_counter()
        tokens = prompt_tokens(self._tokenize, *windows(case), self._bos)
        output = b""
        stop_reason = "length"
        lines = wanted_lines(case)
        for count, token in enumerate(self._llm.generate(tokens, temp=0.0, top_k=1, reset=True)):
            if token in self._stops or self._is_eog(token):
                stop_reason = "stop"
                break
            output += self._llm.detokenize([token])
            if output.count(b"\n") >= lines:  # what the score looks at is complete; the rest would be thrown away
                stop_reason = "lines"
                break
            if count + 1 >= MAX_TOKENS:
                break
        suggestion = cut_suggestion(case, output.decode("utf-8", errors="replace"))
        return score(
            case,
            "raw",
            suggestion,
            (time.perf_counter() - started) * 1000,
            stop_reason=stop_reason,
            prompt_tokens=len(tokens),
        )
