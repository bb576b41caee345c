"""Fix with AI: one offer per diagnostic; the enclosing function (or a few lines) rewritten by the model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lsp_server.actions.menu.base import MenuAction, MenuSpot
from lsp_server.actions.region_rewrite import fix_region, region_proposal
from lsp_server.actions.results import Offer, Proposal
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
        line = source.text[source.text.rfind("\n", 0, offset) + 1 :].split("\n", 1)[0].strip()
        described = f"{problem} (reported at the line `{line}`)" if line else problem
        language, path = source.language or "text", ctx.rel(source)
        return await region_proposal(
            ctx,
            source,
            fix_region(source, offset),
            lambda code, context: chat.fix_messages(language, path, code, described, context),
            report,
            "Fixing",
            action=self.name,
            title=f"Fix: {problem.splitlines()[0][:80] if problem else ''}",
            audit=(source.uri, data),
        )
