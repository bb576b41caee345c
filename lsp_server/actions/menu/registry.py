"""The code action menu: every action by name, in menu order; adding an action means adding it to MENU."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lsp_server.actions.action_context import ActionContext
from lsp_server.actions.menu.base import MenuAction, MenuSpot
from lsp_server.actions.menu.doc_comment import DocCommentAction
from lsp_server.actions.menu.explain import ExplainAction
from lsp_server.actions.menu.fix import FixAction
from lsp_server.actions.menu.rewrite import RewriteAction
from lsp_server.actions.menu.unit_tests import UnitTestsAction
from lsp_server.actions.results import Offer, Position, Problem, Proposal
from lsp_server.actions.sources import ActionError
from lsp_server.actions.syntax import enclosing_definitions
from lsp_server.context.secrets import is_secret_path
from lsp_server.progress import Progress

MENU: tuple[type[MenuAction], ...] = (DocCommentAction, FixAction, RewriteAction, UnitTestsAction, ExplainAction)


class ActionRegistry:
    """Offers every menu action's entries for a range and resolves an offer by the action named in its data."""

    def __init__(self, ctx: ActionContext, actions: Sequence[type[MenuAction]] = MENU) -> None:
        self._ctx = ctx
        self._actions: dict[str, MenuAction] = {action.name: action(ctx) for action in actions}

    @property
    def kinds(self) -> tuple[str, ...]:
        """The LSP code action kinds of the menu's actions."""
        return tuple(action.kind for action in self._actions.values())

    def offers(self, uri: str, start: Position, end: Position, problems: Sequence[Problem] = ()) -> list[Offer]:
        """The actions for a range; cheap (tree-sitter only), never runs the model."""
        source = self._ctx.sources.get(uri)
        if source.path is not None and is_secret_path(source.path):
            return []
        begin, finish = self._ctx.offsets(source, start, end)
        language = source.language
        definition, function = enclosing_definitions(source.text, language, begin) if language else (None, None)
        spot = MenuSpot(source, language, start, end, finish > begin, definition, function, problems)
        return [offer for action in self._actions.values() for offer in action.offers(spot)]

    async def resolve(self, data: Mapping[str, Any], report: Progress) -> Proposal:
        """Compute the edit of an offered action."""
        name = data.get("action") if isinstance(data, Mapping) else None
        action = self._actions.get(name) if isinstance(name, str) else None
        if action is None:
            raise ActionError(f"unknown action {name!r}")
        return await action.resolve(data, report)
