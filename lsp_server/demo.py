"""`iquest-lsp demo`: drive a real LSP session against the server and print the ghost text."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from lsp_server.session_client import start_session

DEMO_PROJECT = Path(__file__).resolve().parent / "demo_project"
DEMO_FILE = DEMO_PROJECT / "shapes.py"
LANGUAGES = {
    ".py": "python",
    ".js": "javascript",
    ".ts": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".cpp": "cpp",
}


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
        path.read_text(encoding="utf-8")
    else:
        path = Path(spec)
        lines = path.read_text(encoding="utf-8").split("\n")
        line, column = len(lines) - 1, len(lines[-1])
    if line < 0 or column < 0:
        raise ValueError(f"LINE and COL are 1-based: {spec}")
    return Target(path.resolve(), line, column)


def _context(text: str, target: Target) -> str:
    """A few lines around the cursor with a ▌ where the ghost text goes."""
    lines = text.split("\n")
    shown = []
    for number in range(max(0, target.line - 4), min(len(lines), target.line + 3)):
        line = lines[number]
        if number == target.line:
            line = line[: target.column] + "▌" + line[target.column :]
        shown.append(f"  {number + 1:4d} {line}\n")
    return "".join(shown)


async def run_demo(target: Target, *, model: str | None, out: TextIO, verbose: bool = False) -> int:
    """Open ``target`` in a real LSP session, request ghost text twice (cold, warm) and print it."""
    root = DEMO_PROJECT if target.path.is_relative_to(DEMO_PROJECT) else target.path.parent
    started = time.perf_counter()
    # A cold first request on a busy laptop can take several seconds; the demo shows it rather than
    # cutting it off at the interactive default budget.
    options = {"generationTimeoutMs": 30000, **({"model": model} if model else {})}
    session = await start_session(root, options, log=sys.stderr if verbose else None, echo=out)
    try:
        out.write(f"model ready in {(time.perf_counter() - started) * 1000:.0f} ms\n")
        if session.messages:
            return 1
        text = target.path.read_text(encoding="utf-8")
        uri = session.open(target.path, text, LANGUAGES.get(target.path.suffix, "plaintext"))
        out.write(f"{target.path.relative_to(root)}:{target.line + 1}:{target.column + 1}\n")
        out.write(_context(text, target))
        suggestions = []
        for label in ("cold", "warm"):
            started = time.perf_counter()
            suggestions.append(await session.inline(uri, target.line, target.column))
            out.write(f"{label} request: {(time.perf_counter() - started) * 1000:.0f} ms\n")
        if not suggestions[0]:
            out.write("no suggestion at this position\n")
            return 1
        out.write("suggestion (ghost text):\n")
        for line in suggestions[0].split("\n"):
            out.write(f"  │ {line}\n")
        return 0
    finally:
        await session.close()


def main(spec: str | None, model: str | None, out: TextIO, verbose: bool = False) -> int:
    """Entry point for the CLI."""
    try:
        target = parse_target(spec)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        out.write(f"cannot open {spec}: {exc}\n")
        return 2
    return asyncio.run(run_demo(target, model=model, out=out, verbose=verbose))
