"""LSP positions: (line, column) in the agreed position encoding to and from offsets in Python characters.

Lines are LSP's: they end at "\\n", "\\r\\n" or "\\r" and nowhere else (not at the other breaks str.splitlines knows,
such as "\\f" or "\\u2028"), and a column counts the units of the line's text without its line break.
"""

from __future__ import annotations

import re

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # a line with its break, or the last one without


def _units(char: str, encoding: str) -> int:
    """Columns one character takes in the position encoding the client and server agreed on."""
    code = ord(char)
    if encoding == UTF8:
        return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    if encoding == UTF32:
        return 1
    return 2 if code > 0xFFFF else 1


def columns(text: str, encoding: str = UTF16) -> int:
    """How many columns ``text`` (part of one line) takes in ``encoding``."""
    return sum(_units(char, encoding) for char in text)


def split_lines(text: str) -> list[str]:
    """``text``'s LSP lines, each with its line break; like str.splitlines(keepends=True) but for LSP's breaks only."""
    return _LINE.findall(text)


def line_bounds(text: str, line: int) -> tuple[int, int] | None:
    """Offsets of the start of LSP line ``line`` and of its end (before its line break); None past the last line."""
    if line < 0:
        return None
    start = 0
    if "\r" not in text:  # the common case, at str.split's speed
        before = text.split("\n", line)
        if len(before) <= line:
            return None
        start = len(text) - len(before[-1])
        end = text.find("\n", start)
        return start, len(text) if end < 0 else end
    if line > 0:
        before = _LINE_BREAK.split(text, maxsplit=line)
        if len(before) <= line:
            return None
        start = len(text) - len(before[-1])
    following = _LINE_BREAK.search(text, start)
    return start, len(text) if following is None else following.start()


def position_at(text: str, offset: int, encoding: str = UTF16) -> tuple[int, int]:
    """(line, column) of a character offset, as LSP counts them in ``encoding``.

    An offset between the "\\r" and the "\\n" of a line break (which no LSP position denotes) is the end of its line.
    """
    before = text[:offset]
    if before.endswith("\r") and text.startswith("\n", offset):
        before = before[:-1]
    line = before.count("\n") + before.count("\r") - before.count("\r\n")
    start = max(before.rfind("\n"), before.rfind("\r")) + 1
    return line, columns(before[start:], encoding)


def offset_at(text: str, line: int, character: int, encoding: str = UTF16) -> int:
    """Character offset of an LSP position; raises ValueError past the last line, clamps the column to the line's
    end (before its line break)."""
    bounds = line_bounds(text, line) if character >= 0 else None
    if bounds is None:
        if line >= 0 and character == 0 and line_bounds(text, line - 1) is not None:
            return len(text)  # the position just past the last line
        lines = len(_LINE_BREAK.findall(text)) + 1
        raise ValueError(f"position {line}:{character} is outside the document ({lines} lines)")
    start, end = bounds
    units = 0
    for index in range(start, end):
        if units >= character:
            return index
        units += _units(text[index], encoding)
    return end


def clamped_offset_at(text: str, line: int, character: int, encoding: str = UTF16) -> int:
    """offset_at, but a position past the last line is the end of the text (as editors apply an edit there)."""
    try:
        return offset_at(text, line, character, encoding)
    except ValueError:
        return 0 if line < 0 else len(text)


def chars_in_units(text: str, units: int, encoding: str = UTF16) -> int | None:
    """How many characters of ``text`` fill its first ``units`` columns; None past the end or inside a character."""
    if units < 0:
        return None
    counted = 0
    for index, char in enumerate(text):
        if counted == units:
            return index
        counted += _units(char, encoding)
        if counted > units:
            return None
    return len(text) if counted == units else None
