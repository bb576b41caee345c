"""Local JSONL audit log of AI output shown to the user."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def sha256_text(text: str) -> str:
    """Hex sha256 of ``text`` as UTF-8."""
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


class AuditLog:
    """Appends one JSON object per line; rotates at ``max_bytes`` keeping ``keep`` old files."""

    def __init__(self, path: Path, *, enabled: bool = True, max_bytes: int = 5_000_000, keep: int = 3) -> None:
        self.path = path
        self.enabled = enabled
        self._max_bytes = max_bytes
        self._keep = keep
        self._lock = threading.Lock()
        self._failed = False
        self.on_failure: Callable[[str], None] | None = None  # told once when writing starts failing

    def record(self, kind: str, *, uri: str, model: str, prompt: str | None, output: str | None, **fields: Any) -> None:
        """Append an entry; the prompt is stored as a hash, the output as a hash and as text (None: left out)."""
        if not self.enabled:
            return
        entry: dict[str, Any] = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "kind": kind, "uri": uri, "model": model}
        if prompt is not None:
            entry["prompt_sha256"] = sha256_text(prompt)
        if output is not None:
            entry["output_sha256"] = sha256_text(output)
            entry["output"] = output
        entry.update({key: value for key, value in fields.items() if value is not None})
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._rotate_if_needed()
                _append_whole(self.path, line.encode("utf-8", errors="surrogatepass"))
                self._failed = False
            except OSError as exc:
                if not self._failed:  # say it once, keep serving
                    log.warning("audit log %s not writable: %s", self.path, exc)
                    if self.on_failure is not None:
                        self.on_failure(
                            f"the audit log {self.path} cannot be written ({exc.strerror or exc}); suggestions are "
                            "shown but not logged. Fix: free disk space or set iquest.auditLogPath."
                        )
                self._failed = True

    def _rotate_if_needed(self) -> None:
        try:
            if self.path.stat().st_size < self._max_bytes:
                return
        except FileNotFoundError:
            return
        for index in range(self._keep - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{index + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))


def _append_whole(path: Path, data: bytes) -> None:
    """Append ``data`` with one write; when the disk fills mid-line, cut the file back so no half line stays."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        start = os.fstat(fd).st_size
        try:
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        except OSError:
            with contextlib.suppress(OSError):  # /dev/full and other devices cannot be truncated
                os.ftruncate(fd, start)
            raise
    finally:
        os.close(fd)


def read_recent(path: Path, limit: int = 20, keep: int = 3) -> list[dict[str, Any]]:
    """The last ``limit`` entries across the log and its rotated files, oldest first; bad lines are skipped."""
    entries: list[dict[str, Any]] = []
    for candidate in [path, *(path.with_name(f"{path.name}.{index}") for index in range(1, keep + 1))]:
        if len(entries) >= limit:
            break
        try:
            lines = candidate.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        older: list[dict[str, Any]] = []
        for line in lines:
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                older.append(value)
        entries = older + entries
    return entries[-limit:] if limit > 0 else []


def format_entry(entry: dict[str, Any], width: int = 60) -> str:
    """One line for a person: time, kind, action, where, model, output hash and the start of the output."""
    where = str(entry.get("uri", ""))
    span = entry.get("range") or {}
    if isinstance(span, dict) and span.get("start"):
        where += f":{span['start'][0] + 1}"
    elif "offset" in entry:
        where += f"@{entry['offset']}"
    output = str(entry.get("output", "")).replace("\n", "\\n")
    if len(output) > width:
        output = output[: width - 1] + "…"
    digest = str(entry.get("output_sha256", ""))[:12]
    action = f"/{entry['action']}" if entry.get("action") else ""
    return "  ".join(
        part
        for part in (
            str(entry.get("time", "")),
            f"{entry.get('kind', '?')}{action}",
            where,
            str(entry.get("model", "")),
            digest,
            output,
        )
        if part
    )
