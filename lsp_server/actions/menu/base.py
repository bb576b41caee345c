"""One entry of the code action menu: its identity, what it offers where (tree-sitter only), how it resolves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from lsp_server.actions.action_context import ActionContext
from lsp_server.actions.results import Offer, Position, Problem, Proposal
from lsp_server.actions.sources import ActionError, Source
from lsp_server.actions.syntax import EnclosingDefinition
from lsp_server.progress import Progress


@dataclass(frozen=True)
class MenuSpot:
    """What the menu knows about the requested range, worked out once for every action."""

    source: Source
    language: str | None
    start: Position
    end: Position
    selected: bool  # the range is not empty
    definition: EnclosingDefinition | None  # the innermost enclosing function or class
    function: EnclosingDefinition | None  # the innermost enclosing function
    problems: Sequence[Problem]


class MenuAction:
    """A menu entry: its ``name`` (the ``action`` of its data) and LSP ``kind``, its offers and its edit."""

    name: ClassVar[str]
    kind: ClassVar[str]

    def __init__(self, ctx: ActionContext) -> None:
        self.ctx = ctx

    def offers(self, spot: MenuSpot) -> list[Offer]:
        """What this action offers at ``spot``; cheap, never runs the model."""
        raise NotImplementedError

    async def resolve(self, data: Mapping[str, Any], report: Progress) -> Proposal:
        """The edit of one of its offers; the model runs here."""
        # An action run as a command has no edit to resolve: the same answer as for an unknown one.
        raise ActionError(f"unknown action {self.name!r}")

    def offer(
        self,
        spot: MenuSpot,
        title: str,
        span: tuple[Position, Position] | None = None,
        *,
        command: str | None = None,
        problem_index: int | None = None,
        **extra: Any,
    ) -> Offer:
        """An offer of this action; its data name the document, the range (``span``, else the request's) and version."""
        start, end = span if span is not None else (spot.start, spot.end)
        data = {
            "action": self.name,
            "uri": spot.source.uri,
            "start": list(start),
            "end": list(end),
            "version": spot.source.version,
            **extra,
        }
        return Offer(title, self.name, self.kind, data, command, problem_index)
