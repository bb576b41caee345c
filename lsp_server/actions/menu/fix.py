"""Fix with AI: one offer per diagnostic; the enclosing function (or a few lines) rewritten by the model."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from lsp_server.actions.menu.base import MenuAction, MenuSpot
from lsp_server.actions.region_rewrite import fix_region, rewrite_region
from lsp_server.actions.results import Offer, Proposal
from lsp_server.actions.textedit import FileEdit, line_changes
from lsp_server.progress import Progress
from lsp_server.prompting import chat


class FixAction(MenuAction):
    """Offered for every diagnostic in the request; the fix must parse or it is sent back once."""

    name = "fix"
    kind = "quickfix.iquest.fix"

    def offers(self, spot: MenuSpot) -> list[Offer]:
        """One offer per problem, at the problem's range."""
        return [
            self.offer(
                spot,
                f"Fix with AI: {problem.message.splitlines()[0][:80] if problem.message else 'problem'}",
                (problem.start, problem.end),
                problem_index=index,
                problem=problem.message,
            )
            for index, problem in enumerate(spot.problems)
        ]

    async def resolve(self, data: Mapping[str, Any], report: Progress) -> Proposal:
        """The fixed region as line changes."""
        ctx = self.ctx
        source, offset, _ = ctx.source(data)
        problem = str(data.get("problem") or "the code has a problem")
        start, end = fix_region(source, offset)
        line = source.text[source.text.rfind("\n", 0, offset) + 1 :].split("\n", 1)[0].strip()
        described = f"{problem} (reported at the line `{line}`)" if line else problem
        language, path = source.language or "text", ctx.rel(source)
        new, _, result = await rewrite_region(
            ctx,
            source,
            start,
            end,
            lambda code, context: chat.fix_messages(language, path, code, described, context),
            report,
            "Fixing",
        )
        proposal = Proposal(
            uuid.uuid4().hex,
            self.name,
            f"Fix: {problem.splitlines()[0][:80] if problem else ''}",
            (FileEdit(source.uri, source.path, source.text, line_changes(source.text, new), source.version),),
        )
        ctx.finish(proposal, result.prompt, result.text, source.uri, data)
        return proposal
