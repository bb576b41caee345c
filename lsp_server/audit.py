"""Local JSONL audit log of AI output shown to the user."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
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

    def record(self, kind: str, *, uri: str, model: str, prompt: str, output: str, **fields: Any) -> None:
        """Append an entry; the prompt and output are stored as hashes, the output also as text."""
        if not self.enabled:
            return
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "kind": kind,
            "uri": uri,
            "model": model,
            "prompt_sha256": sha256_text(prompt),
            "output_sha256": sha256_text(output),
            "output": output,
            **fields,
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._rotate_if_needed()
                with open(self.path, "a", encoding="utf-8") as handle:
                    handle.write(line)
                self._failed = False
            except OSError as exc:
                if not self._failed:  # say it once, keep serving
                    log.warning("audit log %s not writable: %s", self.path, exc)
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
