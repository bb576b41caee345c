"""Regions: the uses of a renamed name (with the edited line when near), else the lines after the edit."""

from __future__ import annotations

from lsp_server.next_edit.history import Edit
from lsp_server.next_edit.regions import MAX_REGION_LINES, find_regions, name_lines, touched_names

RENAMED = (
    "def total(items, tax_rate):\n"
    "    subtotal = sum(items)\n"
    "    return subtotal * rate\n"
    "\n"
    "\n"
    "def other(rate):\n"
    "    return rate\n"
)
RENAME = Edit(0, ("def total(items, rate):",), ("def total(items, tax_rate):",))


def test_touched_names_are_the_names_taken_away_and_brought_in():
    assert touched_names(RENAME) == ({"rate"}, {"tax_rate"})


def test_name_lines_come_from_the_syntax_tree_not_strings_or_comments():
    text = 'rate = 1\n# rate here\ns = "rate"\nprint(rate)\n'
    assert name_lines(text, "python", frozenset({"rate"})) == [0, 3]


def test_the_nearest_uses_after_the_edit_come_first_with_the_edited_line():
    regions = find_regions(RENAMED, "python", RENAME, RENAMED.count("\n"))
    assert [(r.start, r.end) for r in regions] == [(0, 4), (4, 7)]
    assert regions[0].reason == "uses of rate"


def test_without_uses_the_lines_after_the_edit():
    edit = Edit(0, ("def total(items):",), ("def total(items, fee):",))
    (region,) = find_regions(RENAMED, "python", edit, RENAMED.count("\n"))
    assert (region.start, region.end) == (1, 1 + MAX_REGION_LINES // 2) and "fee" in region.reason
