"""Helpers for end-to-end tests: a real server process over stdio, real models."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp_server.model.catalog import load_catalog
from lsp_server.model.fetch import is_verified, model_file

SERVER_COMMAND = [sys.executable, "-m", "lsp_server", "serve", "--stdio"]


def server_config(**env: str) -> ClientServerConfig:
    """A pytest-lsp config for the real server; ``env`` is added to this process's environment."""
    return ClientServerConfig(server_command=SERVER_COMMAND, server_env={**os.environ, **env})


def require_model(name: str) -> None:
    """Skip with the fix when a test model has not been fetched (scripts/dev.sh test fetches them)."""
    entry = load_catalog().get(name)
    path = model_file(entry)
    if not path.is_file() or not is_verified(path, entry.sha256, entry.size):
        pytest.skip(f"model {name} not fetched: run `iquest-lsp model fetch {name}`")


def initialize_params(root: Path, **options) -> types.InitializeParams:
    """InitializeParams with work-done progress support and our settings.

    Tests are not timed: a generous generation budget keeps a loaded machine from turning a slow
    answer into an empty one, and whole answers are waited for rather than their first lines (the
    deadline and first-lines behaviours have their own tests). KV snapshots stay in RAM (the disk has its own tests).
    """
    options.setdefault("generationTimeoutMs", 120000)
    options.setdefault("firstLinesMs", 0)
    options.setdefault("kvSnapshotDiskMb", 0)  # no test sees what another one left on disk
    return types.InitializeParams(
        capabilities=types.ClientCapabilities(
            window=types.WindowClientCapabilities(work_done_progress=True),
            text_document=types.TextDocumentClientCapabilities(
                inline_completion=types.InlineCompletionClientCapabilities(),
            ),
        ),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options={"iquest": options},
    )


async def status(client: LanguageClient) -> dict:
    """The server's iquest.status payload."""
    request = client.workspace_execute_command_async(types.ExecuteCommandParams(command="iquest.status"))
    return await asyncio.wait_for(request, 30)


async def status_when(
    client: LanguageClient, ready: Callable[[dict], bool], what: str, timeout: float, every: float = 0.1
) -> dict:
    """Poll iquest.status until ``ready`` holds for it; TimeoutError naming ``what`` after ``timeout`` s."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        current = await status(client)
        if ready(current):
            return current
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{what} after {timeout} s: {current}")
        await asyncio.sleep(every)


async def wait_until_loaded(client: LanguageClient, timeout: float = 120) -> dict:
    """Poll iquest.status until the model is ready or failed."""
    return await status_when(
        client, lambda current: current["state"] in ("ready", "failed"), "model still loading", timeout
    )


def open_document(client: LanguageClient, path: Path, text: str, language: str, version: int = 1) -> str:
    """Send didOpen; return the URI."""
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)
        )
    )
    return uri


def inline_params(uri: str, line: int, character: int) -> types.InlineCompletionParams:
    """An automatic inline completion request, as VS Code sends while typing."""
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
    )


def end_of(text: str) -> tuple[int, int]:
    """Line and UTF-16 column of the end of ``text``."""
    lines = text.split("\n")
    return len(lines) - 1, len(lines[-1].encode("utf-16-le")) // 2


def items_of(answer) -> list:
    """Items of an inlineCompletion answer (list or InlineCompletionList)."""
    if answer is None:
        return []
    return list(answer.items if isinstance(answer, types.InlineCompletionList) else answer)
