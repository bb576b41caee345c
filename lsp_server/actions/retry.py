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
) -> Retried[T]:
    """Ask and check; a refused answer goes back to the model with the reason, labelled " (retry)", until attempts."""
    for rounds in range(1, attempts + 1):
        result = await generate(messages, max_tokens, report, label if rounds == 1 else f"{label} (retry)")
        value, problem = check(result)
        if problem is None or rounds == attempts:
            return Retried(value, problem, messages, result, rounds)
        messages = chat.retry_messages(messages, result.text, problem)
    raise ValueError("attempts must be at least 1")
