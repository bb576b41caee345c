"""Line mode and early stop."""

from lsp_server.completion.line_mode import cleaner, closes_brackets, early_stop, wants_multiline
from lsp_server.settings import Settings


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


def test_cleaner_cuts_as_the_settings_say():
    prefix, suffix = "def f(x):\n    ", "\n\nprint(f(1))\n"
    answer = "y = x + 1\n    z = y * 2\n    return z\n\ndef g():"
    # A block ends where the answer leaves the function; maxLines caps it.
    assert cleaner(prefix, suffix, True, Settings())(answer) == "y = x + 1\n    z = y * 2\n    return z"
    assert cleaner(prefix, suffix, True, Settings(max_lines=2))(answer) == "y = x + 1\n    z = y * 2"
    # One line; a line that leaves a bracket open runs on to the one that closes it, unless multiline is never.
    call = "raise Error(\n        x,\n    )\n    return x"
    assert cleaner(prefix, suffix, False, Settings())(call) == "raise Error(\n        x,\n    )"
    assert cleaner(prefix, suffix, False, Settings(multiline="never"))(call) == "raise Error("
