"""retry_with_feedback: a refused answer goes back once with its reason; the label says it is a retry."""

import pytest

from lsp_server.actions.retry import retry_with_feedback
from lsp_server.model.backend import GenerationResult, StopReason
from lsp_server.prompting import chat


def _result(text: str) -> GenerationResult:
    return GenerationResult(text, "prompt", 1, 1, 1, 0.0, 0.0, StopReason.STOP_TOKEN)


def _scripted(answers: list[str], seen: list[tuple[chat.Messages, str]]):
    async def generate(messages, max_tokens, report, label):
        seen.append((messages, label))
        return _result(answers[len(seen) - 1])

    return generate


def _check(result: GenerationResult) -> tuple[str, str | None]:
    return result.text, None if result.text == "good" else "it was bad"


async def test_an_accepted_first_answer_is_not_retried():
    seen: list = []
    first = (("user", "ask"),)
    retried = await retry_with_feedback(_scripted(["good"], seen), first, 16, lambda *_: None, "Fixing", _check)
    assert (retried.value, retried.problem, retried.rounds) == ("good", None, 1)
    assert seen == [(first, "Fixing")]


async def test_a_refused_answer_goes_back_with_the_reason_once_then_the_last_is_returned():
    seen: list = []
    first = (("user", "ask"),)
    generate = _scripted(["bad", "still bad"], seen)
    retried = await retry_with_feedback(generate, first, 16, lambda *_: None, "Fixing", _check)
    assert [label for _, label in seen] == ["Fixing", "Fixing (retry)"]
    assert seen[1][0] == chat.retry_messages(first, "bad", "it was bad") == retried.messages
    assert (retried.value, retried.problem, retried.rounds) == ("still bad", "it was bad", 2)


async def test_no_attempt_is_an_error():
    with pytest.raises(ValueError):
        await retry_with_feedback(_scripted([], []), (), 16, lambda *_: None, "Fixing", _check, attempts=0)
