"""Which lines go to the model and how its answer is fitted back."""

from lsp_server.actions.regions import lines_around, reindent, trim_to_parse, whole_lines

TEXT = "a\n  b\n  c\nd\n"


def test_whole_lines_and_lines_around():
    assert whole_lines(TEXT, TEXT.index("b"), TEXT.index("b") + 1) == (2, 6)
    assert whole_lines(TEXT, 2, 6) == (2, 6)  # a selection ending at a line start keeps that line out
    assert lines_around(TEXT, TEXT.index("c"), 1, 0) == (2, 10)
    assert lines_around(TEXT, 0, 5, 5) == (0, len(TEXT))


def test_reindent_moves_a_dedented_answer_back_and_keeps_the_line_end():
    original = "    def f(self):\n        return 1\n"
    assert reindent(original, "def f(self):\n    return 2") == "    def f(self):\n        return 2\n"
    assert reindent("x = 1", "x = 2\n\n") == "x = 2"


def test_trim_to_parse_drops_a_cut_off_tail():
    code = "def test_a():\n    assert 1\n\n\ndef test_b():\n    assert f(\n"
    assert trim_to_parse(code, "python") == "def test_a():\n    assert 1\n\n"
    assert trim_to_parse("x = 1\n", "python") == "x = 1"
