"""A minimal LSP client session against our server process (used by the demo and benchmarks)."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from lsp_server.protocol_extensions import GREW_CAPABILITY, SUGGESTION_GREW

SERVER_COMMAND = [sys.executable, "-m", "lsp_server", "serve", "--stdio"]


@dataclass
class Session:
    """A started server, its client, and what the server told the user."""

    client: LanguageClient
    messages: list[str] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)
    drain: asyncio.Task | None = None
    grown: asyncio.Queue = field(default_factory=asyncio.Queue)  # iquest/suggestionGrew params, when asked for

    async def status(self) -> dict[str, Any]:
        """The server's iquest.status payload."""
        answer = await self.client.workspace_execute_command_async(types.ExecuteCommandParams(command="iquest.status"))
        return cast(dict[str, Any], answer)

    def open(self, path: Path, text: str, language: str, version: int = 1) -> str:
        """didOpen; returns the URI."""
        uri = path.as_uri()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)
            )
        )
        return uri

    async def inline(self, uri: str, line: int, character: int) -> str:
        """One inline completion request; returns the first item's text or ''."""
        answer = await self.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
            )
        )
        items = answer.items if isinstance(answer, types.InlineCompletionList) else (answer or [])
        return str(items[0].insert_text) if items else ""

    async def close(self) -> None:
        """shutdown + exit, then make sure the process is gone."""
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), timeout=10)
            self.client.exit(None)
            await asyncio.wait_for(self.client.stop(), timeout=10)
        except Exception:
            if self.client._server is not None and self.client._server.returncode is None:
                self.client._server.kill()
        if self.drain is not None:
            self.drain.cancel()


def as_json(value: Any) -> Any:
    """pygls's answer objects for requests it has no type for (named tuples) as plain dicts and lists."""
    as_dict = getattr(value, "_asdict", None)
    if callable(as_dict):
        return {key: as_json(item) for key, item in cast(dict[str, Any], as_dict()).items()}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    return value


async def _drain(stream: asyncio.StreamReader | None, sink: TextIO | None) -> None:
    """Keep reading the server's stderr so its log can never fill the pipe and block it."""
    if stream is None:
        return
    while line := await stream.readline():
        if sink is not None:
            sink.write(line.decode("utf-8", errors="replace"))


async def start_session(
    root: Path,
    options: dict[str, Any],
    *,
    log: TextIO | None = None,
    echo: TextIO | None = None,
    grown_blocks: bool = False,
) -> Session:
    """Start the server, initialize with ``options`` under ``iquest``, and wait for the model load to end.

    With ``grown_blocks`` the client says it takes ``iquest/suggestionGrew``; the notices go to ``Session.grown``.
    """
    session = Session(LanguageClient("iquest-client", "1"))
    client = session.client

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def show_message(params: types.ShowMessageParams) -> None:
        session.messages.append(params.message)
        if echo is not None:
            echo.write(f"[server] {params.message}\n")

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def create_progress(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    @client.feature(types.PROGRESS)
    def progress(params: types.ProgressParams) -> None:
        value = params.value
        message = value.get("message") if isinstance(value, dict) else getattr(value, "message", None)
        if message:
            session.progress.append(message)
            if echo is not None:
                echo.write(f"[progress] {message}\n")

    @client.feature(SUGGESTION_GREW)
    def suggestion_grew(params: Any) -> None:
        session.grown.put_nowait(params)

    await client.start_io(*SERVER_COMMAND)
    assert client._server is not None
    session.drain = asyncio.create_task(_drain(client._server.stderr, log))
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                window=types.WindowClientCapabilities(work_done_progress=True),
                experimental={GREW_CAPABILITY: True} if grown_blocks else None,
            ),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={"iquest": options},
        )
    )
    client.initialized(types.InitializedParams())
    await asyncio.wait_for(_model_settled(session), timeout=600)
    return session


async def _model_settled(session: Session) -> None:
    """Wait until the model is loaded or has failed (indexing reports progress too)."""
    while (await session.status())["state"] not in ("ready", "failed"):
        await asyncio.sleep(0.05)
