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


def _check_ok(result: GenerationResult) -> tuple[str, str | None]:
    return result.text, "it does not parse" if result.text == "broken" else None


async def _vet(value: str) -> str | None:
    return "it runs a shell on user input" if "shell" in value else None


@pytest.mark.parametrize(
    ("answers", "value", "rounds", "vetted"),
    [
        (["clean"], "clean", 1, 1),  # vetted once, nothing to say
        (["shell", "clean"], "clean", 2, 1),  # the finding goes back once; the clean answer is not vetted again
        (["shell", "shell again"], "shell again", 2, 1),  # it persists: the caller flags it
        (["shell", "broken"], "shell", 2, 1),  # the retry is refused: the vetted answer stands, accepted
        (["broken", "shell", "clean"], "clean", 3, 1),  # a syntax retry, then one security round on top
    ],
)
async def test_vet_sends_a_finding_back_once(answers, value, rounds, vetted):
    seen: list = []
    calls: list[str] = []

    async def vet(candidate: str) -> str | None:
        calls.append(candidate)
        return await _vet(candidate)

    generate = _scripted(answers, seen)
    retried = await retry_with_feedback(generate, (("user", "ask"),), 16, lambda *_: None, "Fixing", _check_ok, vet=vet)
    assert (retried.value, retried.problem, retried.rounds, len(calls)) == (value, None, rounds, vetted)
    if "shell" in answers[:2] and len(seen) > 1:
        told = seen[answers.index("shell") + 1][0][-1][1]
        assert "it runs a shell on user input" in told
