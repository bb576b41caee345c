"""File watcher: debounced watchdog events feed the index."""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

log = logging.getLogger(__name__)


class _Collector(FileSystemEventHandler):
    """Collects changed paths; the watcher flushes them after a quiet period."""

    def __init__(self, changed: Callable[[Path], None]) -> None:
        self._changed = changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = Path(raw.decode() if isinstance(raw, bytes) else raw)
                if ".git" not in path.parts:
                    self._changed(path)


_PICKED_UP_LATER = "picked up after `iquest.reindex` or a restart. Fix: raise fs.inotify.max_user_watches."


def _inotify_watches_exhausted(path: Path) -> bool:
    """True on Linux when this user cannot add one more inotify watch."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_CLOEXEC)
        if fd < 0:
            return ctypes.get_errno() in (errno.EMFILE, errno.ENFILE)
        try:
            return libc.inotify_add_watch(fd, os.fsencode(path), 0x100) < 0 and ctypes.get_errno() == errno.ENOSPC
        finally:
            os.close(fd)
    except (OSError, AttributeError):  # no inotify in this libc
        return False


class WorkspaceWatcher:
    """Watches the roots and calls ``apply(paths)`` with each debounced batch of changed paths."""

    def __init__(self, roots: Sequence[Path], apply: Callable[[list[Path]], None], *, debounce_s: float = 0.1) -> None:
        self._roots = list(roots)
        self._apply = apply
        self._debounce_s = debounce_s
        self._pending: dict[Path, None] = {}
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._observer: BaseObserver | None = None

    def start(self) -> str | None:
        """Start watching; returns why watching is off (inotify limit, missing root) or None."""
        observer = Observer()
        handler = _Collector(self._changed)
        try:
            for root in self._roots:
                observer.schedule(handler, str(root), recursive=True)
            observer.start()
        except OSError as exc:
            observer.stop()
            return f"file watching is off ({exc}); edits made outside the editor are {_PICKED_UP_LATER}"
        self._observer = observer
        if self._roots and _inotify_watches_exhausted(self._roots[0]):
            # watchdog skips subfolders it cannot watch without a word; some folders go unwatched.
            return (
                "file watching is incomplete (inotify watch limit reached); "
                f"edits made outside the editor in some folders are {_PICKED_UP_LATER}"
            )
        return None

    def _changed(self, path: Path) -> None:
        with self._lock:
            self._pending[path] = None
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self._debounce_s, self._flush)
            self._timer.daemon = True
            self._timer.start()

    def _flush(self) -> None:
        with self._lock:
            batch, self._pending = list(self._pending), {}
            self._timer = None
        if batch:
            try:
                self._apply(batch)
            except Exception:  # the watcher thread must survive a bad batch
                log.exception("applying file changes failed")

    def stop(self) -> None:
        """Stop watching."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._observer = None
