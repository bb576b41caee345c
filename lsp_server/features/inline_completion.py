"""textDocument/inlineCompletion (ghost text) and textDocument/completion for other clients."""

from __future__ import annotations

import logging
from collections.abc import Callable

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from lsp_server.completion.layout import DocumentSnapshot
from lsp_server.completion.service import CompletionService, Suggestion
from lsp_server.features.acceptance import accepted_command
from lsp_server.features.documents import DocumentListener, encoding_name, open_document
from lsp_server.model.runtime import ModelUnavailable
from lsp_server.positions import columns, offset_at
from lsp_server.protocol_extensions import GREW_CAPABILITY, SUGGESTION_GREW

log = logging.getLogger(__name__)


def _open_document(server: LanguageServer, uri: str) -> TextDocument:
    """The open document for ``uri``; unknown documents are an error, never read from disk."""
    document = open_document(server, uri)
    if document is None:
        raise JsonRpcInvalidParams(f"document {uri} is not open: send textDocument/didOpen first")
    return document


def _offset(document: TextDocument, position: types.Position) -> int:
    """Offset of ``position``; a line past the end is an error, a column past the end clamps (LSP)."""
    try:
        return offset_at(document.source, position.line, position.character, _encoding(document))
    except ValueError as exc:
        raise JsonRpcInvalidParams(f"{exc}: {document.uri}") from exc


def _encoding(document: TextDocument) -> str:
    return encoding_name(document.position_codec.encoding)


async def _suggest(
    server: LanguageServer,
    service: CompletionService,
    document: TextDocument,
    position: types.Position,
    *,
    invoked: bool = False,
    on_grown: Callable[[], None] | None = None,
) -> Suggestion | None:
    """The suggestion at ``position`` in the open ``document``, or None; drops stale results."""
    uri = document.uri
    offset = _offset(document, position)
    version = document.version

    def still_valid() -> bool:
        return document.version == version and open_document(server, uri) is document

    try:
        return await service.suggest(
            DocumentSnapshot(uri, document.source, version), offset, still_valid, invoked=invoked, on_grown=on_grown
        )
    except ModelUnavailable as exc:
        log.info("no suggestion: %s", exc)
        return None


def _grown_notice(
    server: LanguageServer, document: TextDocument, position: types.Position
) -> Callable[[], None] | None:
    """What tells the client that the block at ``position`` grew; None when the client did not ask for it."""
    experimental = server.client_capabilities.experimental
    if not (isinstance(experimental, dict) and experimental.get(GREW_CAPABILITY) is True):
        return None
    params = {
        "textDocument": {"uri": document.uri, "version": document.version},
        "position": {"line": position.line, "character": position.character},
    }
    return lambda: server.protocol.notify(SUGGESTION_GREW, params)


def _insert_range(position: types.Position) -> types.Range:
    return types.Range(start=position, end=position)


class InlineCompletion(DocumentListener):
    """Both completion methods on the completion service, which forgets a document when it closes."""

    def __init__(
        self,
        service: CompletionService,
        predicted: Callable[[str, int | None, int], types.InlineCompletionItem | None] | None = None,
    ) -> None:
        self._service = service
        # A ready next-edit prediction touching the cursor's line, as an item with its range (a lookup, no model).
        self._predicted = predicted or (lambda uri, version, line: None)

    def closed(self, uri: str) -> None:
        """Drop what the service keeps for a closed document."""
        self._service.document_closed(uri)

    def register(self, server: LanguageServer) -> None:
        """Wire both completion methods to the service."""
        service = self._service
        predicted = self._predicted

        @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
        async def inline_completion(
            ls: LanguageServer, params: types.InlineCompletionParams
        ) -> types.InlineCompletionList:
            """Ghost text at the cursor, after the predicted next edit when that touches the cursor's line."""
            uri = params.text_document.uri
            document = _open_document(ls, uri)
            prediction = predicted(uri, document.version, params.position.line)
            invoked = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
            grown = _grown_notice(ls, document, params.position)
            suggestion = await _suggest(ls, service, document, params.position, invoked=invoked, on_grown=grown)
            items = [prediction] if prediction is not None else []
            if suggestion is None:
                return types.InlineCompletionList(items=items)
            candidates = [(suggestion.text, suggestion.id), *suggestion.alternatives]
            items += [
                types.InlineCompletionItem(
                    insert_text=text, range=_insert_range(params.position), command=accepted_command(ident, "inline")
                )
                for text, ident in candidates
            ]
            return types.InlineCompletionList(items=items)

        @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", "(", " "]))
        async def completion(ls: LanguageServer, params: types.CompletionParams) -> types.CompletionList:
            """The same candidates as completion items, for clients without inline completion."""
            document = _open_document(ls, params.text_document.uri)
            suggestion = await _suggest(ls, service, document, params.position)
            if suggestion is None:
                return types.CompletionList(is_incomplete=True, items=[])
            candidates = [(suggestion.text, suggestion.id), *suggestion.alternatives]
            items = [
                _completion_item(document, params.position, suggestion.offset, text, ident, rank)
                for rank, (text, ident) in enumerate(candidates)
            ]
            return types.CompletionList(is_incomplete=True, items=items)


def _completion_item(
    document: TextDocument, position: types.Position, offset: int, text: str, ident: str, rank: int
) -> types.CompletionItem:
    """A completion item that replaces the word being typed with word + ``text``, so clients filter it."""
    encoding = _encoding(document)
    before = document.source[offset_at(document.source, position.line, 0, encoding) : offset]
    word = before[len(before.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")) :]
    start = types.Position(line=position.line, character=position.character - columns(word, encoding))
    first_line = text.split("\n", 1)[0]
    label = (word + first_line).strip() or text.strip().split("\n", 1)[0]
    return types.CompletionItem(
        label=label[:80],
        kind=types.CompletionItemKind.Snippet,
        detail="iquest-lsp",
        documentation=text,
        filter_text=word + text,
        sort_text=str(rank),
        preselect=rank == 0,
        insert_text_format=types.InsertTextFormat.PlainText,
        text_edit=types.TextEdit(range=types.Range(start=start, end=position), new_text=word + text),
        command=accepted_command(ident, "completion"),
    )
