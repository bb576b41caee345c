"""Single- or multi-line suggestions, and when to stop generating."""

from __future__ import annotations

from collections.abc import Callable

from lsp_server.completion.postprocess import clean_completion, is_mid_line, statement_lines
from lsp_server.settings import Settings

_BLOCK_OPENERS = (":", "{", "(", "[", "=>", "->")


def wants_multiline(mode: str, line_prefix: str, line_suffix: str) -> bool:
    """Decide single- or multi-line from the setting and the cursor's line."""
    if mode == "never" or is_mid_line(line_suffix):
        return False
    if mode == "always":
        return True
    stripped = line_prefix.rstrip()
    return not stripped or stripped.endswith(_BLOCK_OPENERS)


def closes_brackets(mode: str, suffix: str) -> bool:
    """Whether a single-line suggestion before ``suffix`` may run on to close the brackets its first line opens."""
    return mode != "never" and not is_mid_line(suffix)


def cleaner(prefix: str, suffix: str, multiline: bool, settings: Settings) -> Callable[[str], str]:
    """How a continuation between ``prefix`` and ``suffix`` becomes the ghost text the settings ask for."""

    def clean(raw: str) -> str:
        return clean_completion(
            raw,
            prefix=prefix,
            suffix=suffix,
            multiline=multiline,
            max_lines=settings.max_lines,
            scan=settings.scan_suggestions,
            close_brackets=closes_brackets(settings.multiline, suffix),
        )

    return clean


def multiline_at(mode: str, text: str, offset: int) -> bool:
    """Decide single- or multi-line for ``offset`` in ``text`` from the setting and the cursor's line."""
    line_prefix = text[text.rfind("\n", 0, offset) + 1 : offset]
    return wants_multiline(mode, line_prefix, text[offset:].split("\n", 1)[0])


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def early_stop(
    multiline: bool, line_prefix: str, max_lines: int, close_brackets: bool = False
) -> Callable[[str], bool]:
    """Stop generating once the cleaned text cannot grow any more."""
    opens_block = line_prefix.rstrip().endswith(_BLOCK_OPENERS)
    base = _indent(line_prefix) + (1 if opens_block else 0)

    def single(text: str) -> bool:
        text = text.lstrip("\n")
        end = text.rfind("\n")
        if end < 0:
            return False
        if not close_brackets:
            return True
        complete = text[:end]  # a statement left open goes on to the line that closes it
        return statement_lines(complete, max_lines) is not None or complete.count("\n") + 1 >= max_lines

    def multi(text: str) -> bool:
        lines = text.split("\n")
        if len(lines) > max_lines + 1:
            return True
        # A complete later line indented below the cursor's block ends the block.
        return any(line.strip() and _indent(line) < base for line in lines[1:-1])

    return multi if multiline else single
