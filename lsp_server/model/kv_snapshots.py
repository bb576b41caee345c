"""Saved KV states of earlier prompts, so that going back to a place evaluates only what changed."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:
    from lsp_server.model.kv_spill import SnapshotSpill

K = TypeVar("K")


@dataclass(frozen=True)
class Snapshot:
    """The KV state of one sequence after evaluating ``tokens``."""

    tokens: np.ndarray
    state: bytes

    @property
    def size(self) -> int:
        """Bytes this snapshot holds."""
        return len(self.state) + self.tokens.nbytes


def shared_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """How many leading tokens ``a`` and ``b`` have in common."""
    n = min(len(a), len(b))
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if len(differ) else n


def longest_shared_in(candidates: Iterable[tuple[K, np.ndarray]], wanted: np.ndarray) -> tuple[K | None, int]:
    """The key whose tokens share the longest prefix with ``wanted``, and that length (None, 0: none)."""
    found, length = None, 0
    for key, tokens in candidates:
        shared = shared_prefix(tokens, wanted)
        if shared > length:
            found, length = key, shared
    return found, length


class KvSnapshots:
    """A least-recently-used store of KV states within ``budget_bytes``; the longest shared prefix wins.

    With a ``spill``, what the budget evicts (and what is left at ``close``) goes to disk, and a file
    there that shares more with a prompt than any snapshot in RAM comes back.
    """

    def __init__(self, budget_bytes: int, spill: SnapshotSpill | None = None) -> None:
        self.budget_bytes = budget_bytes
        self.spill = spill
        self._items: OrderedDict[int, Snapshot] = OrderedDict()
        self._next = 0
        self._lock = threading.Lock()

    @property
    def bytes_used(self) -> int:
        """Bytes the stored snapshots hold."""
        with self._lock:
            return sum(s.size for s in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def longest_shared(self, tokens: Sequence[int]) -> int:
        """How many leading tokens of ``tokens`` the best snapshot (in RAM or on disk) holds."""
        wanted = np.asarray(tokens, dtype=np.int32)
        with self._lock:
            length = longest_shared_in(((k, s.tokens) for k, s in self._items.items()), wanted)[1]
        if self.spill is not None:
            length = max(length, self.spill.longest_shared(wanted)[1])
        return length

    def best(self, tokens: Sequence[int], worth: int = 0) -> tuple[Snapshot | None, int]:
        """The snapshot sharing the longest prefix with ``tokens``, and that length (0: none).

        A file on disk is read back only when it shares at least ``worth`` tokens.
        """
        wanted = np.asarray(tokens, dtype=np.int32)
        with self._lock:
            key, length = longest_shared_in(((k, s.tokens) for k, s in self._items.items()), wanted)
            found = None if key is None else self._items[key]
            if key is not None:
                self._items.move_to_end(key)
        if self.spill is not None:
            path, shared = self.spill.longest_shared(wanted)
            if path is not None and shared > length and shared >= worth:
                loaded = self.spill.load(path)
                if loaded is not None:
                    self._keep(loaded)
                    return loaded, shared
        return found, length

    def add(self, tokens: Sequence[int] | np.ndarray, state: bytes) -> None:
        """Keep the state of ``tokens``; drop the snapshots it extends and the oldest beyond the budget."""
        self._keep(Snapshot(np.asarray(tokens, dtype=np.int32).copy(), state))

    def close(self) -> None:
        """Put what RAM holds on disk (oldest first) and wait for the writes."""
        if self.spill is None:
            return
        with self._lock:
            kept = list(self._items.values())
        for snapshot in kept:
            self.spill.save(snapshot)
        self.spill.close()

    def _keep(self, snapshot: Snapshot) -> None:
        if snapshot.size > self.budget_bytes:
            if self.spill is not None:
                self.spill.save(snapshot)
            return
        with self._lock:
            for key, kept in list(self._items.items()):
                shared = shared_prefix(kept.tokens, snapshot.tokens)
                if shared == len(snapshot.tokens):  # a longer one already holds all of it
                    self._items.move_to_end(key)
                    return
                if shared == len(kept.tokens):  # this one holds all of the older one
                    del self._items[key]
            self._items[self._next] = snapshot
            self._next += 1
            used = sum(s.size for s in self._items.values())
            while used > self.budget_bytes:
                _, dropped = self._items.popitem(last=False)
                used -= dropped.size
                if self.spill is not None:
                    self.spill.save(dropped)
