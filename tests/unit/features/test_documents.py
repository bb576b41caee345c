"""The server's documents keep LSP's line model: edits land where the client put them whatever a line holds."""

from __future__ import annotations

import pytest

from lsp_server.features.documents import LspTextDocument, LspWorkspace, open_document
from lsp_server.features.jsonrpc import StrictLanguageServer

URI = "file:///w/a.py"


@pytest.fixture
def start(strict_server, feed):
    """An initialized server keeping documents as the composition root does, agreeing on ``encodings``."""

    def make(encodings: list[str] | None = None) -> StrictLanguageServer:
        server = strict_server(None, LspWorkspace)  # as the composition root builds it
        capabilities = {"general": {"positionEncodings": encodings}} if encodings else {}
        folders = [{"uri": "file:///w", "name": "w"}]
        params = {"capabilities": capabilities, "rootUri": "file:///w", "workspaceFolders": folders}
        feed(server, {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params})
        return server

    return make


def _notify(server: StrictLanguageServer, method: str, params: dict) -> None:
    message = {"jsonrpc": "2.0", "method": method, "params": params}
    server.protocol.handle_message(server.protocol.structure_message(message))


def _open(server: StrictLanguageServer, text: str) -> None:
    document = {"uri": URI, "languageId": "python", "version": 1, "text": text}
    _notify(server, "textDocument/didOpen", {"textDocument": document})


def _change(server: StrictLanguageServer, start: tuple[int, int], end: tuple[int, int], text: str) -> str:
    change = {
        "range": {
            "start": {"line": start[0], "character": start[1]},
            "end": {"line": end[0], "character": end[1]},
        },
        "text": text,
    }
    params = {"textDocument": {"uri": URI, "version": 2}, "contentChanges": [change]}
    _notify(server, "textDocument/didChange", params)
    document = open_document(server, URI)
    assert document is not None
    return document.source


async def test_the_workspace_keeps_its_folders_and_makes_lsp_documents(start):
    server = start()
    _open(server, "x = 1\n")
    assert isinstance(server.workspace, LspWorkspace)
    assert list(server.workspace.folders) == ["file:///w"] and server.workspace.root_uri == "file:///w"
    assert isinstance(open_document(server, URI), LspTextDocument)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\f", "\v", "\x1c", "\x1d", "\x1e", "\x85"])
async def test_an_edit_after_a_unicode_line_break_lands_on_the_lsp_line(start, separator):
    server = start()
    _open(server, f"a = 'x{separator}y' + z\nb = 2\n")
    assert _change(server, (0, 12), (0, 13), "w") == f"a = 'x{separator}y' + w\nb = 2\n"
    assert _change(server, (1, 0), (1, 1), "c") == f"a = 'x{separator}y' + w\nc = 2\n"
    assert open_document(server, URI).lines == (f"a = 'x{separator}y' + w\n", "c = 2\n")


async def test_crlf_and_lone_carriage_returns_end_lines(start):
    server = start()
    _open(server, "one\r\ntwo\rthree\n")
    assert _change(server, (1, 0), (1, 3), "TWO") == "one\r\nTWO\rthree\n"
    assert _change(server, (2, 0), (2, 99), "3") == "one\r\nTWO\r3\n"  # a column past the end stops before "\n"
    assert _change(server, (0, 3), (1, 0), " ") == "one TWO\r3\n"  # a range over a "\r\n" removes both


@pytest.mark.parametrize(("encoding", "column"), [("utf-8", 12), ("utf-16", 8), ("utf-32", 7)])
async def test_edits_count_columns_in_the_agreed_encoding(start, encoding, column):
    server = start([encoding])
    _open(server, "s = '😀\u2028'x\n")
    assert _change(server, (0, column + 1), (0, column + 2), "y") == "s = '😀\u2028'y\n"


async def test_an_edit_past_the_last_line_appends(start):
    server = start()
    _open(server, "a\rb")
    assert _change(server, (5, 0), (5, 0), "\nc") == "a\rb\nc"
    assert _change(server, (3, 0), (3, 0), "!") == "a\rb\nc!"
