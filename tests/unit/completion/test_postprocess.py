"""Tests for turning raw model output into ghost text."""

from __future__ import annotations

import pytest

from lsp_server.completion.postprocess import (
    clean_completion,
    is_mid_line,
    open_brackets,
    repeats_code_below,
    statement_lines,
)


@pytest.mark.parametrize(
    ("line_suffix", "expected"),
    [
        ("", False),
        ("   ", False),
        (")", False),
        ("})];", False),
        ('"]', False),
        ("'),", False),
        ("):", False),
        ("bar", True),
        (" + 1)", True),
        (") or x", True),
        (")\nnext_line()", False),  # only the cursor's own line counts
    ],
)
def test_is_mid_line(line_suffix, expected):
    assert is_mid_line(line_suffix) is expected


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("foo(", 1),
        ("foo(a)[0]", 0),
        ("})", -2),
        ('print("(")', 0),
        ("s = '[{' + x(", 1),
        ('"a\\"(" + f(', 1),  # an escaped quote does not end the string
        ("x = `${a}(\n`(", 1),  # template strings span lines
        ('f("unclosed\n(', 2),  # a quote with no partner on its line opens no string
        ("f(x: &'a Bar)", 0),  # nor does a lifetime
        ("s = 'it(' + f('a\n') + g(\"b\n\")", 0),  # nor a quote whose partner is on another line
    ],
)
def test_open_brackets(text, depth):
    assert open_brackets(text) == depth


CALL = "HTTPStatusError(\n        message, request=request\n    )\n    next_line()"


@pytest.mark.parametrize(
    ("text", "max_lines", "lines"),
    [
        ("x = 1\ny = 2", 16, 1),
        ("raise Error(\n    'no',\n)\nz = 3", 16, 3),
        ("raise Error(\n    'no',\n)", 2, None),  # closes on line 3, past the cap
        ("call(a,\n  b", 16, None),  # not closed yet
    ],
)
def test_statement_lines(text, max_lines, lines):
    assert statement_lines(text, max_lines) == lines


def test_single_line_left_open_runs_on_to_its_closing_line():
    got = clean_completion(CALL, prefix="    raise ", suffix="\n", multiline=False, close_brackets=True)
    assert got == "HTTPStatusError(\n        message, request=request\n    )"


def test_single_line_left_open_stays_one_line_without_the_flag_mid_line_or_past_the_cap():
    assert clean_completion(CALL, prefix="    raise ", suffix="\n", multiline=False) == "HTTPStatusError("
    mid = clean_completion(CALL, prefix="    raise ", suffix=" from e\n", multiline=False, close_brackets=True)
    assert mid == "HTTPStatusError("
    capped = clean_completion(CALL, prefix="    raise ", suffix="\n", multiline=False, max_lines=2, close_brackets=True)
    assert capped == "HTTPStatusError("


def test_single_line_that_closes_its_brackets_stays_one_line():
    got = clean_completion("foo(a)\nbar()", prefix="x = ", suffix="", multiline=False, close_brackets=True)
    assert got == "foo(a)"


def test_python_function_body_stops_at_next_def():
    got = clean_completion(
        "return a + b\n\ndef sub(a, b):\n    return a - b",
        prefix="def add(a, b):\n    ",
        suffix="",
        multiline=True,
    )
    assert got == "return a + b"


def test_js_body_drops_closing_brace_already_in_suffix():
    got = clean_completion("return a + b;\n}\n", prefix="function add(a, b) {\n  ", suffix="\n}\n", multiline=True)
    assert got == "return a + b;"


def test_mid_call_drops_duplicated_closing_paren():
    assert clean_completion('"hello")', prefix="print(", suffix=")", multiline=True) == '"hello"'


def test_balanced_call_inside_call_keeps_its_paren():
    assert clean_completion("len(x)", prefix="print(", suffix=")", multiline=True) == "len(x)"


def test_closing_an_inner_call_is_not_a_duplicate():
    # foo(bar(|)) -> "1)" closes bar(, the suffix's ")" closes foo(.
    assert clean_completion("1)", prefix="x = foo(bar(", suffix=")", multiline=False) == "1)"


def test_string_and_bracket_overlap_trimmed():
    assert clean_completion('x"]', prefix='d["', suffix='"]', multiline=False) == "x"
    assert clean_completion('"x"]', prefix="d[", suffix='"]', multiline=False) == '"x'
    assert clean_completion("b)", prefix="f(a, ", suffix=")", multiline=False) == "b"


def test_semicolon_overlap_trimmed():
    assert clean_completion("foo();", prefix="  x = ", suffix=";\n", multiline=False) == "foo()"


def test_overlap_with_python_signature():
    assert clean_completion(", y):", prefix="def f(x", suffix="):", multiline=True) == ", y"


def test_single_line_request_cut_at_first_newline():
    got = clean_completion("x = 1\ny = 2\n", prefix="", suffix="", multiline=False)
    assert got == "x = 1"


def test_mid_line_forces_single_line():
    got = clean_completion("foo(1)\nbar()", prefix="x = ", suffix=" + y\n", multiline=True)
    assert got == "foo(1)"


def test_single_line_request_starting_with_newline_is_empty():
    assert clean_completion("\n    return 1", prefix="def f():", suffix="", multiline=False) == ""


@pytest.mark.parametrize("raw", ["", "   ", "\n\n", " \r\n\t "])
def test_empty_or_whitespace_completion_is_empty(raw):
    assert clean_completion(raw, prefix="x = ", suffix="", multiline=True) == ""


def test_carriage_returns_removed():
    got = clean_completion("a = 1\r\nb = 2\r\n", prefix="\n", suffix="", multiline=True)
    assert got == "a = 1\nb = 2"


def test_trailing_whitespace_stripped_leading_kept():
    got = clean_completion("\n    return x  \n\n", prefix="def f(x):", suffix="", multiline=True)
    assert got == "\n    return x"


def test_block_end_uses_completion_indent_when_cursor_line_empty():
    got = clean_completion("    x = 1\n    return x\n\nprint(f())\n", prefix="def f():\n", suffix="", multiline=True)
    assert got == "    x = 1\n    return x"


def test_block_end_uses_indent_of_non_blank_cursor_line():
    got = clean_completion(
        "= 1\n        y = 2\n    z = 3\nw = 4",
        prefix="class A:\n    def f(self):\n        x ",
        suffix="",
        multiline=True,
    )
    assert got == "= 1\n        y = 2"


def test_nested_block_keeps_its_own_closing_brace():
    got = clean_completion("if (x) {\n    y();\n  }\n}\n", prefix="function f() {\n  ", suffix="\n}\n", multiline=True)
    assert got == "if (x) {\n    y();\n  }"


def test_max_lines_cap():
    raw = "\n".join(f"x{i} = {i}" for i in range(40))
    got = clean_completion(raw, prefix="", suffix="", multiline=True, max_lines=5)
    assert got.split("\n") == [f"x{i} = {i}" for i in range(5)]


def test_default_max_lines_is_sixteen():
    raw = "\n".join(f"x{i} = {i}" for i in range(40))
    assert len(clean_completion(raw, prefix="", suffix="", multiline=True).split("\n")) == 16


def test_line_repeated_three_times_is_cut_to_one_copy():
    raw = "x = 0\ncount += 1\ncount += 1\ncount += 1\ncount += 1\n"
    assert clean_completion(raw, prefix="", suffix="", multiline=True) == "x = 0\ncount += 1"


def test_repeat_run_includes_first_line_and_skips_blanks():
    raw = "log()\n\n    log()\n    log()\n"
    assert clean_completion(raw, prefix="    ", suffix="", multiline=True) == "log()"


def test_line_repeated_twice_is_kept():
    raw = "a += 1\na += 1\nb = 2"
    assert clean_completion(raw, prefix="", suffix="", multiline=True) == raw


def test_cut_before_line_repeating_the_code_below():
    got = clean_completion(
        "total = a + b\n    return total\n",
        prefix="def f(a, b):\n    ",
        suffix="\n    return total\n",
        multiline=True,
    )
    assert got == "total = a + b"


def test_repeat_of_suffix_needs_same_indentation():
    # The suffix's line is at a different depth, so the completion's line is its own code.
    got = clean_completion(
        "if a:\n        return total\n    x = 1",
        prefix="def f(a):\n    ",
        suffix="\nreturn total\n",
        multiline=True,
    )
    assert got == "if a:\n        return total\n    x = 1"


def test_multiline_closer_matching_line_suffix_is_cut():
    got = clean_completion("\n    a,\n    b,\n)", prefix="foo(", suffix=")\n", multiline=True)
    assert got == "\n    a,\n    b,"


def test_suffix_without_overlap_leaves_completion():
    assert clean_completion("value", prefix="x = ", suffix="\n", multiline=True) == "value"


def test_space_before_text_already_on_the_line_is_kept():
    # foo(|bar) and the model writes "a, bar)": the user needs "a, " so that "bar)" follows a space.
    result = clean_completion("a, bar)", prefix="foo(", suffix="bar)\n", multiline=False)
    assert result == "a, "


def test_scan_cuts_before_a_worst_pattern_or_drops_the_suggestion():
    from lsp_server.completion.postprocess import clean_completion

    prefix = "def f(url):\n    "
    text = "r = requests.get(url, verify=False)\n    return r"
    assert clean_completion(text, prefix=prefix, suffix="", multiline=True, scan=True) == ""
    assert clean_completion(text, prefix=prefix, suffix="", multiline=True, scan=False).startswith("r = requests")
    cut = clean_completion("x = 1\n    eval(x)", prefix=prefix, suffix="", multiline=True, scan=True)
    assert cut == "x = 1"


def test_a_first_line_that_repeats_the_code_below_is_refused_once_complete():
    repeats = repeats_code_below("    ", "\n    if e.errno != errno.EPIPE:\n        raise\n")
    assert repeats is not None
    assert not repeats("if e.errno != errno.EPIPE:")  # the line may still go on
    assert repeats("if e.errno != errno.EPIPE:\n")
    assert repeats("\n    if e.errno != errno.EPIPE:  \n        raise")  # blank lines first, trailing spaces
    # What the post-processing would show for such an answer: nothing.
    assert (
        clean_completion(
            "if e.errno != errno.EPIPE:\n", prefix="    ", suffix="\n    if e.errno != errno.EPIPE:\n", multiline=True
        )
        == ""
    )


def test_other_first_lines_and_later_repeats_are_not_refused():
    repeats = repeats_code_below("    ", "\n\n    return total\n")
    assert repeats is not None
    assert not repeats("import errno\n")
    assert not repeats("total = a + b\n    return total\n")  # the cut keeps its first line
    assert not repeats("    return total\n")  # one level deeper: its own code
    assert not repeats("\n\n")


def test_no_check_where_the_cursor_line_goes_on_or_nothing_follows():
    assert repeats_code_below("    x = ", "foo()\n    return x\n") is None
    assert repeats_code_below("    ", "\n\n  \n") is None
