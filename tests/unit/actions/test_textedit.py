"""Minimal line edits, positions in each LSP encoding and applying changes."""

import pytest

from lsp_server.actions.textedit import TextChange, apply_changes, line_changes, offset_at, position_at


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


def test_positions_count_utf16_units():
    text = "a😀b\nxyz"
    assert position_at(text, text.index("b")) == (0, 3)
    assert offset_at(text, 0, 3) == text.index("b")
    assert offset_at(text, 1, 99) == len(text)  # a column past the end clamps
    assert offset_at(text, 2, 0) == len(text)  # the position just past the last line
    with pytest.raises(ValueError, match="outside"):
        offset_at(text, 5, 0)


@pytest.mark.parametrize(("encoding", "column_of_b"), [("utf-16", 5), ("utf-8", 10), ("utf-32", 4)])
def test_positions_count_the_units_of_the_agreed_encoding(encoding, column_of_b):
    text = "é😀\ud800 b\n"  # 2 / 4 / 3 UTF-8 bytes, 1 / 2 / 1 UTF-16 units; a lone surrogate counts as one
    offset = text.index("b")
    assert position_at(text, offset, encoding) == (0, column_of_b)
    assert offset_at(text, 0, column_of_b, encoding) == offset
    assert position_at(text, offset) == (0, 5)  # UTF-16 unless told otherwise
