"""Generate, check, and ask again with the refused answer and the reason: the one retry loop of the actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from lsp_server.model.backend import GenerationResult
from lsp_server.progress import Progress
from lsp_server.prompting import chat

T = TypeVar("T")

# (messages, max tokens, progress report, progress label) -> the generation; ActionContext.generate
Generate = Callable[[chat.Messages, int, Progress, str], Awaitable[GenerationResult]]
# An answer -> what it gave and why it is refused (None when it is accepted)
Check = Callable[[GenerationResult], tuple[T, str | None]]
# An accepted value -> what is wrong with it that the model is told once more (None: nothing; the security scan)
Vet = Callable[[T], Awaitable[str | None]]


@dataclass(frozen=True)
class Retried(Generic[T]):
    """The last answer: its checked value, why it was refused (None: accepted), what was sent, how many rounds."""

    value: T
    problem: str | None
    messages: chat.Messages
    result: GenerationResult
    rounds: int


async def retry_with_feedback(
    generate: Generate,
    messages: chat.Messages,
    max_tokens: int,
    report: Progress,
    label: str,
    check: Check[T],
    attempts: int = 2,
    vet: Vet[T] | None = None,
) -> Retried[T]:
    """Ask and check; a refused answer goes back to the model with the reason, labelled " (retry)", until attempts.

    ``vet`` looks at the first accepted answer: what it reports goes back to the model once more (one
    extra round); when that answer is refused, the vetted one stands (the caller flags what vet saw).
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    vetted: Retried[T] | None = None
    rounds = 0
    while True:
        rounds += 1
        retry = rounds > 1
        result = await generate(messages, max_tokens, report, f"{label} (retry)" if retry else label)
        value, problem = check(result)
        if problem is None and vet is not None and vetted is None:
            concern = await vet(value)
            if concern is not None:
                vetted = Retried(value, None, messages, result, rounds)
                messages = chat.retry_messages(messages, result.text, concern)
                continue
        if problem is not None and vetted is not None:
            return Retried(vetted.value, None, vetted.messages, vetted.result, rounds)
        if problem is None or rounds >= attempts + (vetted is not None):
            return Retried(value, problem, messages, result, rounds)
        messages = chat.retry_messages(messages, result.text, problem)
