"""Add doc comment: a docstring or comment in the language's own style for the enclosing definition."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from lsp_server.actions.docstring import can_document, doc_change, has_doc
from lsp_server.actions.menu.base import MenuAction, MenuSpot
from lsp_server.actions.regions import whole_lines
from lsp_server.actions.results import ActionFailed, Offer, Proposal
from lsp_server.actions.sources import ActionError
from lsp_server.actions.syntax import enclosing_definition, error_count
from lsp_server.actions.textedit import FileEdit, apply_changes
from lsp_server.progress import Progress
from lsp_server.prompting import chat

_MAX_TOKENS = 160


class DocCommentAction(MenuAction):
    """Offered on a function or class without documentation; inserts what the model writes."""

    name = "docstring"
    kind = "refactor.rewrite.iquest.docstring"

    def offers(self, spot: MenuSpot) -> list[Offer]:
        """One offer when the enclosing definition can be documented and is not yet."""
        source, language, definition = spot.source, spot.language, spot.definition
        if (
            language is None
            or definition is None
            or not can_document(source.text, language, definition)
            or has_doc(source.text, language, definition)
        ):
            return []
        what = f"{definition.kind} {definition.name}".strip()
        return [self.offer(spot, f"Add doc comment to {what} (AI)")]

    async def resolve(self, data: Mapping[str, Any], report: Progress) -> Proposal:
        """The doc comment inserted under (Python) or above the definition's header."""
        ctx = self.ctx
        source, begin, _ = ctx.source(data)
        language = source.language
        definition = enclosing_definition(source.text, language, begin) if language else None
        if language is None or definition is None or not can_document(source.text, language, definition):
            raise ActionError("there is no function or class to document at this position")
        max_tokens = min(ctx.settings().action_max_tokens, _MAX_TOKENS)
        region = whole_lines(source.text, definition.start, definition.end)
        code, context = await ctx.prompt_parts(source, source.text[region[0] : region[1]], region[0], max_tokens)
        messages = chat.docstring_messages(language, ctx.rel(source), code, definition.kind, context)
        result = await ctx.generate(messages, max_tokens, report, "Writing the doc comment")
        doc = chat.clean_doc_text(result.text)
        if not doc:
            raise ActionFailed("the model wrote no documentation; try again or use a larger model")
        change = doc_change(source.text, language, definition, doc)
        new = apply_changes(source.text, [change])
        if error_count(new, language) > error_count(source.text, language):
            raise ActionFailed("the doc comment would break the syntax; nothing was changed")
        proposal = Proposal(
            uuid.uuid4().hex,
            self.name,
            f"Add doc comment to {definition.name}",
            (FileEdit(source.uri, source.path, source.text, (change,), source.version),),
        )
        return await ctx.finish(proposal, result.prompt, result.text, source.uri, data)
