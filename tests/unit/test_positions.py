"""LSP positions in each position encoding: offsets to (line, column) and back, with the edge cases."""

import pytest

from lsp_server.positions import (
    UTF8,
    UTF16,
    UTF32,
    clamped_offset_at,
    columns,
    line_bounds,
    offset_at,
    position_at,
    split_lines,
)


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


@pytest.mark.parametrize("encoding", [UTF8, UTF16, UTF32])
def test_ascii_columns_are_characters_in_every_encoding(encoding):
    text = "def f(x):\n    return x\n"
    assert offset_at(text, 1, 4, encoding) == text.index("return")
    assert position_at(text, text.index("return"), encoding) == (1, 4)


@pytest.mark.parametrize(("encoding", "columns"), [(UTF16, [0, 1, 3, 4]), (UTF8, [0, 1, 5, 6]), (UTF32, [0, 1, 2, 3])])
def test_a_character_outside_the_bmp(encoding, columns):
    text = "a😀b!"
    assert [position_at(text, offset, encoding)[1] for offset in range(4)] == columns
    assert [offset_at(text, 0, column, encoding) for column in columns] == [0, 1, 2, 3]


def test_a_column_inside_a_character_moves_past_it():
    assert offset_at("a😀b", 0, 2, UTF16) == 2
    assert offset_at("a😀b", 0, 2, UTF8) == 2
    assert offset_at("名前", 0, 1, UTF8) == 1


@pytest.mark.parametrize(("encoding", "column"), [(UTF16, 2), (UTF8, 6), (UTF32, 2)])
def test_cjk(encoding, column):
    text = "x\n名前 = '東京'\n"
    assert offset_at(text, 1, column, encoding) == text.index(" =")
    assert position_at(text, text.index(" ="), encoding) == (1, column)


@pytest.mark.parametrize("encoding", [UTF8, UTF16])
def test_crlf_line_endings_end_the_line_before_the_carriage_return(encoding):
    text = "a = 1\r\nb\r\n"
    assert offset_at(text, 1, 0, encoding) == text.index("b")
    assert offset_at(text, 0, 5, encoding) == text.index("\r")
    assert offset_at(text, 0, 99, encoding) == text.index("\r")  # LSP: "\r\n" is the line break, not line text
    assert offset_at(text, 2, 0, encoding) == len(text)
    assert position_at(text, text.index("b"), encoding) == (1, 0)
    assert position_at(text, text.index("\r"), encoding) == (0, 5)


@pytest.mark.parametrize("encoding", [UTF8, UTF16])
def test_a_trailing_newline_ends_with_an_empty_line(encoding):
    text = "x = '😀'\n"
    assert offset_at(text, 1, 0, encoding) == len(text)
    assert offset_at(text, 1, 7, encoding) == len(text)  # past the end of the empty last line: clamps
    assert offset_at(text, 2, 0, encoding) == len(text)  # line == number of lines, column 0: the end
    with pytest.raises(ValueError, match="outside"):
        offset_at(text, 2, 1, encoding)  # line == number of lines, column > 0
    with pytest.raises(ValueError, match="outside"):
        offset_at(text, 3, 0, encoding)
    assert position_at(text, len(text), encoding) == (1, 0)


@pytest.mark.parametrize("encoding", [UTF8, UTF16])
def test_without_a_trailing_newline(encoding):
    text = "a\n😀"
    assert offset_at(text, 1, 99, encoding) == len(text)  # a column past the end of the last line clamps
    assert offset_at(text, 2, 0, encoding) == len(text)
    with pytest.raises(ValueError, match="outside"):
        offset_at(text, 2, 1, encoding)
    assert position_at(text, len(text), encoding) == (1, 2 if encoding == UTF16 else 4)


def test_columns_past_the_line_end_clamp_to_the_line_end():
    text = "abc\ndef\n"
    assert [offset_at(text, 0, column) for column in (3, 4, 5, 1000)] == [3, 3, 3, 3]


def test_the_empty_text():
    assert offset_at("", 0, 0) == 0
    assert offset_at("", 0, 5) == 0
    assert offset_at("", 1, 0) == 0
    with pytest.raises(ValueError, match="outside"):
        offset_at("", 1, 1)
    assert position_at("", 0) == (0, 0)


def test_negative_positions_are_outside():
    for line, character in ((-1, 0), (0, -1)):
        with pytest.raises(ValueError, match="outside"):
            offset_at("abc", line, character)


def test_an_unknown_encoding_counts_utf16_units():
    assert position_at("😀x", 1, "utf-7") == (0, 2)


# -- LSP's line model: lines end at "\n", "\r\n" and "\r" only ------------------------------------------


@pytest.mark.parametrize("encoding", [UTF8, UTF16, UTF32])
def test_a_lone_carriage_return_ends_a_line(encoding):
    text = "a = 1\rb = 2\r\rc"
    assert offset_at(text, 1, 0, encoding) == text.index("b")
    assert offset_at(text, 1, 99, encoding) == text.index("\r", text.index("b"))  # clamps before the "\r"
    assert offset_at(text, 2, 0, encoding) == text.index("\r\r") + 1  # the empty line between two "\r"
    assert offset_at(text, 3, 1, encoding) == len(text)
    assert position_at(text, text.index("b"), encoding) == (1, 0)
    assert position_at(text, text.index("c"), encoding) == (3, 0)
    with pytest.raises(ValueError, match=r"outside the document \(4 lines\)"):
        offset_at(text, 4, 1, encoding)


@pytest.mark.parametrize("encoding", [UTF8, UTF16, UTF32])
def test_mixed_line_breaks_count_once_each(encoding):
    text = "one\r\ntwo\rthree\nfour"
    starts = [text.index(word) for word in ("one", "two", "three", "four")]
    assert [offset_at(text, line, 0, encoding) for line in range(4)] == starts
    assert [position_at(text, start, encoding) for start in starts] == [(line, 0) for line in range(4)]
    assert split_lines(text) == ["one\r\n", "two\r", "three\n", "four"]
    assert [line_bounds(text, line) for line in range(5)] == [(0, 3), (5, 8), (9, 14), (15, 19), None]


@pytest.mark.parametrize("encoding", [UTF8, UTF16])
def test_an_offset_inside_a_crlf_is_the_end_of_its_line(encoding):
    text = "ab\r\ncd"
    assert position_at(text, text.index("\n"), encoding) == (0, 2)
    assert position_at(text, text.index("c"), encoding) == (1, 0)


@pytest.mark.parametrize("encoding", [UTF8, UTF16, UTF32])
@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\f", "\v", "\x1c", "\x1d", "\x1e", "\x85"])
def test_other_unicode_line_breaks_are_line_text(encoding, separator):
    # str.splitlines ends lines at these too; LSP does not, so they are characters of their line.
    text = f"x\na{separator}😀 b\nz"
    separator_units = len(separator.encode("utf-8")) if encoding == UTF8 else 1
    emoji_units = {UTF8: 4, UTF16: 2, UTF32: 1}[encoding]
    column = 1 + separator_units + emoji_units + 1
    assert position_at(text, text.index("b"), encoding) == (1, column)
    assert offset_at(text, 1, column, encoding) == text.index("b")
    assert offset_at(text, 2, 0, encoding) == text.index("z")
    assert offset_at(text, 1, 99, encoding) == text.index("\nz")
    assert split_lines(text) == ["x\n", f"a{separator}😀 b\n", "z"]
    assert line_bounds(text, 1) == (2, text.index("\nz"))


@pytest.mark.parametrize(("encoding", "columns_of_x"), [(UTF16, 3), (UTF8, 5), (UTF32, 2)])
def test_emoji_after_a_crlf_count_in_the_agreed_units(encoding, columns_of_x):
    text = "first\r\n😀\fx = 1\r\n"
    assert offset_at(text, 1, columns_of_x, encoding) == text.index("x")
    assert position_at(text, text.index("x"), encoding) == (1, columns_of_x)
    assert columns("😀\f", encoding) == columns_of_x
    assert offset_at(text, 2, 0, encoding) == len(text)


def test_a_position_past_the_last_line_clamps_to_the_end_for_edits():
    text = "a\r\nb"
    assert clamped_offset_at(text, 1, 1) == len(text)
    assert clamped_offset_at(text, 5, 3) == len(text)
    assert clamped_offset_at(text, 0, 99) == text.index("\r")
    assert clamped_offset_at("", 3, 0) == 0
