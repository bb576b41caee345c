"""Recently edited and viewed places, as short snippets for the prompt."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class Snippet:
    """A few lines of one file around a place the user edited or looked at."""

    path: str
    start_line: int
    text: str


class RecentSnippets:
    """The last ``capacity`` places, newest last; one entry per (file, block of lines)."""

    def __init__(self, capacity: int = 12, lines: int = 16) -> None:
        self._capacity = capacity
        self._lines = lines
        self._items: OrderedDict[tuple[str, int], Snippet] = OrderedDict()
        self._lock = threading.Lock()
        self._version = 0
        self._own: dict[str, int] = {}

    def record(self, path: str, text: str, line: int) -> None:
        """Remember the block of lines around ``line`` of ``text`` (the file's current content)."""
        start = max(0, (line // self._lines) * self._lines - self._lines // 2)
        lines = text.split("\n")[start : start + self._lines]
        snippet = Snippet(path, start, "\n".join(lines))
        if not snippet.text.strip():
            return
        with self._lock:
            self._items.pop((path, start), None)
            self._items[(path, start)] = snippet
            self._version += 1
            self._own[path] = self._own.get(path, 0) + 1
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def forget(self, path: str) -> None:
        """Drop a file's snippets (closed or deleted): the other files' context changes, its own does not."""
        with self._lock:
            keys = [k for k in self._items if k[0] == path]
            for key in keys:
                del self._items[key]
            if keys:
                self._version += 1
                self._own[path] = self._own.get(path, 0) + 1

    def version_of_others(self, path: str) -> int:
        """A counter that changes when places in files other than ``path`` are recorded."""
        with self._lock:
            return self._version - self._own.get(path, 0)

    def others(self, path: str) -> list[Snippet]:
        """Snippets from files other than ``path``, newest first."""
        with self._lock:
            return [s for s in reversed(self._items.values()) if s.path != path]
