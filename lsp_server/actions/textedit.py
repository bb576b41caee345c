"""Minimal text edits: changed line ranges between two texts and their application."""

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
