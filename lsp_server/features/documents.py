"""Document sync: pygls keeps the text (with LSP's line model); listeners hear about opens, edits and closes."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument, Workspace

from lsp_server.positions import UTF16, clamped_offset_at, split_lines
from lsp_server.uris import document_key


class LspTextDocument(TextDocument):
    """pygls's document with LSP's lines: they end at "\n", "\r\n" and "\r" only, and edits land by
    lsp_server.positions. pygls 2.1 splits with str.splitlines, which also breaks at "\f", "\v", "\x1c"-"\x1e",
    "\x85", "\u2028" and "\u2029", so a client's positions after one of those pointed elsewhere."""

    @property
    def lines(self) -> Sequence[str]:
        """The LSP lines, each with its line break."""
        return tuple(split_lines(self.source))

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        """Replace the change's range; a position past the last line is the end of the text."""
        source = self.source
        encoding = encoding_name(self.position_codec.encoding)
        start = clamped_offset_at(source, change.range.start.line, change.range.start.character, encoding)
        end = clamped_offset_at(source, change.range.end.line, change.range.end.character, encoding)
        self._source = source[:start] + change.text + source[max(start, end) :]


class LspWorkspace(Workspace):
    """pygls's workspace whose text documents are LspTextDocuments."""

    def _create_text_document(
        self, doc_uri: str, source: str | None = None, version: int | None = None, language_id: str | None = None
    ) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self.position_codec,
        )


def open_document(server: LanguageServer, uri: str) -> TextDocument | None:
    """The open document for ``uri``, or None; pygls keys documents by the percent-decoded URI."""
    return server.workspace.text_documents.get(document_key(uri))


def open_text(server: LanguageServer, uri: str) -> tuple[str, int | None] | None:
    """The text and version of the open document for ``uri``, or None when it is not open."""
    document = open_document(server, uri)
    return None if document is None else (document.source, document.version)


def encoding_name(kind: types.PositionEncodingKind | str | None) -> str:
    """The name lsp_server.positions uses for a position encoding kind (UTF-16 when none was agreed)."""
    return str(getattr(kind, "value", kind) or UTF16)


def position_encoding(server: LanguageServer) -> str:
    """The position encoding agreed at initialize (pygls picks the client's first supported choice)."""
    return encoding_name(server.workspace.position_encoding)


class DocumentListener:
    """Hears about open documents after pygls has applied each notification; override the events that matter."""

    def opened(self, uri: str, text: str) -> None:
        """A document was opened with ``text``."""

    def changed(self, uri: str, text: str, line: int | None) -> None:
        """A document changed: its new full text and the first edited line (None: the whole text was replaced)."""

    def closed(self, uri: str) -> None:
        """A document was closed."""


def _first_changed_line(params: types.DidChangeTextDocumentParams) -> int | None:
    for change in params.content_changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            return change.range.start.line
    return None


class DocumentSync:
    """didOpen/didChange/didClose, told to every listener in the order the composition root gave."""

    def __init__(self, listeners: Sequence[DocumentListener]) -> None:
        self._listeners = tuple(listeners)

    def register(self, server: LanguageServer) -> None:
        """Wire didOpen/didChange/didClose to the listeners."""
        listeners = self._listeners

        @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
        def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
            """A document was opened."""
            for listener in listeners:
                listener.opened(params.text_document.uri, params.text_document.text)

        @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
        def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
            """A document changed; listeners get its new full text and the first edited line."""
            uri = params.text_document.uri
            document = open_document(ls, uri)
            if document is None:
                return
            line = _first_changed_line(params)
            for listener in listeners:
                listener.changed(uri, document.source, line)

        @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
        def did_close(ls: LanguageServer, params: types.DidCloseTextDocumentParams) -> None:
            """A document was closed."""
            for listener in listeners:
                listener.closed(params.text_document.uri)
