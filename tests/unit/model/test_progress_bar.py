"""The download progress bar: what one line says, how often it is drawn, silence off a terminal."""

from __future__ import annotations

import io

from lsp_server.model.progress_bar import ProgressBar, render


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_render_shows_bytes_rate_and_eta() -> None:
    line = render("qwen", 100_000_000, 400_000_000, 100_000_000, 10.0)
    assert line == "qwen [######..................] 100.0/400.0 MB  10.0 MB/s  ETA 0:30"
    assert render("qwen", 0, 400_000_000, 0, 0.0).endswith("0.0 MB/s  ETA --:--")
    assert render("big", 0, 4_700_000_000, 1_000_000, 1.0).endswith("ETA 1:18:20")
    assert render("web", 5_000_000, 0, 5_000_000, 2.0) == "web 5.0 MB  2.5 MB/s"


def test_a_resume_counts_only_this_runs_bytes_in_the_rate() -> None:
    clock = _Clock()
    out = io.StringIO()
    bar = ProgressBar(out, enabled=True, clock=clock)
    bar.start("m", 300_000_000, done=200_000_000)
    clock.now += 10
    bar.update(250_000_000)
    assert "250.0/300.0 MB  5.0 MB/s  ETA 0:10" in out.getvalue()


def test_redraws_are_throttled_but_the_last_one_is_always_drawn() -> None:
    clock = _Clock()
    out = io.StringIO()
    bar = ProgressBar(out, enabled=True, clock=clock)
    bar.start("m", 1000)
    for done in range(1, 1000):
        bar.update(done)  # the clock stands still: no redraw
    bar.update(1000)
    bar.finish()
    assert out.getvalue().count("\r") == 2 and "1000" not in out.getvalue().split("\r")[1]
    assert out.getvalue().endswith("\n")


def test_clear_blanks_the_line_for_a_message() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, enabled=True)
    bar.start("m", 10)
    bar.clear()
    assert out.getvalue().endswith("\r\x1b[K")
    bar.finish()
    assert not out.getvalue().endswith("\n")  # nothing drawn since the clear


def test_nothing_is_drawn_off_a_terminal() -> None:
    out = io.StringIO()
    bar = ProgressBar(out)
    bar.start("m", 10)
    bar.update(10)
    bar.finish()
    assert out.getvalue() == ""


def test_the_bar_never_goes_backwards() -> None:
    clock = _Clock()
    out = io.StringIO()
    bar = ProgressBar(out, enabled=True, clock=clock)
    bar.start("m", 100_000_000)
    clock.now += 1
    bar.update(60_000_000)
    clock.now += 1
    bar.update(10_000_000)  # the copy out of the wheel starts behind the download
    assert out.getvalue().split("\r")[-1].startswith("m [##############..........] 60.0/100.0 MB")
