"""Regions: the uses of a renamed name (with the edited line when near), else the lines after the edit."""

from __future__ import annotations

from lsp_server.next_edit.history import Edit
from lsp_server.next_edit.regions import MAX_REGION_LINES, find_regions, name_lines, renamed, touched_names

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


def test_a_renamed_parameter_is_looked_for_in_its_function_only_without_blank_lines_at_the_ends():
    regions = find_regions(RENAMED, "python", RENAME, RENAMED.count("\n"))
    assert [(r.start, r.end) for r in regions] == [(0, 3)]  # not other()'s own rate, nor the blank line
    assert regions[0].reason == "uses of rate" and regions[0].uses


def test_the_nearest_uses_after_the_edit_come_first_and_a_local_renamed_in_a_body_prefers_its_function():
    text = (
        "def first(count):\n"
        "    return count\n"
        "\n"
        "\n"
        "def second():\n"
        "    total = 0\n"
        "    for x in range(3):\n"
        "        count += x\n"
        "    return count\n"
    )
    edit = Edit(5, ("    count = 0",), ("    total = 0",))
    regions = find_regions(text, "python", edit, text.count("\n"))
    assert [(r.start, r.end) for r in regions] == [(5, 9), (0, 2)]


def test_renaming_a_function_looks_for_its_uses_everywhere():
    text = "def compute_total(x):\n    return x\n\n\ndef main():\n    return total(1)\n"
    edit = Edit(0, ("def total(x):",), ("def compute_total(x):",))
    (region,) = find_regions(text, "python", edit, text.count("\n"))
    assert (region.start, region.end) == (4, 6)


def test_without_uses_the_lines_after_the_edit():
    edit = Edit(0, ("def total(items):",), ("def total(items, fee):",))
    (region,) = find_regions(RENAMED, "python", edit, RENAMED.count("\n"))
    assert (region.start, region.end) == (1, 1 + MAX_REGION_LINES // 2) and "fee" in region.reason
    assert not region.uses


def test_the_guess_carries_a_plain_rename_to_plain_names_and_an_attribute_rename_to_attributes():
    region = "    path = os.path.join(path, x)\n    self.path = path\n"
    plain = Edit(0, ("def f(path):",), ("def f(target):",))
    assert renamed(region, plain) == "    target = os.path.join(target, x)\n    self.path = target\n"
    attribute = Edit(0, ("        self.path = p",), ("        self.target = p",))
    assert renamed(region, attribute) == "    path = os.target.join(path, x)\n    self.target = path\n"
    assert renamed(region, Edit(0, ("a = 1",), ("a = 1", "b = 2"))) == region  # no rename: as it is
