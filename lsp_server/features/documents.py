"""Document sync fan-out: pygls keeps the text; listeners hear about opens, edits and closes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument


def open_document(server: LanguageServer, uri: str) -> TextDocument | None:
    """The open document for ``uri``, or None; pygls keys documents by the percent-decoded URI."""
    return server.workspace.text_documents.get(unquote(uri))


@dataclass
class DocumentListeners:
    """Callbacks run after pygls has applied each notification to its workspace."""

    opened: list[Callable[[str, str], None]] = field(default_factory=list)
    changed: list[Callable[[str, str, int | None], None]] = field(default_factory=list)
    closed: list[Callable[[str], None]] = field(default_factory=list)


def _first_changed_line(params: types.DidChangeTextDocumentParams) -> int | None:
    for change in params.content_changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            return change.range.start.line
    return None


def register(server: LanguageServer, listeners: DocumentListeners) -> None:
    """Wire didOpen/didChange/didClose to the listeners."""

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        """A document was opened."""
        for listener in listeners.opened:
            listener(params.text_document.uri, params.text_document.text)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        """A document changed; listeners get its new full text and the first edited line."""
        uri = params.text_document.uri
        document = open_document(ls, uri)
        if document is None:
            return
        line = _first_changed_line(params)
        for listener in listeners.changed:
            listener(uri, document.source, line)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        """A document was closed."""
        for listener in listeners.closed:
            listener(params.text_document.uri)
