"""Minimal text edits: changed line ranges between two texts, UTF-16 positions, application."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TextChange:
    """Replace ``old_text[start:end]`` with ``new_text`` (offsets in Python characters)."""

    start: int
    end: int
    new_text: str


@dataclass(frozen=True)
class FileEdit:
    """The changes to one file, against the text they were computed from."""

    uri: str
    path: Path | None
    old_text: str
    changes: tuple[TextChange, ...]
    version: int | None = None  # the open document's version, None for a file on disk
    create: bool = False

    @property
    def new_text(self) -> str:
        """The file's text once the changes are applied."""
        return apply_changes(self.old_text, self.changes)


def line_changes(old: str, new: str) -> tuple[TextChange, ...]:
    """Changes that turn ``old`` into ``new``, one per changed run of lines (never the whole file)."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    starts = [0]
    for line in old_lines:
        starts.append(starts[-1] + len(line))
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    changes = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changes.append(TextChange(starts[i1], starts[i2], "".join(new_lines[j1:j2])))
    return tuple(changes)


def apply_changes(text: str, changes: tuple[TextChange, ...] | list[TextChange]) -> str:
    """Apply non-overlapping changes (any order) to ``text``."""
    out, last = [], 0
    for change in sorted(changes, key=lambda c: (c.start, c.end)):
        if change.start < last or change.end > len(text) or change.start > change.end:
            raise ValueError(f"overlapping or out-of-range change at {change.start}")
        out += [text[last : change.start], change.new_text]
        last = change.end
    out.append(text[last:])
    return "".join(out)


UTF16 = "utf-16"


def _units(char: str, encoding: str) -> int:
    """Columns one character takes in the position encoding the client and server agreed on."""
    code = ord(char)
    if encoding == "utf-8":
        return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    if encoding == "utf-32":
        return 1
    return 2 if code > 0xFFFF else 1


def position_at(text: str, offset: int, encoding: str = UTF16) -> tuple[int, int]:
    """(line, column) of a character offset, as LSP counts them in ``encoding``."""
    before = text[:offset]
    line = before.count("\n")
    return line, sum(_units(char, encoding) for char in before[before.rfind("\n") + 1 :])


def offset_at(text: str, line: int, character: int, encoding: str = UTF16) -> int:
    """Character offset of an LSP position; raises ValueError past the last line, clamps the column."""
    lines = text.split("\n")
    if line < 0 or character < 0 or line >= len(lines) and not (line == len(lines) and character == 0):
        raise ValueError(f"position {line}:{character} is outside the document ({len(lines)} lines)")
    if line == len(lines):
        return len(text)
    start = sum(len(part) + 1 for part in lines[:line])
    units = 0
    for index, char in enumerate(lines[line]):
        if units >= character:
            return start + index
        units += _units(char, encoding)
    return start + len(lines[line])
