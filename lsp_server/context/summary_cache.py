"""The summary disk cache: file summaries as JSON rows in SQLite, never pickle."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lsp_server.context.summaries import FileSummary, Symbol

log = logging.getLogger(__name__)

DB_NAME = "summaries.sqlite3"
SIZE_LIMIT = 512 * 1024 * 1024
# diskcache's store from before the JSON cache: its values are pickles, so it is deleted, never opened.
_LEGACY_FILES = ("cache.db", "cache.db-wal", "cache.db-shm")
_SYMBOL_FIELDS = {"name": str, "kind": str, "signature": str, "doc": str, "start_line": int, "end_line": int}


class SummaryCache:
    """A size-bounded key -> FileSummary store; a file that is not a usable cache is replaced by an empty one."""

    def __init__(self, directory: Path, size_limit: int = SIZE_LIMIT) -> None:
        self.directory = Path(directory)
        self.size_limit = size_limit
        self.problem: str | None = None  # set once, for the one warning the user sees
        self._lock = threading.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)
        _remove_legacy(self.directory)
        self.path = self.directory / DB_NAME
        try:
            self._db = _connect(self.path)
        except sqlite3.OperationalError:
            raise  # locked, read-only, no space: the file may be fine, so it is kept
        except sqlite3.DatabaseError as exc:
            # Garbage, a truncated file or anything planted there: start over rather than read it.
            self._db = self._recreate(exc)
        self._bytes = self._db.execute("SELECT COALESCE(SUM(LENGTH(value)), 0) FROM summaries").fetchone()[0]

    def get(self, key: str) -> FileSummary | None:
        """The summary stored under ``key``; None when absent or not a valid summary (then it is dropped)."""
        with self._lock:
            try:
                row = self._db.execute("SELECT value FROM summaries WHERE key = ?", (key,)).fetchone()
            except sqlite3.OperationalError:
                raise
            except sqlite3.DatabaseError as exc:
                self._db.close()
                self._db = self._recreate(exc)
                return None
            if row is None:
                return None
            summary = summary_from_json(row[0])
            if summary is None:
                self._db.execute("DELETE FROM summaries WHERE key = ?", (key,))
                self._warn(f"summary cache at {self.path} held invalid entries; rebuilding them")
            return summary

    def set(self, key: str, summary: FileSummary) -> None:
        """Store ``summary`` under ``key``, evicting the oldest entries beyond the size limit."""
        value = summary_to_json(summary)
        with self._lock:
            old = self._db.execute("SELECT LENGTH(value) FROM summaries WHERE key = ?", (key,)).fetchone()
            self._db.execute("INSERT OR REPLACE INTO summaries (key, value) VALUES (?, ?)", (key, value))
            self._bytes += len(value.encode("utf-8")) - (old[0] if old else 0)
            if self._bytes > self.size_limit:
                self._evict()

    def _recreate(self, exc: Exception) -> sqlite3.Connection:
        for suffix in ("", "-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        db = _connect(self.path)
        self._bytes = 0
        self._warn(f"summary cache at {self.path} was unreadable ({exc}); rebuilt it")
        return db

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _evict(self) -> None:
        """Drop the least recently stored entries until the cache is at 90% of its limit."""
        target = self.size_limit * 9 // 10
        rows = self._db.execute("SELECT rowid, LENGTH(value) FROM summaries ORDER BY rowid").fetchall()
        doomed: list[int] = []
        for rowid, size in rows:
            if self._bytes <= target:
                break
            doomed.append(rowid)
            self._bytes -= size
        self._db.executemany("DELETE FROM summaries WHERE rowid = ?", [(rowid,) for rowid in doomed])

    def _warn(self, message: str) -> None:
        if self.problem is None:
            self.problem = message
            log.warning("%s", message)


def summary_to_json(summary: FileSummary) -> str:
    """Encode a summary as compact JSON."""
    return json.dumps(asdict(summary), ensure_ascii=False, separators=(",", ":"))


def summary_from_json(text: object) -> FileSummary | None:
    """Decode a summary written by summary_to_json; None for anything else."""
    try:
        data = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    if not isinstance(data, dict) or set(data) != {"path", "language", "imports", "symbols"}:
        return None
    path, language, imports, symbols = data["path"], data["language"], data["imports"], data["symbols"]
    if not isinstance(path, str) or not isinstance(language, str):
        return None
    if not isinstance(imports, list) or not all(isinstance(item, str) for item in imports):
        return None
    if not isinstance(symbols, list):
        return None
    parsed = [_symbol(item) for item in symbols]
    if any(symbol is None for symbol in parsed):
        return None
    return FileSummary(path=path, language=language, imports=tuple(imports), symbols=tuple(parsed))  # pyright: ignore[reportArgumentType]


def _symbol(data: Any) -> Symbol | None:
    if not isinstance(data, dict) or set(data) != {*_SYMBOL_FIELDS, "parent", "value_type"}:
        return None
    for name, kind in _SYMBOL_FIELDS.items():
        if not isinstance(data[name], kind) or isinstance(data[name], bool):
            return None
    if not (data["parent"] is None or isinstance(data["parent"], str)) or not isinstance(data["value_type"], str):
        return None
    return Symbol(**data)


def _connect(path: Path) -> sqlite3.Connection:
    """Open (or create) the database and check it is ours; raises sqlite3.DatabaseError when it is not."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=5)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS summaries (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        columns = [row[1] for row in db.execute("PRAGMA table_info(summaries)")]
        if columns != ["key", "value"]:
            raise sqlite3.DatabaseError(f"unexpected table layout {columns}")
        db.execute("SELECT COUNT(*) FROM summaries").fetchone()
    except BaseException:
        db.close()
        raise
    return db


def _remove_legacy(directory: Path) -> None:
    if not (directory / "cache.db").exists():
        return
    for name in _LEGACY_FILES:
        (directory / name).unlink(missing_ok=True)
    # diskcache kept large values as pickle files in two-level hex folders.
    for value_file in directory.glob("[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f]/*.val"):
        value_file.unlink(missing_ok=True)
    log.info("removed the old pickle-based summary cache in %s", directory)
