"""Warm-up: pre-fill the model's KV cache where the user is about to ask, before they ask.

LSP tells a server nothing about the cursor outside requests, so the places come from what it does
see: a document opened (VS Code puts a new editor's cursor at 0:0), an edit the client asked no
suggestion for (Neovim, until the user asks), the ``iquest/didMoveCursor`` notification our editor
integrations send when the cursor rests somewhere new, and ``iquest/didChangeVisibleRange`` when a
scroll comes to rest. The likelier place wins: the cursor or an edit over what is in view, and that
over the start of a file just opened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from lsp_server.completion.layout import DocumentSnapshot
from lsp_server.completion.service import CompletionService
from lsp_server.features.documents import DocumentListener, encoding_name, open_document
from lsp_server.positions import line_bounds, offset_at
from lsp_server.protocol_extensions import DID_CHANGE_VISIBLE_RANGE, DID_MOVE_CURSOR

# How likely each hint is to be where the next request comes: a pending warm-up is not replaced by a
# less likely one for the same document (another document is where the user went).
OPENED, VISIBLE, AT_USER = 0, 1, 2
# Long enough that the request a client sends right after an open or a keystroke comes first.
_DELAY_S = 0.3


class WarmUp(DocumentListener):
    """Schedules one warm-up at a time, at the place the user went to last."""

    def __init__(self, server: LanguageServer, service: CompletionService) -> None:
        self._server = server
        self._service = service
        self._timer: asyncio.TimerHandle | None = None
        self._pending: tuple[str, int] = ("", OPENED)

    def schedule(
        self, uri: str, locate: Callable[[TextDocument], int | None], *, guessed: bool, likelihood: int = AT_USER
    ) -> None:
        """Warm up at the offset ``locate`` finds in ``uri`` once the user has rested there a moment."""
        if self._timer is not None:
            if self._pending[0] == uri and likelihood < self._pending[1]:
                return
            self._timer.cancel()
        self._pending = (uri, likelihood)
        self._timer = asyncio.get_running_loop().call_later(_DELAY_S, self._fire, uri, locate, guessed)

    def _fire(self, uri: str, locate: Callable[[TextDocument], int | None], guessed: bool) -> None:
        self._timer = None
        document = open_document(self._server, uri)
        if document is None:
            return
        offset = locate(document)
        if offset is not None:
            self._service.warm_up(DocumentSnapshot(uri, document.source, document.version), offset, guessed=guessed)

    def opened(self, uri: str, text: str) -> None:
        """Warm up at the start of a document just opened."""
        self.schedule(uri, lambda document: 0, guessed=True, likelihood=OPENED)

    def changed(self, uri: str, text: str, line: int | None) -> None:
        """Warm up at the end of the line an edit lands on."""
        if line is not None:
            self.schedule(uri, lambda document: _end_of_line(document.source, line), guessed=True)

    def register(self, server: LanguageServer) -> None:
        """Wire the cursor and visible-range notifications to the warm-up."""

        @server.feature(DID_CHANGE_VISIBLE_RANGE)
        def did_change_visible_range(ls: LanguageServer, params: Any) -> None:
            """A scroll came to rest: ``{textDocument: {uri}, range: {start: {line}, end: {line}}}``."""
            try:
                uri = params.textDocument.uri
                first, last = int(params.range.start.line), int(params.range.end.line)
            except (AttributeError, TypeError, ValueError):
                return  # a malformed hint is ignored: it only ever saves time
            self.schedule(uri, _middle_of(first, last), guessed=False, likelihood=VISIBLE)

        @server.feature(DID_MOVE_CURSOR)
        def did_move_cursor(ls: LanguageServer, params: Any) -> None:
            """The client's cursor rests at a new place: ``{textDocument: {uri}, position: {line, character}}``."""
            try:
                uri = params.textDocument.uri
                line, character = int(params.position.line), int(params.position.character)
            except (AttributeError, TypeError, ValueError):
                return  # a malformed hint is ignored: it only ever saves time
            self.schedule(uri, _at_position(line, character), guessed=False)


def _end_of_line(text: str, line: int) -> int | None:
    """Offset of the end of ``line`` in ``text`` (before its line break); None past the end."""
    bounds = line_bounds(text, line)
    return None if bounds is None else bounds[1]


def _at_position(line: int, character: int) -> Callable[[TextDocument], int | None]:
    """A locator for an LSP position; None when the line is outside the document."""

    def locate(document: TextDocument) -> int | None:
        # The conversion requests use (see inline_completion._offset), so a warm-up and a request agree on a place.
        try:
            return offset_at(document.source, line, character, encoding_name(document.position_codec.encoding))
        except ValueError:
            return None

    return locate


def _middle_of(first: int, last: int) -> Callable[[TextDocument], int | None]:
    """A locator for the end of the middle line of a range in view; None when it is outside the document."""

    def locate(document: TextDocument) -> int | None:
        count = len(document.lines)  # LspTextDocument splits the source on every access
        if first < 0 or last < first or first >= count:
            return None
        return _end_of_line(document.source, min((first + last) // 2, count - 1))

    return locate
