"""Minimal line edits and applying changes."""

import pytest

from lsp_server.actions.textedit import TextChange, apply_changes, line_changes


def test_line_changes_touch_only_the_changed_lines():
    old = "a\nb\nc\nd\n"
    new = "a\nB\nc\nd\ne\n"
    changes = line_changes(old, new)
    assert apply_changes(old, changes) == new
    assert [(c.start, c.end) for c in changes] == [(2, 4), (8, 8)]


def test_line_changes_of_equal_texts_are_empty_and_whole_file_rewrites_are_split():
    assert line_changes("x\n", "x\n") == ()
    old = "".join(f"line {i}\n" for i in range(100))
    new = old.replace("line 50\n", "line fifty\n")
    (change,) = line_changes(old, new)
    assert change.new_text == "line fifty\n" and change.end - change.start == len("line 50\n")


def test_last_line_without_newline():
    old, new = "a\nb", "a\nc"
    assert apply_changes(old, line_changes(old, new)) == new


def test_apply_rejects_overlaps():
    with pytest.raises(ValueError):
        apply_changes("abcdef", [TextChange(0, 3, "x"), TextChange(2, 4, "y")])
