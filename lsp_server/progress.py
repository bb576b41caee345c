"""The progress callback every long step takes: (message, percent)."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int], None]
