"""`iquest-lsp demo`: drive a real LSP session against the server and print the ghost text."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from lsprotocol import types
from pygls.lsp.client import LanguageClient

DEMO_PROJECT = Path(__file__).resolve().parent / "demo_project"
DEMO_FILE = DEMO_PROJECT / "shapes.py"
_LANGUAGES = {".py": "python", ".js": "javascript", ".ts": "typescript", ".go": "go", ".rs": "rust", ".java": "java", ".c": "c", ".cpp": "cpp"}


@dataclass(frozen=True)
class Target:
    """Where to ask for a completion: a file and a 0-based line/column."""

    path: Path
    line: int
    column: int


def parse_target(spec: str | None) -> Target:
    """Parse ``FILE[:LINE:COL]`` (1-based, as editors show them); no spec means the sample project."""
    if not spec:
        lines = DEMO_FILE.read_text(encoding="utf-8").split("\n")
        line = next(i for i, text in enumerate(lines) if "Length of the circle" in text) + 1
        return Target(DEMO_FILE, line, len(lines[line]))
    parts = spec.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        path, line, column = Path(parts[0]), int(parts[1]) - 1, int(parts[2]) - 1
    else:
        path = Path(spec)
        lines = path.read_text(encoding="utf-8").split("\n")
        line, column = len(lines) - 1, len(lines[-1])
    if line < 0 or column < 0:
        raise ValueError(f"LINE and COL are 1-based: {spec}")
    return Target(path.resolve(), line, column)


def _server_command() -> list[str]:
    return [sys.executable, "-m", "lsp_server", "serve", "--stdio"]


async def _drain(stream: asyncio.StreamReader | None, sink: TextIO | None) -> None:
    """Keep reading the server's stderr so its log can never fill the pipe and block it."""
    if stream is None:
        return
    while line := await stream.readline():
        if sink is not None:
            sink.write(line.decode("utf-8", errors="replace"))


async def run_demo(target: Target, *, model: str | None, out: TextIO, verbose: bool = False) -> int:
    """Open ``target`` in a real LSP session, request ghost text twice (cold, warm) and print it."""
    client = LanguageClient("iquest-demo", "1")
    messages: list[str] = []
    loaded = asyncio.Event()

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def show_message(params: types.ShowMessageParams) -> None:
        messages.append(params.message)
        out.write(f"[server] {params.message}\n")
        loaded.set()

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def create_progress(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    @client.feature(types.PROGRESS)
    def progress(params: types.ProgressParams) -> None:
        value = params.value
        kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
        message = value.get("message") if isinstance(value, dict) else getattr(value, "message", None)
        if message:
            out.write(f"[progress] {message}\n")
        if kind == "end":
            loaded.set()

    command = _server_command()
    await client.start_io(*command)
    drain = asyncio.create_task(_drain(client._server.stderr, sys.stderr if verbose else None))
    text = target.path.read_text(encoding="utf-8")
    uri = target.path.as_uri()
    root = DEMO_PROJECT if target.path.is_relative_to(DEMO_PROJECT) else target.path.parent
    try:
        options = {"iquest": {"model": model}} if model else {}
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(window=types.WindowClientCapabilities(work_done_progress=True)),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
                initialization_options=options,
            )
        )
        client.initialized(types.InitializedParams())
        started = time.perf_counter()
        await asyncio.wait_for(loaded.wait(), timeout=600)
        out.write(f"model ready in {(time.perf_counter() - started) * 1000:.0f} ms\n")
        if messages:
            return 1
        language = _LANGUAGES.get(target.path.suffix, "plaintext")
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text))
        )
        position = types.Position(line=target.line, character=target.column)
        rel = target.path.relative_to(root)
        out.write(f"{rel}:{target.line + 1}:{target.column + 1}\n")
        shown = _context(text, target)
        out.write(shown)
        results = []
        for label in ("cold", "warm"):
            started = time.perf_counter()
            answer = await client.text_document_inline_completion_async(
                types.InlineCompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=position,
                    context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
                )
            )
            elapsed = (time.perf_counter() - started) * 1000
            items = answer.items if isinstance(answer, types.InlineCompletionList) else (answer or [])
            suggestion = items[0].insert_text if items else ""
            results.append(suggestion)
            out.write(f"{label} request: {elapsed:.0f} ms\n")
        if not results[0]:
            out.write("no suggestion at this position\n")
            return 1
        out.write("suggestion (ghost text):\n")
        for line in str(results[0]).split("\n"):
            out.write(f"  │ {line}\n")
        return 0
    finally:
        try:
            await asyncio.wait_for(client.shutdown_async(None), timeout=10)
            client.exit(None)
        except Exception:
            pass
        try:
            await asyncio.wait_for(client.stop(), timeout=10)
        except Exception:
            client._server.kill()
        drain.cancel()


def _context(text: str, target: Target) -> str:
    """A few lines around the cursor with a ▌ where the ghost text goes."""
    lines = text.split("\n")
    first = max(0, target.line - 4)
    shown = []
    for number in range(first, min(len(lines), target.line + 3)):
        line = lines[number]
        if number == target.line:
            line = line[: target.column] + "▌" + line[target.column :]
        shown.append(f"  {number + 1:4d} {line}\n")
    return "".join(shown)


def main(spec: str | None, model: str | None, out: TextIO, verbose: bool = False) -> int:
    """Entry point for the CLI."""
    try:
        target = parse_target(spec)
    except (OSError, ValueError, StopIteration) as exc:
        out.write(f"cannot open {spec}: {exc}\n")
        return 2
    return asyncio.run(run_demo(target, model=model, out=out, verbose=verbose))
