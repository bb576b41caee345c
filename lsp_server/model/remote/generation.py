"""Turn a server's event stream into a GenerationResult: stop checks, cancel, deadline, figures."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from lsp_server.model.backend import GenerationResult, StopReason
from lsp_server.model.remote.http import HttpClient
from lsp_server.prompting.budget import estimate_tokens


@dataclass(frozen=True)
class Chunk:
    """What one event says; None where the event does not say it."""

    text: str = ""
    finish: StopReason | None = None  # STOP_TOKEN or MAX_TOKENS, when the server ended the generation
    prompt_tokens: int | None = None
    evaluated_tokens: int | None = None
    generated_tokens: int | None = None


Parser = Callable[[dict[str, Any]], Chunk]


def as_warm_up(result: GenerationResult) -> GenerationResult:
    """A prompt-only request (max_tokens 0: fill the server's cache) reports as one, text dropped."""
    reason = StopReason.WARM_UP_CANCELLED if result.stop_reason == StopReason.CANCELLED else StopReason.WARM_UP
    return replace(result, text="", stop_reason=reason)


def generate(
    client: HttpClient,
    path: str,
    body: dict[str, Any],
    parse: Parser,
    *,
    prompt: str,
    cancel: threading.Event,
    deadline: float | None,
    should_stop: Callable[[str], bool] | None = None,
    on_text: Callable[[str], None] | None = None,
    healed: str = "",
) -> GenerationResult:
    """Stream ``body`` to ``path`` and collect the text until the server, a check, a cancel or the deadline ends it.

    Token figures come from the server (llama-server's timings, OpenAI usage); where a stream was
    closed before the server said them, the prompt is estimated and every event counts as a token.
    """
    started = time.perf_counter()

    def stop() -> bool:
        return cancel.is_set() or (deadline is not None and time.monotonic() > deadline)

    raw = text = ""
    prompt_ms = 0.0
    reason: StopReason | None = None
    finish: StopReason | None = None
    prompt_tokens = evaluated = generated = None
    pieces = 0
    events = client.stream(path, body, stop)
    try:
        for event in events:
            chunk = parse(event)
            prompt_tokens = chunk.prompt_tokens if chunk.prompt_tokens is not None else prompt_tokens
            evaluated = chunk.evaluated_tokens if chunk.evaluated_tokens is not None else evaluated
            generated = chunk.generated_tokens if chunk.generated_tokens is not None else generated
            finish = chunk.finish or finish
            if chunk.text:
                if not pieces:
                    prompt_ms = (time.perf_counter() - started) * 1000
                pieces += 1
                raw += chunk.text
                text = _without_healed(raw, healed)
                if on_text is not None:
                    on_text(text)
                if cancel.is_set():
                    reason = StopReason.CANCELLED
                    break
                if should_stop is not None and should_stop(text):
                    reason = StopReason.STOP_CHECK
                    break
    finally:
        events.close()
    if reason is None:
        if cancel.is_set():
            reason = StopReason.CANCELLED
        elif finish is not None:
            reason = finish
        elif deadline is not None and time.monotonic() > deadline:
            reason = StopReason.DEADLINE
        else:
            reason = StopReason.MAX_TOKENS
    prompt_tokens = prompt_tokens if prompt_tokens is not None else estimate_tokens(prompt)
    return GenerationResult(
        text=text,
        prompt=prompt,
        prompt_tokens=prompt_tokens,
        evaluated_tokens=evaluated if evaluated is not None else prompt_tokens,
        generated_tokens=generated if generated is not None else pieces,
        prompt_ms=prompt_ms,
        total_ms=(time.perf_counter() - started) * 1000,
        stop_reason=reason,
        healed=healed,
    )


def _without_healed(raw: str, healed: str) -> str:
    """The answer after the held-back text it starts with ("" while it is still spelling it)."""
    if raw.startswith(healed):
        return raw[len(healed) :]
    return "" if healed.startswith(raw) else raw
