"""The checks a rewrite passes before it is a prediction."""

from __future__ import annotations

from lsp_server.next_edit.history import Edit
from lsp_server.next_edit.regions import Region
from lsp_server.next_edit.validate import check

BEFORE = "def f(items, rate):\n    return items * rate\n"
TEXT = "def f(items, tax_rate):\n    return items * rate\n"
EDIT = Edit(0, ("def f(items, rate):",), ("def f(items, tax_rate):",))
REGION = Region(0, 2, "uses of rate")


def _check(answer: str):
    return check(TEXT, REGION, answer, "python", EDIT, BEFORE)


def test_the_matching_rename_is_one_narrow_change():
    verdict = _check("def f(items, tax_rate):\n    return items * tax_rate\n")
    assert verdict.reason == "ok" and verdict.change is not None
    start = TEXT.index("* rate") + 2
    assert (verdict.change.start, verdict.change.end, verdict.change.new_text) == (start, start, "tax_")


def test_empty_unchanged_undo_too_big_and_broken_answers_are_rejected():
    assert _check("").reason == "empty"
    assert _check(TEXT).reason == "unchanged"
    assert _check(TEXT.replace("\n", "\n\n", 1)).reason == "blank lines"
    assert _check(BEFORE).reason == "undo"
    assert _check("def f(items, rate):\n    return items * rate * 2\n").reason == "undo"
    assert _check(TEXT + "".join(f"x{i} = {i}\n" for i in range(8))).reason == "too big"
    assert _check("def f(items, tax_rate):\n    return items * (tax_rate\n").reason == "syntax"
