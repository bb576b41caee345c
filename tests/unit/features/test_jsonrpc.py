"""StrictProtocol: what pygls keeps per message is let go once the message is handled."""

import asyncio

from lsprotocol import types


def _did_change(version: int) -> dict:
    return {
        "jsonrpc": "2.0",
        "method": types.TEXT_DOCUMENT_DID_CHANGE,
        "params": {
            "textDocument": {"uri": "file:///w/a.py", "version": version},
            "contentChanges": [{"text": f"x = {version}\n"}],
        },
    }


async def test_notifications_leave_no_future_behind(strict_server, feed):
    server = strict_server()
    seen: list[int] = []

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls, params: types.DidChangeTextDocumentParams) -> None:
        seen.append(params.text_document.version)

    @server.feature("iquest/ping")
    async def ping(ls, params) -> None:
        await asyncio.sleep(0)

    feed(server, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
    feed(
        server,
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {"textDocument": {"uri": "file:///w/a.py", "languageId": "python", "version": 0, "text": ""}},
        },
    )
    for version in range(1, 201):
        feed(server, _did_change(version))
        feed(server, {"jsonrpc": "2.0", "method": "iquest/ping", "params": {}})
    for _ in range(5):
        await asyncio.sleep(0)
    feed(server, _did_change(201))  # finished ones are let go when the next message comes
    assert seen == list(range(1, 202))
    assert len(server.protocol._request_futures) == 0


async def test_a_running_request_keeps_its_future_until_answered(strict_server, feed):
    server = strict_server()
    gate = asyncio.Event()

    @server.feature("iquest/slow")
    async def slow(ls, params) -> int:
        await gate.wait()
        return 7

    feed(server, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
    feed(server, {"jsonrpc": "2.0", "id": 2, "method": "iquest/slow", "params": {}})
    await asyncio.sleep(0)
    assert 2 in server.protocol._request_futures  # so that $/cancelRequest can still find it
    gate.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert 2 not in server.protocol._request_futures
    assert any(b'"id": 2' in data and b'"result": 7' in data for data in server.protocol.writer.sent)


async def test_shutdown_answers_while_a_notification_is_still_running(strict_server, feed):
    server = strict_server({})
    gate = asyncio.Event()

    @server.feature(types.INITIALIZED)
    async def initialized(ls, params) -> None:  # like ours: loads the model and indexes for a while
        await gate.wait()

    feed(server, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    feed(server, {"jsonrpc": "2.0", "id": 2, "method": "shutdown"})  # pygls cancels every kept future here
    for _ in range(5):
        await asyncio.sleep(0)
    (answer,) = [data for data in server.protocol.writer.sent if b'"id": 2' in data]
    assert b'"result": null' in answer and b'"error"' not in answer
