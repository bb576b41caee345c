"""Line mode and early stop."""

from lsp_server.completion.line_mode import early_stop, wants_multiline


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


def test_multiline_stops_at_dedent_and_line_cap():
    stop = early_stop(True, "    ", 3)
    assert not stop("return a\n    b = 1\n")
    assert stop("return a\n\ndef other():\n")
    assert stop("a\nb\nc\nd\ne")
