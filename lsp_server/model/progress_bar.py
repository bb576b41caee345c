"""A one-line terminal progress bar for downloads: bytes, rate and ETA; silent when not on a TTY."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

_WIDTH = 24
_INTERVAL_S = 0.2


class ProgressBar:
    """Redraws one line in place; ``update`` is cheap enough to call for every chunk."""

    def __init__(
        self, out: TextIO, *, enabled: bool | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.out = out
        self.enabled = _is_tty(out) if enabled is None else enabled
        self._clock = clock
        self._label = ""
        self._total = 0
        self._start = 0.0
        self._first = 0
        self._high = 0  # never drawn going backwards (a download seen in pip's folder, then its copy)
        self._last_draw = float("-inf")
        self._drawn = False

    def start(self, label: str, total: int, done: int = 0) -> None:
        """Begin a transfer of ``total`` bytes (0: unknown), ``done`` of them already there (a resume)."""
        self._label, self._total, self._first, self._high = label, total, done, done
        self._start = self._clock()
        self._last_draw = float("-inf")
        self.update(done)

    def update(self, done: int) -> None:
        """Show ``done`` bytes; redraws at most every 0.2 s and always at the end."""
        if not self.enabled:
            return
        done = self._high = max(done, self._high)
        now = self._clock()
        if now - self._last_draw < _INTERVAL_S and done != self._total:
            return
        self._last_draw = now
        self.out.write("\r" + render(self._label, done, self._total, done - self._first, now - self._start) + "\x1b[K")
        self.out.flush()
        self._drawn = True

    def clear(self) -> None:
        """Blank the bar's line so that a message can be printed there; the next update redraws it."""
        if self.enabled and self._drawn:
            self.out.write("\r\x1b[K")
            self.out.flush()
            self._drawn = False
            self._last_draw = float("-inf")

    def finish(self) -> None:
        """End the line so that the next message starts on its own."""
        if self.enabled and self._drawn:
            self.out.write("\n")
            self.out.flush()
            self._drawn = False


def render(label: str, done: int, total: int, moved: int, seconds: float) -> str:
    """``label [####....]  123.4/491.4 MB  12.3 MB/s  ETA 0:27``; rate and ETA from this run's bytes only."""
    rate = moved / seconds if seconds > 0 else 0.0
    if total > 0:
        filled = min(_WIDTH, _WIDTH * done // total)
        bar = "[" + "#" * filled + "." * (_WIDTH - filled) + "]"
        amount = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB"
        eta = _clock_text((total - done) / rate) if rate > 0 and done < total else "--:--" if done < total else "0:00"
        return f"{label} {bar} {amount}  {rate / 1e6:.1f} MB/s  ETA {eta}"
    return f"{label} {done / 1e6:.1f} MB  {rate / 1e6:.1f} MB/s"


def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _is_tty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
