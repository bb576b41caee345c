"""Where the next edit may go: the lines that still use a name the last edit changed, else the lines after it."""

from __future__ import annotations

from dataclasses import dataclass

from lsp_server.context.languages import get_parser
from lsp_server.context.tokens import identifiers
from lsp_server.next_edit.history import Edit

MAX_REGION_LINES = 8
MAX_REGIONS = 2
# Uses this many lines apart or closer share one region.
_CLUSTER_GAP = 2


@dataclass(frozen=True)
class Region:
    """Lines ``start`` to ``end`` (exclusive, 0-based) of the current text, and why they were chosen."""

    start: int
    end: int
    reason: str


def touched_names(edit: Edit) -> tuple[frozenset[str], frozenset[str]]:
    """The names the edit took away and the names it brought in."""
    before, after = set(identifiers("\n".join(edit.before))), set(identifiers("\n".join(edit.after)))
    return frozenset(before - after), frozenset(after - before)


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
        if spans and line - spans[-1][1] <= _CLUSTER_GAP and line + 1 - spans[-1][0] <= MAX_REGION_LINES:
            spans[-1] = (spans[-1][0], line + 1)
        else:
            spans.append((line, line + 1))
    return spans


def _with_context(span: tuple[int, int], edited: range, line_count: int) -> tuple[int, int]:
    """The uses with the edited lines when they fit in one region (the model sees the new name there), else a line
    before; and a line after."""
    start, end = span
    if edited.start < start and end - edited.start <= MAX_REGION_LINES - 1:
        start = edited.start
    elif edited.start >= end and edited.stop - start <= MAX_REGION_LINES - 1:
        end = edited.stop
    else:
        start = max(0, start - 1)
    return start, min(line_count, end + 1, start + MAX_REGION_LINES)


def find_regions(text: str, language: str, edit: Edit, line_count: int) -> list[Region]:
    """Up to MAX_REGIONS regions: uses of the names the edit removed (nearest after it first), else the lines after."""
    removed, added = touched_names(edit)
    edited = range(edit.line, edit.line + max(1, len(edit.after)))
    uses = [line for line in name_lines(text, language, removed) if line not in edited]
    spans = _clusters(uses)
    spans.sort(key=lambda span: (span[0] < edit.line, abs(span[0] - edit.line)))
    regions = [
        Region(*_with_context(span, edited, line_count), f"uses of {', '.join(sorted(removed))}")
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
