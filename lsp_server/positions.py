"""LSP positions: (line, column) in the agreed position encoding to and from offsets in Python characters."""

from __future__ import annotations

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"


def _units(char: str, encoding: str) -> int:
    """Columns one character takes in the position encoding the client and server agreed on."""
    code = ord(char)
    if encoding == UTF8:
        return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    if encoding == UTF32:
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
