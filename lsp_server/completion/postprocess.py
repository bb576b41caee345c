"""Turn raw model output into the ghost text a user wants to accept."""

from __future__ import annotations

from collections.abc import Callable

from lsp_server.completion.suggestion_scan import screen

_CLOSERS = ")]}\"'`;,:"
_OPENER_OF = {")": "(", "]": "[", "}": "{"}
_QUOTES = "\"'`"
_REPEAT_LIMIT = 3


def is_mid_line(line_suffix: str) -> bool:
    """True when the rest of the cursor's line holds more than whitespace and closing characters."""
    rest = line_suffix.split("\n", 1)[0]
    return any(not ch.isspace() and ch not in _CLOSERS for ch in rest)


def clean_completion(
    text: str,
    *,
    prefix: str,
    suffix: str,
    multiline: bool,
    max_lines: int = 16,
    scan: bool = False,
    close_brackets: bool = False,
) -> str:
    """Cut the completion to the current line or block, drop what repeats the suffix, strip it.

    With ``close_brackets`` a single line that leaves a bracket open (``raise Error(`` and the
    arguments below) runs on to the line that closes it, within ``max_lines``.
    With ``scan`` a suggestion that completes one of the worst patterns is cut before that line, or
    dropped when it is the first (see completion.suggestion_scan).
    """
    text = text.replace("\r", "")
    prefix = prefix.replace("\r", "")
    suffix = suffix.replace("\r", "")
    cursor_line = prefix.rsplit("\n", 1)[-1]
    line_suffix = suffix.split("\n", 1)[0]

    if is_mid_line(line_suffix):
        text = text.split("\n", 1)[0]
    elif not multiline:
        text = "\n".join(text.split("\n")[: (statement_lines(text, max_lines) or 1) if close_brackets else 1])
    lines = text.split("\n")
    if len(lines) > 1:
        lines = lines[: _block_end(lines, cursor_line, max_lines)]
        lines = lines[: _suffix_repeat_start(lines, cursor_line, suffix)]
    text = "\n".join(lines).rstrip()
    trimmed = _trim_suffix_overlap(text, cursor_line, line_suffix)
    # Spaces before text that is already on the line (`foo(a, |bar)`) belong to the suggestion.
    text = trimmed.rstrip("\n") if trimmed != text else text
    if scan:
        text = screen(text, cursor_line)
    return text if text.strip() else ""


def open_brackets(text: str) -> int:
    """How many more brackets ``text`` opens than it closes, outside its string literals.

    A quote with no partner later on its line (a Rust lifetime ``&'a``, an apostrophe) opens no string;
    only a backtick's string goes on past the line's end.
    """
    depth, quote, escaped = 0, "", False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote or (ch == "\n" and quote != "`"):
                quote = ""
        elif ch in _QUOTES:
            line_end = text.find("\n", i)
            if ch == "`" or text.find(ch, i + 1, len(text) if line_end < 0 else line_end) != -1:
                quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth


def statement_lines(text: str, max_lines: int) -> int | None:
    """How many lines of ``text`` make its first statement: 1 when the first line leaves no bracket open, else
    up to the line that closes them; None when none of its first ``max_lines`` lines does."""
    lines = text.split("\n")
    if open_brackets(lines[0]) <= 0:
        return 1
    for count in range(2, min(len(lines), max(1, max_lines)) + 1):
        if open_brackets("\n".join(lines[:count])) <= 0:
            return count
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _block_end(lines: list[str], cursor_line: str, max_lines: int) -> int:
    """How many completion lines stay in the cursor's block, under the line cap, before a loop."""
    if cursor_line and not cursor_line.strip():
        base = len(cursor_line)
    elif cursor_line:
        base = _indent(cursor_line)
    else:
        base = _indent(lines[0])
    end = min(len(lines), max(1, max_lines))
    # The first completion line continues the cursor line, so compare it as the whole line.
    full = [cursor_line + lines[0], *lines[1:end]]
    run_line, run_start, run_length = full[0].rstrip(), 0, 1 if full[0].strip() else 0
    for i in range(1, end):
        line = full[i]
        if not line.strip():
            continue  # blank lines neither end a block nor break a run of repeats
        if _indent(line) < base:
            return i
        if line.rstrip() == run_line:
            run_length += 1
            if run_length >= _REPEAT_LIMIT:
                return run_start + 1  # the model is looping: keep one copy
        else:
            run_line, run_start, run_length = line.rstrip(), i, 1
    return end


def repeats_code_below(cursor_line: str, suffix: str) -> Callable[[str], bool] | None:
    """A check that the cut of the code below the cursor would leave nothing of a completion: its first non-blank
    complete line is that code's first line.

    None when the rest of the cursor's line holds code (no line below to repeat). A line is complete
    when a newline follows it: pass the finished text with ``"\n"`` added.
    """
    below = _line_below(suffix)
    if below is None:
        return None

    def repeats(text: str) -> bool:
        lines = text.split("\n")[:-1]  # the last one may still grow
        if not lines:
            return False
        full = _whole_lines(lines, cursor_line)
        cut = _index_of_line(full, below)
        return cut < len(full) and not any(line.strip() for line in full[:cut])

    return repeats


def _line_below(suffix: str) -> str | None:
    """The first line of code after the cursor's line, right-stripped; None when the cursor's line goes on."""
    first, _, rest = suffix.partition("\n")
    if first.strip():
        return None
    return next((line.rstrip() for line in rest.split("\n") if line.strip()), None)


def _whole_lines(lines: list[str], cursor_line: str) -> list[str]:
    """The completion's lines as they stand in the document: the first one continues the cursor's line."""
    return [cursor_line + lines[0], *lines[1:]]


def _index_of_line(full: list[str], below: str | None) -> int:
    """Index of the first of ``full`` that is ``below`` (indentation included), else ``len(full)``."""
    return next((i for i, line in enumerate(full) if line.strip() and line.rstrip() == below), len(full))


def _suffix_repeat_start(lines: list[str], cursor_line: str, suffix: str) -> int:
    """Index of the first completion line that repeats the code right after the cursor."""
    line_rest = suffix.split("\n", 1)[0].strip()
    if line_rest:
        # The rest of the cursor's line (only closers here, or we would be single-line):
        # a later completion line holding just those closers is the model writing them itself.
        return next((i for i in range(1, len(lines)) if lines[i].strip() == line_rest), len(lines))
    # Whole lines must match with their indentation: a "}" closing a block the completion
    # opened is not the suffix's "}" that closes the enclosing one.
    return _index_of_line(_whole_lines(lines, cursor_line), _line_below(suffix))


def _trim_suffix_overlap(text: str, cursor_line: str, line_suffix: str) -> str:
    """Drop the end of ``text`` that duplicates the start of the rest of the cursor's line."""
    for k in range(min(len(line_suffix), len(text)), 0, -1):
        overlap = line_suffix[:k]
        if text.endswith(overlap) and _is_duplicate(overlap, text, cursor_line + text + line_suffix):
            return text[:-k]
    return text


def _is_duplicate(overlap: str, text: str, joined: str) -> bool:
    """True when keeping ``overlap`` would leave the line with closers or quotes it cannot match.

    ``joined`` is the cursor line, the completion and the rest of the line. A closer is a
    duplicate only when the joined text closes more than it opens *and* the completion itself
    has unmatched closers: ``print(|)`` + ``len(x)`` stays, ``print(|)`` + ``"hi")`` loses ``)``.
    """
    for closer, opener in _OPENER_OF.items():
        need = overlap.count(closer)
        if need and (
            joined.count(closer) - joined.count(opener) < need or text.count(closer) - text.count(opener) < need
        ):
            return False
    for quote in _QUOTES:
        in_overlap = overlap.count(quote)
        if in_overlap and (joined.count(quote) % 2 == 0 or in_overlap % 2 == 0):
            return False
    return True
