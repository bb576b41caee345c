"""`iquest-lsp serve --tcp HOST:PORT`: the same server over a loopback socket."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

from lsp_session import require_model
from lsprotocol import types
from pygls.lsp.client import LanguageClient


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _connect(port: int) -> LanguageClient:
    client = LanguageClient("tcp-test", "1")
    for _ in range(100):
        try:
            await client.start_tcp("127.0.0.1", port)
            return client
        except OSError:
            await asyncio.sleep(0.1)
    raise TimeoutError("server did not listen")


async def test_tcp_session_answers_status_and_inline_completion(tmp_path: Path):
    require_model("smollm2-135m")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "lsp_server", "serve", "--tcp", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    try:
        client = await _connect(port)
        result = await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                initialization_options={
                    "iquest": {
                        "model": "smollm2-135m",
                        "auditLog": False,
                        "maxTokens": 8,
                        # Untimed: wait for the whole answer (as initialize_params does for the stdio tests).
                        "generationTimeoutMs": 120000,
                        "firstLinesMs": 0,
                    }
                },
            )
        )
        assert result.capabilities.inline_completion_provider
        client.initialized(types.InitializedParams())
        uri = (tmp_path / "t.py").as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="python", version=1, text="def main():\n    ")
            )
        )
        answer = await asyncio.wait_for(
            client.text_document_inline_completion_async(
                types.InlineCompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=types.Position(line=1, character=4),
                    context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
                )
            ),
            120,
        )
        status = await client.workspace_execute_command_async(types.ExecuteCommandParams(command="iquest.status"))
        assert status["state"] == "ready" and status["model"] == "smollm2-135m"
        assert status["generations"] == 1
        assert isinstance(answer, types.InlineCompletionList)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    finally:
        server.kill()
        server.wait(10)
