"""Next-edit suggestions: Copilot's textDocument/copilotInlineEdit and didShowInlineEdit, the accept/reject commands,
and the ready prediction as an inline item and a code action."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from lsp_server.features.acceptance import plain
from lsp_server.features.documents import DocumentListener, open_text, position_encoding
from lsp_server.next_edit.service import NextEditService, Prediction
from lsp_server.positions import position_at

log = logging.getLogger(__name__)

COPILOT_INLINE_EDIT = "textDocument/copilotInlineEdit"
DID_SHOW_INLINE_EDIT = "textDocument/didShowInlineEdit"
ACCEPTED = "iquest.nextEdit.accepted"
REJECTED = "iquest.nextEdit.rejected"
APPLY_TITLE = "Apply predicted edit"


def _range(prediction: Prediction, encoding: str) -> types.Range:
    start = position_at(prediction.text, prediction.change.start, encoding)
    end = position_at(prediction.text, prediction.change.end, encoding)
    return types.Range(start=types.Position(*start), end=types.Position(*end))


def _accept_command(prediction: Prediction) -> types.Command:
    return types.Command(title="Accept next edit", command=ACCEPTED, arguments=[prediction.id])


def _range_json(span: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": span.start.line, "character": span.start.character},
        "end": {"line": span.end.line, "character": span.end.character},
    }


def _edit_id(item: Any) -> str | None:
    """The prediction id an edit object carries: its ``iquest.id``, else its command's first argument."""
    if not isinstance(item, dict):
        return None
    extra = item.get("iquest")
    if isinstance(extra, dict) and isinstance(extra.get("id"), str):
        return extra["id"]
    command = item.get("command")
    arguments = command.get("arguments") if isinstance(command, dict) else None
    return arguments[0] if isinstance(arguments, list) and arguments and isinstance(arguments[0], str) else None


class NextEdit(DocumentListener):
    """Feeds the next-edit service the document events and delivers its predictions four ways."""

    def __init__(self, server: LanguageServer, service: NextEditService) -> None:
        self._server = server
        self._service = service

    def opened(self, uri: str, text: str) -> None:
        """Start the document's history."""
        opened = open_text(self._server, uri)
        self._service.opened(uri, text, opened[1] if opened and opened[1] is not None else 0)

    def changed(self, uri: str, text: str, line: int | None) -> None:
        """Note the edit; the prediction starts once the user is idle."""
        if not self._service.enabled:
            return
        opened = open_text(self._server, uri)
        self._service.changed(uri, text, opened[1] if opened and opened[1] is not None else 0, line)

    def closed(self, uri: str) -> None:
        """Forget the document."""
        self._service.closed(uri)

    def inline_item(self, uri: str, version: int | None, line: int) -> types.InlineCompletionItem | None:
        """The ready prediction as an inline item replacing its range, when it touches ``line`` (a dict lookup)."""
        prediction = self._service.ready(uri, version)
        if prediction is None:
            return None
        first, last = prediction.lines
        if not first <= line <= last:
            return None
        self._service.remember(prediction)
        return types.InlineCompletionItem(
            insert_text=prediction.change.new_text,
            range=_range(prediction, position_encoding(self._server)),
            command=_accept_command(prediction),
        )

    def code_actions(self, uri: str, first_line: int, last_line: int) -> list[types.CodeAction]:
        """ "Apply predicted edit" where the ready prediction is: the edit, and the command that records it."""
        opened = open_text(self._server, uri)
        prediction = self._service.ready(uri, opened[1] if opened else None)
        if prediction is None:
            return []
        first, last = prediction.lines
        if last < first_line or first > last_line:
            return []
        self._service.remember(prediction)
        span = _range(prediction, position_encoding(self._server))
        document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=prediction.version)
        edit = types.TextDocumentEdit(
            text_document=document, edits=[types.TextEdit(range=span, new_text=prediction.change.new_text)]
        )
        return [
            types.CodeAction(
                title=APPLY_TITLE,
                kind=types.CodeActionKind.RefactorRewrite,
                edit=types.WorkspaceEdit(document_changes=[edit]),
                command=_accept_command(prediction),
                is_preferred=True,
            )
        ]

    def register(self, server: LanguageServer) -> None:
        """Wire the request, the notification and the two commands."""
        service = self._service

        @server.feature(COPILOT_INLINE_EDIT)
        async def copilot_inline_edit(ls: LanguageServer, params: Any) -> dict[str, Any]:
            """``{textDocument: {uri, version}, position}`` -> ``{edits: [...]}``: the next edit for that version."""
            values = plain(params)
            try:
                document = values["textDocument"]
                uri, version = str(document["uri"]), document.get("version")
            except (KeyError, TypeError, AttributeError) as exc:
                raise JsonRpcInvalidParams(f"{COPILOT_INLINE_EDIT} expects {{textDocument: {{uri, version}}}}") from exc
            prediction = await service.request(uri, version)
            if prediction is None:
                return {"edits": []}
            service.remember(prediction)
            command = _accept_command(prediction)
            edit = {
                "text": prediction.change.new_text,
                "textDocument": {"uri": uri, "version": prediction.version},
                "range": _range_json(_range(prediction, position_encoding(ls))),
                "command": {"title": command.title, "command": command.command, "arguments": command.arguments},
                "iquest": {"id": prediction.id},
            }
            return {"edits": [edit]}

        @server.feature(DID_SHOW_INLINE_EDIT)
        def did_show_inline_edit(ls: LanguageServer, params: Any) -> None:
            """The client displayed ``{item}``."""
            values = plain(params)
            ident = _edit_id(values.get("item") if isinstance(values, dict) else None)
            if ident is None or not service.outcome("shown", ident):
                log.warning("%s ignored: no known prediction id in %r", DID_SHOW_INLINE_EDIT, values)

        @server.command(ACCEPTED)
        def accepted(ls: LanguageServer, *args: Any) -> dict[str, Any]:
            """The client applied prediction ``[id]``."""
            return {"recorded": service.outcome("accepted", _command_id(args, ACCEPTED))}

        @server.command(REJECTED)
        def rejected(ls: LanguageServer, *args: Any) -> dict[str, Any]:
            """The user dismissed prediction ``[id]``."""
            return {"recorded": service.outcome("rejected", _command_id(args, REJECTED))}


def _command_id(args: tuple[Any, ...], command: str) -> str:
    values = [plain(arg) for arg in args]
    if len(values) == 1 and isinstance(values[0], str):
        return values[0]
    if len(values) == 1 and isinstance(values[0], dict) and isinstance(values[0].get("id"), str):
        return values[0]["id"]
    raise JsonRpcInvalidParams(f'{command} expects ["<prediction id>"]')
