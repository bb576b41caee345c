"""Edit history: grouping by time and place, the edit as before/after lines, redaction."""

from __future__ import annotations

from lsp_server.context.secrets import REDACTED
from lsp_server.next_edit.history import GROUP_PAUSE_S, EditHistory, edit_between

TEXT = "def f(a, rate):\n    return a * rate\n\n\nx = 1\n"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _typed(history: EditHistory, uri: str, text: str, line: int, column: int, typed: str) -> str:
    for i, char in enumerate(typed):
        lines = text.split("\n")
        lines[line] = lines[line][: column + i] + char + lines[line][column + i :]
        text = "\n".join(lines)
        history.changed(uri, text, line)
    return text


def test_keystrokes_at_one_place_make_one_edit():
    history = EditHistory(Clock())
    history.opened("u", TEXT)
    _typed(history, "u", TEXT, 0, 9, "tax_")
    (edit,) = history.edits("u")
    assert (edit.line, edit.before, edit.after) == (0, ("def f(a, rate):",), ("def f(a, tax_rate):",))
    assert history.before_last("u") == TEXT


def test_a_far_line_or_a_pause_starts_a_new_edit():
    clock = Clock()
    history = EditHistory(clock)
    history.opened("u", TEXT)
    text = _typed(history, "u", TEXT, 0, 9, "t")
    text = _typed(history, "u", text, 4, 5, "0")  # four lines away
    clock.now += GROUP_PAUSE_S + 1
    _typed(history, "u", text, 4, 6, "0")  # same place, after a pause
    assert [(e.line, e.after) for e in history.edits("u")] == [
        (0, ("def f(a, trate):",)),
        (4, ("x = 10",)),
        (4, ("x = 100",)),
    ]


def test_an_edit_typed_and_taken_back_is_left_out_and_closing_forgets():
    history = EditHistory(Clock())
    history.opened("u", TEXT)
    history.changed("u", TEXT.replace("rate", "rat"), 0)
    history.changed("u", TEXT, 0)
    assert history.edits("u") == []
    history.closed("u")
    assert history.before_last("u") is None


def test_edits_are_redacted_and_diffs_name_the_file():
    edit = edit_between("a = 1\n", 'a = 1\napi_key = "sk-live-0123456789abcdefghij"\n')
    assert REDACTED in edit.after[0] and "0123456789" not in edit.after[0]
    assert edit.unified("m.py").startswith("--- a/m.py\n+++ b/m.py\n@@")
