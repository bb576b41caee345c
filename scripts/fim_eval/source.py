"""What the task cutter needs to know about one source file, whatever its language, and which files qualify."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

EXTENSIONS = {
    "python": (".py",),
    "javascript": (".js", ".mjs", ".cjs"),
    "typescript": (".ts", ".tsx"),
    "rust": (".rs",),
}
MAX_FILE_BYTES = 200_000
SKIPPED_FOLDERS = frozenset(
    {
        "test",
        "tests",
        "testing",
        "__tests__",
        "fixtures",
        "fixture",
        "vendor",
        "vendored",
        "third_party",
        "node_modules",
        "benches",
        "benchmarks",
        "examples",
        "dist",
        "build",
    }
)
_SKIPPED_NAMES = re.compile(r"(\.min\.|\.d\.ts$|\.test\.|\.spec\.|^test_|_test\.|^conftest\.py$|^build\.rs$)")
_GENERATED = re.compile(r"@generated|do not edit|auto-?generated|code generated", re.IGNORECASE)


@dataclass
class Facts:
    """One file's text and the places tasks can be cut at (0-based lines, str-index columns)."""

    path: str  # relative to the workspace, with "/"
    text: str
    statements: dict[int, int] = field(default_factory=dict)  # line -> column where a statement starts the line's code
    commented: set[int] = field(default_factory=set)  # lines that hold (part of) a comment
    identifiers: list[tuple[int, int, int]] = field(default_factory=list)  # line, start, end of an identifier
    punctuation: list[tuple[int, int]] = field(default_factory=list)  # line, column right after a PUNCTUATION token
    blocks: list[tuple[int, int, list[int]]] = field(
        default_factory=list
    )  # block body: first line, its column, last lines of its statements
    imported_uses: dict[int, int] = field(
        default_factory=dict
    )  # line -> column of its first use of a project-local import

    @cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")


PUNCTUATION = frozenset({"=", "(", "[", "{", ".", ",", ":", "::", "=>", "->", ":=", "==", "+=", "-="})


def source_files(workspace: Path, language: str) -> dict[str, str]:
    """Workspace-relative path -> text of the files the tasks may come from, in sorted order."""
    files = {}
    for file in sorted(workspace.rglob("*")):
        relative = file.relative_to(workspace)
        if not file.is_file() or not file.name.endswith(EXTENSIONS[language]):
            continue
        if any(
            part.startswith(".") or part in SKIPPED_FOLDERS for part in relative.parts[:-1]
        ) or _SKIPPED_NAMES.search(file.name):
            continue
        if file.stat().st_size > MAX_FILE_BYTES:
            continue
        try:
            text = file.read_bytes().decode("utf-8")  # not read_text: it would turn \r\n into \n
        except UnicodeDecodeError:
            continue
        if "\r" in text or _looks_generated(text):
            continue
        files[relative.as_posix()] = text
    return files


def _looks_generated(text: str) -> bool:
    lines = text.split("\n")
    if _GENERATED.search("\n".join(lines[:5])):
        return True
    return any(len(line) > 1000 for line in lines)  # minified or a bundled blob
