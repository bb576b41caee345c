"""Where the next edit may go: the lines that still use a name the last edit changed, else the lines after it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsp_server.actions.syntax import enclosing_definition
from lsp_server.context.languages import get_parser
from lsp_server.context.tokens import identifiers
from lsp_server.next_edit.history import Edit

MAX_REGION_LINES = 8
MAX_REGIONS = 2
# Uses this many lines apart or closer share one region; edited lines this close join a region.
_CLUSTER_GAP = 2
_EDIT_GAP = 3


@dataclass(frozen=True)
class Region:
    """Lines ``start`` to ``end`` (exclusive, 0-based) of the current text, and why they were chosen."""

    start: int
    end: int
    reason: str
    uses: bool = False  # the lines use a name the edit took away (else: the lines after the edit)


def touched_names(edit: Edit) -> tuple[frozenset[str], frozenset[str]]:
    """The names the edit took away and the names it brought in."""
    before, after = set(identifiers("\n".join(edit.before))), set(identifiers("\n".join(edit.after)))
    return frozenset(before - after), frozenset(after - before)


def rename_of(edit: Edit) -> tuple[str, str] | None:
    """The old and new name when the edit is a rename (one name taken away, one brought in)."""
    removed, added = touched_names(edit)
    if len(removed) != 1 or len(added) != 1:
        return None
    (old,), (new,) = removed, added
    return old, new


def renamed(region: str, edit: Edit) -> str:
    """``region`` with the edit's rename carried on (one name taken away, one brought in), else as it is: the
    likely answer when the next edit repeats the last. An attribute renamed (``.name``) is renamed where it is
    an attribute; a plain name where it is not."""
    names = rename_of(edit)
    if names is None:
        return region
    old, new = names
    attribute = re.search(rf"\.\s*{re.escape(old)}(?![\w$])", "\n".join(edit.before)) is not None
    before = r"(?<=\.)" if attribute else r"(?<![\w$.])"
    return re.sub(rf"{before}{re.escape(old)}(?![\w$])", lambda _: new, region)


def name_lines(text: str, language: str, names: frozenset[str]) -> list[int]:
    """The lines (0-based, sorted, unique) where tree-sitter finds an identifier spelled as one of ``names``."""
    if not names:
        return []
    wanted = {name.encode("utf-8") for name in names}
    root = get_parser(language).parse(text.encode("utf-8")).root_node
    lines: set[int] = set()
    cursor = root.walk()
    while True:
        node = cursor.node
        if node is not None and node.child_count == 0 and node.type.endswith("identifier") and node.text in wanted:
            lines.add(node.start_point.row)
        if cursor.goto_first_child() or cursor.goto_next_sibling():
            continue
        while cursor.goto_parent():
            if cursor.goto_next_sibling():
                break
        else:
            break
    return sorted(lines)


def _clusters(lines: list[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for line in lines:
        if spans and line - spans[-1][1] < _CLUSTER_GAP and line + 1 - spans[-1][0] <= MAX_REGION_LINES:
            spans[-1] = (spans[-1][0], line + 1)
        else:
            spans.append((line, line + 1))
    return spans


def _with_context(span: tuple[int, int], edited: range, line_count: int) -> tuple[int, int]:
    """The uses with the edited lines when they fit in one region (the model sees the new name there), else a line
    before; and a line after."""
    start, end = span
    if edited.start < start and start - edited.stop < _EDIT_GAP and end - edited.start <= MAX_REGION_LINES - 1:
        start = edited.start
    elif edited.start >= end and edited.start - end < _EDIT_GAP and edited.stop - start <= MAX_REGION_LINES - 1:
        end = edited.stop
    else:
        start = max(0, start - 1)
    return start, min(line_count, end + 1, start + MAX_REGION_LINES)


def _function_lines(text: str, language: str, edit: Edit, added: frozenset[str]) -> tuple[range, bool] | None:
    """The lines of the function the edit is in, and whether the edit is in its header (a parameter renamed);
    None outside a function or when the edit renamed the function itself (its uses are anywhere)."""
    lines = text.split("\n")
    if edit.line >= len(lines):
        return None
    line_start = sum(len(line) + 1 for line in lines[: edit.line])
    indent = len(lines[edit.line]) - len(lines[edit.line].lstrip())
    function = enclosing_definition(text, language, line_start + indent, functions_only=True)
    if function is None or function.name in added:
        return None
    first, last = text.count("\n", 0, function.start), text.count("\n", 0, function.end)
    body = text.count("\n", 0, function.body_start) if function.body_start is not None else last
    return range(first, last + 1), edit.line < body or (edit.line == body == first)


def _trimmed(text_lines: list[str], start: int, end: int) -> tuple[int, int]:
    """The span without blank lines at its ends (a model drops them, which is no edit)."""
    while end > start + 1 and not text_lines[end - 1].strip():
        end -= 1
    while start < end - 1 and not text_lines[start].strip():
        start += 1
    return start, end


def find_regions(text: str, language: str, edit: Edit, line_count: int) -> list[Region]:
    """Up to MAX_REGIONS regions: uses of the names the edit removed (nearest after it first), else the lines after.

    In a function, its own uses come first; a renamed parameter is looked for only in its function (the same
    name elsewhere is another variable)."""
    removed, added = touched_names(edit)
    edited = range(edit.line, edit.line + max(1, len(edit.after)))
    uses = [line for line in name_lines(text, language, removed) if line not in edited]
    scope = _function_lines(text, language, edit, added) if uses else None
    if scope is not None and scope[1]:
        uses = [line for line in uses if line in scope[0]]
    inside = scope[0] if scope is not None else range(0)
    spans = _clusters(uses)
    spans.sort(key=lambda span: (span[0] not in inside, span[0] < edit.line, abs(span[0] - edit.line)))
    text_lines = text.split("\n")
    regions = [
        Region(
            *_trimmed(text_lines, *_with_context(span, edited, line_count)),
            f"uses of {', '.join(sorted(removed))}",
            True,
        )
        for span in spans[:MAX_REGIONS]
    ]
    if regions:
        return regions
    # Nothing left to rename: the lines after the edit (a new field wants its assignment, a new parameter its use).
    start = min(edited.stop, line_count)
    end = min(line_count, start + MAX_REGION_LINES // 2)
    if added and end > start:
        return [Region(start, end, f"after the edit of {', '.join(sorted(added))}")]
    return [Region(start, end, "after the edit")] if end > start else []
