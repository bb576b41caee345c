"""Which lines an action sends to the model and how the answer is fitted back in."""

from __future__ import annotations

from lsp_server.actions.syntax import error_count


def whole_lines(text: str, start: int, end: int) -> tuple[int, int]:
    """Extend [start, end) to whole lines (a selection ending at a line start keeps that line out)."""
    line_start = text.rfind("\n", 0, start) + 1
    if end > start and text[end - 1 : end] == "\n":
        return line_start, end
    newline = text.find("\n", end)
    return line_start, len(text) if newline < 0 else newline + 1


def lines_around(text: str, offset: int, before: int, after: int) -> tuple[int, int]:
    """Whole lines from ``before`` lines above the offset's line to ``after`` lines below it."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    row = text.count("\n", 0, offset)
    first, last = max(0, row - before), min(len(starts) - 1, row + after + 1)
    return starts[first], starts[last]


def _indent_of(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line[: len(line) - len(line.lstrip(" \t"))]
    return ""


def reindent(original: str, code: str) -> str:
    """``code`` moved to the indentation of ``original`` (models often dedent a snippet), ending like it."""
    want, have = _indent_of(original), _indent_of(code)
    if want != have:
        lines = []
        for line in code.splitlines():
            if line.strip():
                line = want + (line[len(have) :] if line.startswith(have) else line.lstrip(" \t"))
            lines.append(line)
        code = "\n".join(lines)
    code = code.rstrip("\n")
    return code + "\n" if original.endswith("\n") else code


def trim_to_parse(code: str, language: str, max_drop: int = 40) -> str:
    """``code`` without its last lines until it parses (an answer cut off by the token limit)."""
    lines = code.rstrip("\n").split("\n")
    for _ in range(min(max_drop, len(lines))):
        # tree-sitter accepts an empty block at the end of the text, so an opener there counts as cut off too.
        if (
            not lines[-1].rstrip().endswith((":", "{", "(", "[", ",", "\\"))
            and error_count("\n".join(lines) + "\n", language) == 0
        ):
            break
        lines.pop()
    return "\n".join(lines)
