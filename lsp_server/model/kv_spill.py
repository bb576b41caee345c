"""KV snapshots on disk: what RAM evicts, and what is left at shutdown, for later visits and restarts."""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from lsp_server.model.kv_snapshots import Snapshot, longest_shared_in, shared_prefix

log = logging.getLogger(__name__)

_MAGIC = b"IQKVSNP1"
# magic, token count, state bytes, CRC-32 of the tokens and the state
_HEADER = struct.Struct("<8sIQI")
_SUFFIX = ".kv"


def spill_key(*parts: object) -> str:
    """A directory name for snapshots that only this model file, llama.cpp build and context can load."""
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:16]


class SnapshotSpill:
    """Snapshot files in one directory within ``budget_bytes``, the least recently used dropped first.

    Files are written by a background thread. A file that does not read back whole (truncated, altered,
    another format) is deleted, and the snapshot is simply not there.
    """

    def __init__(self, directory: Path, budget_bytes: int) -> None:
        self.directory = directory
        self.budget_bytes = budget_bytes
        self._index: dict[Path, tuple[np.ndarray, int]] = {}  # tokens and file size, oldest first
        self._lock = threading.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kv-spill")
        self._warned = False
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            self._warn(f"cannot create {directory}: {exc}")
            return
        files = sorted(directory.glob(f"*{_SUFFIX}"), key=_mtime)  # another server may share the directory
        for path in files:
            header = self._read(path, with_state=False)
            if header is not None:
                self._index[path] = (header.tokens, _size(path))

    def __len__(self) -> int:
        with self._lock:
            return len(self._index)

    @property
    def bytes_used(self) -> int:
        """Bytes the snapshot files take on disk."""
        with self._lock:
            return sum(size for _, size in self._index.values())

    def longest_shared(self, wanted: np.ndarray) -> tuple[Path | None, int]:
        """The file whose tokens share the longest prefix with ``wanted``, and that length."""
        with self._lock:
            items = [(path, tokens) for path, (tokens, _) in self._index.items()]
        return longest_shared_in(items, wanted)

    def save(self, snapshot: Snapshot) -> None:
        """Write ``snapshot`` in the background."""
        if self.budget_bytes <= 0 or snapshot.size > self.budget_bytes:
            return
        try:
            self._writer.submit(self._write, snapshot)
        except RuntimeError:  # closed
            pass

    def load(self, path: Path) -> Snapshot | None:
        """The snapshot in ``path``; None (and the file deleted) when it does not read back whole."""
        snapshot = self._read(path, with_state=True)
        if snapshot is not None:
            with self._lock:
                if path in self._index:
                    self._index[path] = self._index.pop(path)  # most recently used
            _touch(path)
        return snapshot

    def close(self) -> None:
        """Finish the pending writes."""
        self._writer.shutdown(wait=True)

    def _write(self, snapshot: Snapshot) -> None:
        tokens = snapshot.tokens.astype(np.int32, copy=False)
        path = self.directory / (hashlib.sha256(tokens.tobytes()).hexdigest()[:32] + _SUFFIX)
        with self._lock:
            known = path in self._index
        if known:
            _touch(path)
            return
        payload = tokens.tobytes() + snapshot.state
        header = _HEADER.pack(_MAGIC, len(tokens), len(snapshot.state), zlib.crc32(payload))
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(header)
                out.write(payload)
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            self._warn(f"cannot write {path}: {exc}")
            return
        with self._lock:
            for older, (kept, _) in list(self._index.items()):
                if len(kept) <= len(tokens) and shared_prefix(kept, tokens) == len(kept):
                    del self._index[older]  # the new one holds all of it
                    older.unlink(missing_ok=True)
            self._index[path] = (tokens.copy(), _HEADER.size + len(payload))
            used = sum(size for _, size in self._index.values())
            while used > self.budget_bytes and len(self._index) > 1:
                oldest = next(iter(self._index))
                used -= self._index.pop(oldest)[1]
                oldest.unlink(missing_ok=True)

    def _read(self, path: Path, *, with_state: bool) -> Snapshot | None:
        try:
            with path.open("rb") as source:
                header = source.read(_HEADER.size)
                if len(header) != _HEADER.size:
                    raise ValueError("truncated header")
                magic, count, state_len, crc = _HEADER.unpack(header)
                if magic != _MAGIC:
                    raise ValueError("not a snapshot file")
                tokens = source.read(count * 4)
                state = source.read(state_len + 1) if with_state else b""
            if len(tokens) != count * 4:
                raise ValueError("truncated tokens")
            if with_state:
                if len(state) != state_len:
                    raise ValueError("truncated or overlong state")
                if zlib.crc32(tokens + state) != crc:
                    raise ValueError("checksum mismatch")
        except (OSError, ValueError) as exc:
            with self._lock:
                self._index.pop(path, None)
            path.unlink(missing_ok=True)
            self._warn(f"dropped the saved KV state {path.name}: {exc}")
            return None
        return Snapshot(np.frombuffer(tokens, dtype=np.int32).copy(), state)

    def _warn(self, message: str) -> None:
        if not self._warned:
            log.warning(
                "%s (KV snapshots on disk under %s; set iquest.kvSnapshotDiskMb to 0 to turn them off)",
                message,
                self.directory,
            )
            self._warned = True
        else:
            log.debug(message)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass
