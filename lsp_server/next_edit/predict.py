"""One prediction: for each region, ask the model in a prompt format, read the answer, keep the first that checks."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from lsp_server.actions.textedit import TextChange
from lsp_server.model.backend import ChatRequest, GenerationResult, StopReason, TextRequest
from lsp_server.next_edit.history import Edit
from lsp_server.next_edit.prompts import Prompt, blocks_prompt, chat_prompt, versions_prompt
from lsp_server.next_edit.regions import Region, find_regions, rename_of
from lsp_server.next_edit.validate import check, region_text

log = logging.getLogger(__name__)

Ask = Callable[[TextRequest | ChatRequest], Awaitable[GenerationResult]]


class Yielded(Exception):
    """The model stopped this prediction for a request the user is waiting on."""


@dataclass(frozen=True)
class Predicted:
    """A checked prediction: the change to the current text, the region it came from, the prompt and the answer."""

    change: TextChange
    region: Region
    prompt: str
    answer: str
    generated_tokens: int


@dataclass(frozen=True)
class Attempt:
    """What a region gave (for the eval and the logs): the verdict's reason and the raw answer."""

    region: Region
    reason: str
    answer: str


def _prompt(
    prompt_format: str,
    path: str,
    language: str,
    text: str,
    edits: list[Edit],
    region: Region,
    file_sep: str | None,
) -> Prompt:
    """The request for ``region`` in ``prompt_format``: "versions" and "blocks" need the model's ``<|file_sep|>``
    (else "chat"); "versions" is for the uses of a renamed name, and falls back to "blocks" elsewhere (it writes on
    freely after an edit or where a name was only taken away: scripts/eval_next_edit.py measured 31% of its
    predictions in the wrong place there)."""
    old = region_text(text, region)
    if prompt_format in ("versions", "blocks") and file_sep:
        if prompt_format == "versions" and region.uses and rename_of(edits[-1]) is not None:
            versions = versions_prompt(path, text.split("\n"), edits[-1], region, file_sep)
            if versions is not None and versions.written + versions.rest == old:
                return versions
        return blocks_prompt(path, edits, old, file_sep)
    return chat_prompt(path, language, edits, old)


async def predict(
    ask: Ask,
    *,
    path: str,
    language: str | None,
    text: str,
    edits: list[Edit],
    before_last: str | None,
    prompt_format: str,
    file_sep: str | None,
    attempts: list[Attempt] | None = None,
) -> Predicted | None:
    """The next edit after ``edits`` in ``text``, or None when no region gives one that passes the checks."""
    if not edits or language is None:
        return None
    last = edits[-1]
    for region in find_regions(text, language, last, len(text.splitlines())):
        prompt = _prompt(prompt_format, path, language, text, edits, region, file_sep)
        result = await ask(prompt.request)
        if result.stop_reason is StopReason.CANCELLED:
            raise Yielded
        answer = prompt.answer(result.text)
        verdict = check(text, region, answer, language, last, before_last)
        log.debug("next edit at lines %d-%d (%s): %s", region.start, region.end, region.reason, verdict.reason)
        if attempts is not None:
            attempts.append(Attempt(region, verdict.reason, answer))
        if verdict.change is not None:
            return Predicted(verdict.change, region, result.prompt, answer, result.generated_tokens)
    return None
