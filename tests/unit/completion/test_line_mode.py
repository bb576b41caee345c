"""Line mode and early stop."""

from lsp_server.completion.line_mode import closes_brackets, early_stop, wants_multiline


def test_mid_line_is_always_single_line():
    assert wants_multiline("always", "x = foo(", "bar)") is False
    assert wants_multiline("auto", "x = ", "bar") is False


def test_auto_mode_multiline_on_blank_line_or_block_start():
    assert wants_multiline("auto", "    ", "") is True
    assert wants_multiline("auto", "def f(x):", "") is True
    assert wants_multiline("auto", "function f() {", "}") is True
    assert wants_multiline("auto", "    return x +", "") is False
    assert wants_multiline("never", "    ", "") is False


def test_single_line_stop_after_first_line_with_content():
    stop = early_stop(False, "x = ", 8)
    assert not stop("foo(")
    assert not stop("\n")  # a leading newline alone is not a finished line
    assert stop("foo(1)\n")


def test_single_line_that_opens_a_bracket_runs_on_to_the_line_that_closes_it():
    stop = early_stop(False, "    raise ", 8, close_brackets=True)
    assert stop("Error(message)\n")
    assert not stop("Error(\n")
    assert not stop("Error(\n        message,\n")
    assert stop("Error(\n        message,\n    )\n")
    assert stop("Error(\n" + "        x,\n" * 7)  # the line cap ends it even when open
    assert early_stop(False, "    raise ", 8)("Error(\n")  # without the flag: one line


def test_closes_brackets_except_mid_line_or_never():
    assert closes_brackets("auto", "")
    assert closes_brackets("always", ")")
    assert not closes_brackets("never", "")
    assert not closes_brackets("auto", "bar)")


def test_multiline_stops_at_dedent_and_line_cap():
    stop = early_stop(True, "    ", 3)
    assert not stop("return a\n    b = 1\n")
    assert stop("return a\n\ndef other():\n")
    assert stop("a\nb\nc\nd\ne")
