"""Unified diffs from a model's answer: parse them and apply their hunks to the current text."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_FENCE = re.compile(r"^```")


class PatchError(ValueError):
    """A diff that does not parse or does not apply; the message says where and why."""


@dataclass(frozen=True)
class Hunk:
    """One ``@@`` block: its stated old start line (1-based) and its lines with their ' ', '-', '+' marks."""

    old_start: int
    lines: tuple[str, ...]

    @property
    def old(self) -> list[str]:
        return [line[1:] for line in self.lines if line[:1] in (" ", "-")]

    @property
    def new(self) -> list[str]:
        return [line[1:] for line in self.lines if line[:1] in (" ", "+")]


@dataclass(frozen=True)
class FilePatch:
    """The hunks for one file; ``old_path`` is None for a new file, ``new_path`` None for a deletion."""

    old_path: str | None
    new_path: str | None
    hunks: tuple[Hunk, ...]

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


def _strip_path(raw: str) -> str | None:
    path = raw.split("\t", 1)[0].strip()
    if path == "/dev/null":
        return None
    if path[:2] in ("a/", "b/"):
        path = path[2:]
    return path


def parse_diff(text: str) -> list[FilePatch]:
    """Every file patch in ``text`` (fences and prose around the diffs are ignored)."""
    patches: list[FilePatch] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not (line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ ")):
            index += 1
            continue
        old_path, new_path = _strip_path(line[4:]), _strip_path(lines[index + 1][4:])
        index += 2
        hunks: list[Hunk] = []
        while index < len(lines) and (match := _HUNK.match(lines[index])):
            index += 1
            body: list[str] = []
            while index < len(lines):
                current = lines[index]
                if (
                    _HUNK.match(current)
                    or _FENCE.match(current)
                    or (current.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ "))
                ):
                    break
                if current.startswith("\\"):  # "\ No newline at end of file"
                    index += 1
                    continue
                if current == "":
                    current = " "  # an empty context line whose leading space was lost
                if current[0] not in " +-":
                    break
                body.append(current)
                index += 1
            while body and body[-1] == " ":  # trailing blank context is usually the model's padding
                body.pop()
            hunks.append(Hunk(int(match.group(1)), tuple(body)))
        if not hunks:
            raise PatchError(f"the diff for {new_path or old_path} has no @@ hunks")
        patches.append(FilePatch(old_path, new_path, tuple(hunks)))
    return patches


def _find(lines: list[str], needle: list[str], near: int, start: int) -> int | None:
    """Where ``needle`` occurs in ``lines`` at or after ``start`` (trailing whitespace ignored), nearest to ``near``."""
    if not needle:
        return min(max(near, start), len(lines))
    stripped = [line.rstrip() for line in lines]
    want = [line.rstrip() for line in needle]
    hits = [i for i in range(start, len(lines) - len(want) + 1) if stripped[i : i + len(want)] == want]
    return min(hits, key=lambda i: abs(i - near)) if hits else None


def apply_patch(text: str, patch: FilePatch, name: str = "") -> str:
    """Apply every hunk of ``patch`` to ``text``; raises PatchError naming the hunk that does not fit.

    A hunk's stated line number is only a hint (models get them wrong); its context and removed
    lines must occur exactly, apart from trailing whitespace.
    """
    label = name or patch.path
    lines = text.splitlines()
    trailing_newline = text.endswith("\n") or not text
    out: list[str] = []
    cursor = 0
    for number, hunk in enumerate(patch.hunks, 1):
        old = hunk.old
        at = _find(lines, old, max(hunk.old_start - 1, 0), cursor)
        if at is None:
            first = old[0].strip() if old else ""
            raise PatchError(
                f"hunk {number} of {label} does not apply: its context/removed lines (starting with {first!r}) "
                f"are not in the current text at or after line {cursor + 1}"
            )
        out += lines[cursor:at]
        original = iter(lines[at : at + len(old)])
        for line in hunk.lines:
            if line[:1] == "+":
                out.append(line[1:])
            else:  # context keeps the file's own line (the diff's may differ in trailing whitespace)
                kept = next(original)
                if line[:1] == " ":
                    out.append(kept)
        cursor = at + len(old)
    out += lines[cursor:]
    result = "\n".join(out)
    return result + "\n" if trailing_newline and out else result
