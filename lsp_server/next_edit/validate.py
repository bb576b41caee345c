"""Whether a model's rewrite of a region is a prediction worth showing, and the one change it makes."""

from __future__ import annotations

from dataclasses import dataclass

from lsp_server.actions.syntax import error_count
from lsp_server.actions.textedit import TextChange, line_changes
from lsp_server.context.tokens import identifiers
from lsp_server.next_edit.history import Edit, common_ends
from lsp_server.next_edit.regions import Region, touched_names

# A prediction changes at most this many lines of the region (old or new); more is a rewrite, not a next edit.
MAX_CHANGED_LINES = 6


@dataclass(frozen=True)
class Verdict:
    """The change to the current text (None when rejected) and why it was kept or rejected."""

    change: TextChange | None
    reason: str


def line_starts(text: str) -> list[int]:
    """The offset of each line's start, plus the text's length."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def region_text(text: str, region: Region) -> str:
    """The region's lines as they are now."""
    starts = line_starts(text)
    return text[starts[min(region.start, len(starts) - 1)] : starts[min(region.end, len(starts) - 1)]]


def _narrowed(old: str, change: TextChange) -> TextChange:
    """The change without the characters it leaves as they are at its start and end."""
    removed, added = old[change.start : change.end], change.new_text
    head, tail = common_ends(removed, added)
    return TextChange(change.start + head, change.end - tail, added[head : len(added) - tail])


def _is_undo(last: Edit, removed: str, added: str) -> bool:
    """True when the change brings back a name the last edit took away in place of one it brought in."""
    taken, brought = touched_names(last)
    gone, back = (
        set(identifiers(removed)) - set(identifiers(added)),
        set(identifiers(added)) - set(identifiers(removed)),
    )
    return bool(gone & brought) and bool(back & taken)


def _line_pairs(old: str, changes: tuple[TextChange, ...]) -> list[tuple[str, str]]:
    """Each change's old and new lines side by side when it keeps the line count, else as whole blocks."""
    pairs: list[tuple[str, str]] = []
    for change in changes:
        before, after = old[change.start : change.end].splitlines(), change.new_text.splitlines()
        pairs += (
            list(zip(before, after, strict=True))
            if len(before) == len(after)
            else [("\n".join(before), "\n".join(after))]
        )
    return pairs


def check(text: str, region: Region, answer: str, language: str | None, last: Edit, before_last: str | None) -> Verdict:
    """Keep the answer only if it is small, non-empty, not an undo of ``last`` and adds no syntax error."""
    old = region_text(text, region)
    if not answer.strip():
        return Verdict(None, "empty")
    changes = line_changes(old, answer)
    if not changes:
        return Verdict(None, "unchanged")
    if all(not old[c.start : c.end].strip() and not c.new_text.strip() for c in changes):
        return Verdict(None, "blank lines")  # a model that drops or adds blank lines has not made an edit
    removed_lines = sum(old[c.start : c.end].count("\n") for c in changes)
    added_lines = sum(c.new_text.count("\n") for c in changes)
    if max(removed_lines, added_lines) > MAX_CHANGED_LINES:
        return Verdict(None, "too big")
    first, final = changes[0], changes[-1]
    tail = len(old) - final.end
    merged = _narrowed(old, TextChange(first.start, final.end, answer[first.start : len(answer) - tail]))
    offset = line_starts(text)[min(region.start, len(line_starts(text)) - 1)]
    change = TextChange(merged.start + offset, merged.end + offset, merged.new_text)
    new_text = text[: change.start] + change.new_text + text[change.end :]
    undone = any(_is_undo(last, removed, added) for removed, added in _line_pairs(old, changes))
    if new_text == before_last or undone:
        return Verdict(None, "undo")
    if language is not None and error_count(new_text, language) > error_count(text, language):
        return Verdict(None, "syntax")
    return Verdict(change, "ok")
