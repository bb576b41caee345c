"""textDocument/codeAction (+ resolve) and the iquest.* action commands; the model runs only on resolve or command."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from lsp_server.actions.menu.explain import EXPLAIN
from lsp_server.actions.menu.rewrite import REWRITE_SELECTION
from lsp_server.actions.results import ActionFailed, Markdown, Offer, Problem, Proposal
from lsp_server.actions.service import ActionService
from lsp_server.actions.sources import ActionError
from lsp_server.features.acceptance import ACCEPTED, command_arguments
from lsp_server.features.documents import position_encoding
from lsp_server.features.progress import work_done_progress
from lsp_server.model.runtime import ModelUnavailable
from lsp_server.paths import state_dir
from lsp_server.positions import UTF16, position_at
from lsp_server.progress import Progress

log = logging.getLogger(__name__)

REFACTOR_PLAN = "iquest.refactorPlan"
PROPOSE_EDIT = "iquest.proposeEdit"
FIX_AND_VERIFY = "iquest.fixAndVerify"
_ANNOTATION = "iquest.proposal"
_REQUEST_FAILED = -32803  # LSP RequestFailed: a valid request the server could not complete
_converter = get_converter()


def _position(text: str, offset: int, encoding: str) -> types.Position:
    line, character = position_at(text, offset, encoding)
    return types.Position(line=line, character=character)


def workspace_edit(proposal: Proposal, encoding: str = UTF16) -> types.WorkspaceEdit:
    """Document changes with only the changed ranges; a multi-file proposal carries an annotation to confirm."""
    annotation = _ANNOTATION if proposal.needs_confirmation else None
    changes: list[Any] = []
    for edit in proposal.edits:
        if edit.create:
            changes.append(
                types.CreateFile(
                    uri=edit.uri,
                    options=types.CreateFileOptions(overwrite=False, ignore_if_exists=True),
                    annotation_id=annotation,
                )
            )
        text_edits: list[types.TextEdit | types.AnnotatedTextEdit] = []
        for change in edit.changes:
            span = types.Range(
                start=_position(edit.old_text, change.start, encoding),
                end=_position(edit.old_text, change.end, encoding),
            )
            if annotation:
                text_edits.append(
                    types.AnnotatedTextEdit(range=span, new_text=change.new_text, annotation_id=annotation)
                )
            else:
                text_edits.append(types.TextEdit(range=span, new_text=change.new_text))
        document = types.OptionalVersionedTextDocumentIdentifier(uri=edit.uri, version=edit.version)
        changes.append(types.TextDocumentEdit(text_document=document, edits=text_edits))
    annotations = None
    if annotation:
        annotations = {
            annotation: types.ChangeAnnotation(
                label=proposal.title or "AI edit",
                needs_confirmation=True,
                description=proposal.message or "Review the AI-proposed changes",
            )
        }
    return types.WorkspaceEdit(document_changes=changes, change_annotations=annotations)


def _accepted_command(proposal: Proposal, uri: str) -> types.Command:
    """Run by the client after it applied the edit, so the audit log records the acceptance."""
    return types.Command(
        title="Record acceptance",
        command=ACCEPTED,
        arguments=[{"id": proposal.id, "action": proposal.action, "uri": uri}],
    )


def proposal_payload(proposal: Proposal, encoding: str = UTF16) -> dict[str, Any]:
    """What an edit-returning command answers: the edit (null when rejected), a message, test results."""
    payload: dict[str, Any] = {
        "id": proposal.id,
        "title": proposal.title,
        "edit": _converter.unstructure(workspace_edit(proposal, encoding)) if proposal.edits else None,
        "message": proposal.message,
        "rounds": proposal.rounds,
        "accepted": {"command": ACCEPTED, "arguments": [{"id": proposal.id, "action": proposal.action}]},
    }
    if proposal.tests is not None:
        payload["tests"] = {
            "passed": proposal.tests.passed,
            "exitCode": proposal.tests.exit_code,
            "timedOut": proposal.tests.timed_out,
            "seconds": round(proposal.tests.seconds, 2),
            "output": proposal.tests.output,
        }
    return payload


def _span(values: Mapping[str, Any]) -> tuple[str, tuple[int, int], tuple[int, int]]:
    try:
        uri = str(values["uri"])
        span = values.get("range") or {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}
        start = (int(span["start"]["line"]), int(span["start"]["character"]))
        end = (int(span["end"]["line"]), int(span["end"]["character"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise JsonRpcInvalidParams(f"expected a uri and an LSP range: {exc!r}") from exc
    return uri, start, end


async def _run(server: LanguageServer, title: str, work: Callable[[Progress], Awaitable[Any]]) -> Any:
    """Run service work with progress; map its errors to JSON-RPC errors the client shows."""
    try:
        async with work_done_progress(server, title) as report:
            return await work(report)
    except ActionError as exc:
        raise JsonRpcInvalidParams(str(exc)) from exc
    except (ActionFailed, ModelUnavailable) as exc:
        raise JsonRpcException(str(exc), code=_REQUEST_FAILED) from exc


def _show_markdown(server: LanguageServer, document: Markdown, kind: str) -> dict[str, Any]:
    """Write the markdown to the server's state folder and ask the client to show it (when it can)."""
    payload: dict[str, Any] = {"id": document.id, "title": document.title, "markdown": document.markdown}
    window = server.client_capabilities.window
    if not (window and window.show_document and window.show_document.support):
        return payload
    try:
        folder = state_dir() / "documents"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{kind}-{document.id[:12]}.md"
        path.write_text(document.markdown, encoding="utf-8")
    except OSError as exc:
        log.warning("could not write %s for the client to show: %s", kind, exc)
        return payload
    payload["uri"] = path.as_uri()
    future = asyncio.ensure_future(
        server.window_show_document_async(types.ShowDocumentParams(uri=path.as_uri(), take_focus=True))
    )
    future.add_done_callback(
        lambda done: (
            done.cancelled() or done.exception() is None or log.info("showDocument failed: %s", done.exception())
        )
    )
    return payload


def _offer_action(offer: Offer, diagnostics: Sequence[types.Diagnostic]) -> types.CodeAction:
    action = types.CodeAction(title=offer.title, kind=offer.kind, data=offer.data)
    if offer.problem_index is not None:
        action.diagnostics = [diagnostics[offer.problem_index]]
    if offer.command is not None:
        args = {
            "uri": offer.data["uri"],
            "range": {
                "start": {"line": offer.data["start"][0], "character": offer.data["start"][1]},
                "end": {"line": offer.data["end"][0], "character": offer.data["end"][1]},
            },
        }
        action.command = types.Command(title=offer.title, command=offer.command, arguments=[args])
        action.data = None
    return action


class CodeActions:
    """The code action menu and its resolve, and the iquest.* action commands, on the action service."""

    def __init__(
        self,
        service: ActionService,
        predicted: Callable[[str, int, int], list[types.CodeAction]] = lambda uri, first, last: [],
    ) -> None:
        self._service = service
        # Actions with their edit already made (the predicted next edit): first in the menu, nothing to resolve.
        self._predicted = predicted

    def register(self, server: LanguageServer) -> None:
        """Wire codeAction, codeAction/resolve and the action commands."""
        service = self._service
        predicted = self._predicted
        kinds = sorted(
            {
                types.CodeActionKind.QuickFix,
                types.CodeActionKind.Refactor,
                types.CodeActionKind.RefactorRewrite,
                *service.kinds,
            }
        )

        @server.feature(
            types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=kinds, resolve_provider=True)
        )
        def code_action(ls: LanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
            """The menu: tree-sitter only, the model is not asked."""
            diagnostics = list(params.context.diagnostics or [])
            problems = [
                Problem(
                    d.message, (d.range.start.line, d.range.start.character), (d.range.end.line, d.range.end.character)
                )
                for d in diagnostics
            ]
            start, end = params.range.start, params.range.end
            try:
                offers = service.list_actions(
                    params.text_document.uri, (start.line, start.character), (end.line, end.character), problems
                )
            except ActionError as exc:
                raise JsonRpcInvalidParams(str(exc)) from exc
            only = [str(getattr(kind, "value", kind)) for kind in params.context.only or []]
            actions = predicted(params.text_document.uri, start.line, end.line)
            actions += [_offer_action(offer, diagnostics) for offer in offers]
            if only:
                actions = [a for a in actions if any(a.kind == k or str(a.kind).startswith(f"{k}.") for k in only)]
            return actions

        @server.feature(types.CODE_ACTION_RESOLVE)
        async def code_action_resolve(ls: LanguageServer, action: types.CodeAction) -> types.CodeAction:
            """The model runs here: the edit of one action."""
            data = action.data if isinstance(action.data, Mapping) else {}
            if not data:
                return action  # a command action, nothing to resolve
            proposal = await _run(ls, f"iquest: {action.title}", lambda report: service.resolve(data, report))
            action.edit = workspace_edit(proposal, position_encoding(ls))
            action.command = _accepted_command(proposal, str(data.get("uri", "")))
            return action

        @server.command(REWRITE_SELECTION)
        async def rewrite_selection(ls: LanguageServer, *args: Any) -> dict[str, Any]:
            """Rewrite the selection following {uri, range, instruction}; returns the edit for the client to apply."""
            values = command_arguments(args, ("uri", "range", "instruction"))
            uri, start, end = _span(values)
            instruction = str(values.get("instruction") or "")
            proposal = await _run(
                ls, "iquest: rewriting", lambda report: service.rewrite(uri, start, end, instruction, report)
            )
            return proposal_payload(proposal, position_encoding(ls))

        @server.command(EXPLAIN)
        async def explain(ls: LanguageServer, *args: Any) -> dict[str, Any]:
            """Explain {uri, range}: returns {markdown, title, uri?} and shows the markdown when the client can."""
            uri, start, end = _span(command_arguments(args, ("uri", "range")))
            document = await _run(ls, "iquest: explaining", lambda report: service.explain(uri, start, end, report))
            return _show_markdown(ls, document, "explain")

        @server.command(REFACTOR_PLAN)
        async def refactor_plan(ls: LanguageServer, *args: Any) -> dict[str, Any]:
            """A refactor plan for {goal, focus?: [path or uri]}: returns {markdown, sections, uri?}."""
            values = command_arguments(args, ("goal", "focus"))
            goal, focus = str(values.get("goal") or ""), [str(f) for f in values.get("focus") or []]
            document = await _run(
                ls, "iquest: refactor plan", lambda report: service.refactor_plan(goal, focus, report)
            )
            return {**_show_markdown(ls, document, "plan"), "sections": document.sections}

        @server.command(PROPOSE_EDIT)
        async def propose_edit(ls: LanguageServer, *args: Any) -> dict[str, Any]:
            """Multi-file edit from {goal, files} (model answers in diffs) or {diff}; validated, needs confirmation."""
            values = command_arguments(args, ("goal", "files", "diff"))
            diff = values.get("diff")
            goal, files = str(values.get("goal") or ""), [str(f) for f in values.get("files") or []]
            proposal = await _run(
                ls,
                "iquest: proposing an edit",
                lambda report: service.propose_edit(goal, files, None if diff is None else str(diff), report),
            )
            return proposal_payload(proposal, position_encoding(ls))

        @server.command(FIX_AND_VERIFY)
        async def fix_and_verify(ls: LanguageServer, *args: Any) -> dict[str, Any]:
            """Fix {uri, range, problem?}, run iquest.testCommand on a temporary copy; the edit with its test result."""
            values = command_arguments(args, ("uri", "range", "problem"))
            uri, start, end = _span(values)
            problem = str(values.get("problem") or "")
            proposal = await _run(
                ls, "iquest: fix and verify", lambda report: service.fix_and_verify(uri, start, end, problem, report)
            )
            return proposal_payload(proposal, position_encoding(ls))
