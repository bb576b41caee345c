"""The code action service: offers actions without the model, resolves them with it; no pygls."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lsp_server.actions.action_context import ActionContext, Summaries
from lsp_server.actions.menu.explain import explain
from lsp_server.actions.menu.registry import ActionRegistry
from lsp_server.actions.menu.rewrite import rewrite_selection
from lsp_server.actions.proposals import DiffProposer
from lsp_server.actions.refactor import RefactorPlanner
from lsp_server.actions.results import Markdown, Offer, Position, Problem, Proposal
from lsp_server.actions.security import placed
from lsp_server.actions.sources import Source, Sources
from lsp_server.actions.textedit import FileEdit
from lsp_server.actions.verify_loop import FixVerifier
from lsp_server.audit import AuditLog
from lsp_server.context.workspace import ContextProvider
from lsp_server.model.runtime import ModelRuntime
from lsp_server.progress import Progress
from lsp_server.scan.findings import Finding
from lsp_server.scan.service import Scanner
from lsp_server.settings import Settings


class ActionService:
    """What features/ calls: the menu (a registry of action objects), the commands, acceptances."""

    def __init__(
        self,
        runtime: ModelRuntime,
        settings: Callable[[], Settings],
        audit: AuditLog,
        sources: Sources,
        context: ContextProvider | None = None,
        summaries: Summaries = dict,
        scanner: Scanner | None = None,
    ) -> None:
        self._ctx = ActionContext(runtime, settings, audit, sources, context, summaries, scanner)
        self._menu = ActionRegistry(self._ctx)
        self._planner = RefactorPlanner(self._ctx)
        self._proposer = DiffProposer(self._ctx)
        self._verifier = FixVerifier(self._ctx)

    @property
    def context(self) -> ContextProvider | None:
        """Where prompts get repository context (None: nowhere)."""
        return self._ctx.prompt_context

    @context.setter
    def context(self, provider: ContextProvider | None) -> None:
        self._ctx.prompt_context = provider

    @property
    def scanner(self) -> Scanner:
        """The security scanner every proposal goes through."""
        return self._ctx.scanner

    def scan_enabled(self) -> bool:
        """Whether proposals are scanned (iquest.scanEdits)."""
        return self._ctx.settings().scan_edits

    def scan_places(self, proposal: Proposal) -> list[tuple[FileEdit, Finding, tuple[int, int]]]:
        """The proposal's findings, each with its file's edit and its span in the current text."""
        return placed(self._ctx.sources, proposal)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The LSP code action kinds the menu offers."""
        return self._menu.kinds

    def offsets(self, source: Source, start: Position, end: Position) -> tuple[int, int]:
        """Character offsets of an LSP range in the source; ActionError when it is outside."""
        return self._ctx.offsets(source, start, end)

    def list_actions(self, uri: str, start: Position, end: Position, problems: Sequence[Problem] = ()) -> list[Offer]:
        """The actions for a range; cheap (tree-sitter only), never runs the model."""
        return self._menu.offers(uri, start, end, problems)

    async def resolve(self, data: Mapping[str, Any], report: Progress) -> Proposal:
        """Compute the edit of an offered action."""
        return await self._menu.resolve(data, report)

    async def rewrite(self, uri: str, start: Position, end: Position, instruction: str, report: Progress) -> Proposal:
        """Rewrite the selected lines following ``instruction``."""
        return await rewrite_selection(self._ctx, uri, start, end, instruction, report)

    async def explain(self, uri: str, start: Position, end: Position, report: Progress) -> Markdown:
        """A markdown explanation of the selection, the enclosing definition or the lines around the cursor."""
        return await explain(self._ctx, uri, start, end, report)

    async def refactor_plan(self, goal: str, focus: Sequence[str], report: Progress) -> Markdown:
        """A markdown plan with Impact Analysis, Migration Steps and Risk Assessment for ``goal``."""
        return await self._planner.plan(goal, focus, report)

    async def propose_edit(self, goal: str, focus: Sequence[str], diff: str | None, report: Progress) -> Proposal:
        """Validated unified diffs as one edit needing confirmation, or a message saying why there is none."""
        return await self._proposer.propose(goal, focus, diff, report)

    async def fix_and_verify(
        self, uri: str, start: Position, end: Position, problem: str, report: Progress
    ) -> Proposal:
        """A fix offered with the result of the project's tests on it (in a temporary copy)."""
        return await self._verifier.run(uri, start, end, problem, report)

    def accepted(self, details: Mapping[str, Any]) -> None:
        """Record that the user applied a proposal (the client tells us through iquest.accepted)."""
        self._ctx.audit.record(
            "accepted",
            uri=str(details.get("uri", "")),
            model=self._ctx.model_name(),
            prompt=None,
            output=None,
            id=details.get("id"),
            action=details.get("action"),
        )
