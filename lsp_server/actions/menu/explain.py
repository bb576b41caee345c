"""Explain: the selection, the enclosing definition or the lines around the cursor explained in markdown."""

from __future__ import annotations

import uuid

from lsp_server.actions.action_context import ActionContext
from lsp_server.actions.menu.base import MenuAction, MenuSpot
from lsp_server.actions.regions import lines_around, whole_lines
from lsp_server.actions.results import ActionFailed, Markdown, Offer, Position
from lsp_server.actions.syntax import enclosing_definition
from lsp_server.progress import Progress
from lsp_server.prompting import chat

EXPLAIN = "iquest.explain"
_LINES_AROUND_CURSOR = 20


async def explain(ctx: ActionContext, uri: str, start: Position, end: Position, report: Progress) -> Markdown:
    """A markdown explanation of the selection, the enclosing definition or the lines around the cursor."""
    source, begin, finish = ctx.source({"uri": uri, "start": start, "end": end})
    language = source.language
    if finish > begin:
        region = (begin, finish)
    else:
        definition = enclosing_definition(source.text, language, begin) if language else None
        region = (
            whole_lines(source.text, definition.start, definition.end)
            if definition
            else lines_around(source.text, begin, _LINES_AROUND_CURSOR, _LINES_AROUND_CURSOR)
        )
    settings = ctx.settings()
    code, context = await ctx.prompt_parts(
        source, source.text[region[0] : region[1]], region[0], settings.action_max_tokens
    )
    path = ctx.rel(source)
    result = await ctx.generate(
        chat.explain_messages(language or "text", path, code, context),
        settings.action_max_tokens,
        report,
        "Explaining",
    )
    if not result.text.strip():
        raise ActionFailed("the model gave no explanation")
    first_line = source.text.count("\n", 0, region[0]) + 1
    document = Markdown(
        uuid.uuid4().hex, f"Explanation of {path}:{first_line}", f"# {path}:{first_line}\n\n{result.text.strip()}\n"
    )
    ctx.audit.record(
        "explanation_shown",
        uri=uri,
        model=ctx.model_name(),
        prompt=result.prompt,
        output=result.text,
        id=document.id,
        action=ExplainAction.name,
        range={"start": list(start), "end": list(end)},
    )
    return document


class ExplainAction(MenuAction):
    """Offered on a selection or in a definition; run as the command, so it has nothing to resolve."""

    name = "explain"
    kind = "refactor.iquest.explain"

    def offers(self, spot: MenuSpot) -> list[Offer]:
        """One offer that runs iquest.explain on the range."""
        if not spot.selected and spot.definition is None:
            return []
        return [self.offer(spot, "Explain (AI)", command=EXPLAIN)]
