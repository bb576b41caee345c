"""A region of a document rewritten by the model: the lines a fix covers, the new text checked to parse."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from lsp_server.actions.action_context import ActionContext
from lsp_server.actions.regions import lines_around, reindent, whole_lines
from lsp_server.actions.results import ActionFailed, Proposal
from lsp_server.actions.retry import retry_with_feedback
from lsp_server.actions.sources import Source
from lsp_server.actions.syntax import enclosing_definition, error_count
from lsp_server.actions.textedit import FileEdit, line_changes
from lsp_server.model.backend import GenerationResult
from lsp_server.progress import Progress
from lsp_server.prompting import chat

_LINES_AROUND_PROBLEM = 3


async def rewrite_region(
    ctx: ActionContext,
    source: Source,
    start: int,
    end: int,
    messages_for: Callable[[str, list], chat.Messages],
    report: Progress,
    label: str,
    feedback: tuple[chat.Messages, str, str] | None = None,
) -> tuple[str, chat.Messages, GenerationResult]:
    """New text of the whole document with [start, end) replaced by the model's code; one retry on bad syntax."""
    settings = ctx.settings()
    original = source.text[start:end]
    language = source.language
    code, context = await ctx.prompt_parts(source, original, start, settings.action_max_tokens)
    messages = messages_for(code, context) if feedback is None else chat.retry_messages(*feedback)

    def check(result: GenerationResult) -> tuple[str, str | None]:
        replacement = chat.extract_code(result.text)
        if replacement is None:
            return "", "it contained no code block"
        new = source.text[:start] + reindent(original, replacement) + source.text[end:]
        if language is not None:
            added = error_count(new, language) - error_count(source.text, language)
            if added > 0:
                return "", f"the code does not parse ({added} new syntax error{'s' if added > 1 else ''})"
        if new == source.text:
            return "", "it changed nothing"
        return new, None

    async def vet(new: str) -> str | None:
        edit = FileEdit(source.uri, source.path, source.text, line_changes(source.text, new), source.version)
        return await ctx.security_feedback([edit], source.uri)

    answer = await retry_with_feedback(
        ctx.generate, messages, settings.action_max_tokens, report, label, check, vet=vet
    )
    if answer.problem is not None:
        raise ActionFailed(f"the model's answer was rejected twice (last: {answer.problem}); nothing was changed")
    return answer.value, answer.messages, answer.result


async def region_proposal(
    ctx: ActionContext,
    source: Source,
    region: tuple[int, int],
    messages_for: Callable[[str, list], chat.Messages],
    report: Progress,
    label: str,
    *,
    action: str,
    title: str,
    audit: tuple[str, Mapping[str, Any]],
) -> Proposal:
    """The region rewritten by the model as a one-file proposal; ``audit`` is the (uri, data) it is logged under."""
    new, _, result = await rewrite_region(ctx, source, *region, messages_for, report, label)
    edit = FileEdit(source.uri, source.path, source.text, line_changes(source.text, new), source.version)
    proposal = Proposal(uuid.uuid4().hex, action, title, (edit,))
    return await ctx.finish(proposal, result.prompt, result.text, *audit)


def fix_region(source: Source, offset: int) -> tuple[int, int]:
    """The lines a fix rewrites: the enclosing function, else a few lines around the problem."""
    language = source.language
    function = enclosing_definition(source.text, language, offset, functions_only=True) if language else None
    if function is not None:
        return whole_lines(source.text, function.start, function.end)
    return lines_around(source.text, offset, _LINES_AROUND_PROBLEM, _LINES_AROUND_PROBLEM)
