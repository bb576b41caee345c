"""Simplify selection and Rewrite selection…: the selected lines rewritten following an instruction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lsp_server.actions.action_context import ActionContext
from lsp_server.actions.menu.base import MenuAction, MenuSpot
from lsp_server.actions.region_rewrite import region_proposal
from lsp_server.actions.regions import whole_lines
from lsp_server.actions.results import Offer, Position, Proposal
from lsp_server.actions.sources import ActionError
from lsp_server.progress import Progress
from lsp_server.prompting import chat

REWRITE_SELECTION = "iquest.rewriteSelection"
SIMPLIFY = "make it simpler and easier to read without changing what it does"


async def rewrite_selection(
    ctx: ActionContext, uri: str, start: Position, end: Position, instruction: str, report: Progress
) -> Proposal:
    """Rewrite the selected lines following ``instruction``."""
    if not instruction.strip():
        raise ActionError("iquest.rewriteSelection needs an instruction (the client asks the user for one)")
    source, begin, finish = ctx.source({"uri": uri, "start": start, "end": end})
    if finish <= begin:
        raise ActionError("select the code to rewrite first")
    region = whole_lines(source.text, begin, finish)
    language, path = source.language or "text", ctx.rel(source)
    return await region_proposal(
        ctx,
        source,
        region,
        lambda code, context: chat.rewrite_messages(language, path, code, instruction, context),
        report,
        "Rewriting",
        action=RewriteAction.name,
        title=f"Rewrite: {instruction[:80]}",
        audit=(uri, {"start": start, "end": end}),
    )


class RewriteAction(MenuAction):
    """Offered on a selection: a ready instruction for every client, a free-form one for clients that ask."""

    name = "rewrite"
    kind = "refactor.rewrite.iquest.selection"

    def offers(self, spot: MenuSpot) -> list[Offer]:
        """Simplify (resolved here) and Rewrite… (run as the command, which asks for the instruction)."""
        if not spot.selected:
            return []
        return [
            self.offer(spot, "Simplify selection (AI)", instruction=SIMPLIFY),
            self.offer(spot, "Rewrite selection… (AI)", command=REWRITE_SELECTION),
        ]

    async def resolve(self, data: Mapping[str, Any], report: Progress) -> Proposal:
        """The rewrite with the instruction the offer carries."""
        return await rewrite_selection(
            self.ctx,
            str(data.get("uri", "")),
            tuple(data.get("start", ())),
            tuple(data.get("end", ())),
            str(data.get("instruction") or ""),
            report,
        )
