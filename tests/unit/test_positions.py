"""LSP positions in each position encoding: offsets to (line, column) and back, with the edge cases."""

import pytest

from lsp_server.positions import UTF8, UTF16, UTF32, offset_at, position_at


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
def test_crlf_line_endings_keep_the_carriage_return_on_its_line(encoding):
    text = "a = 1\r\nb\r\n"
    assert offset_at(text, 1, 0, encoding) == text.index("b")
    assert offset_at(text, 0, 5, encoding) == text.index("\r")
    assert offset_at(text, 0, 99, encoding) == text.index("\n")  # lines end at "\n": "\r" is the line's last character
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
