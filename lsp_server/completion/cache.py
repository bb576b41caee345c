"""Typing-through cache: answers a keystroke at once when it matches a suggestion already computed."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

# How much of the prefix's end identifies where an answer was computed, and how far the user may
# have typed into it (llama.vim uses a 128-character back-scan too).
_TAIL_CHARS = 256
_MAX_TYPED = 128
_SUFFIX_KEY_CHARS = 4096


def suffix_key(suffix: str) -> tuple[int, int]:
    """A cheap identity for the text after the cursor."""
    return len(suffix), hash(suffix[:_SUFFIX_KEY_CHARS])


@dataclass(frozen=True)
class _Entry:
    uri: str
    prefix_len: int
    prefix_tail: str
    suffix: tuple[int, int]
    raw: str
    short: bool
    speculative: bool


@dataclass(frozen=True)
class Cached:
    """What is left of a cached continuation, whether a stand-in prompt (a short one) or a speculation made it."""

    rest: str
    short: bool
    speculative: bool = False


class TypingThroughCache:
    """The last ``capacity`` raw model continuations, keyed by where they were computed."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[str, int, str, tuple[int, int]], _Entry] = OrderedDict()
        self._alternatives: OrderedDict[tuple[str, int, str, tuple[int, int], str], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def put(
        self, uri: str, prefix: str, suffix: str, raw: str, *, short: bool = False, speculative: bool = False
    ) -> None:
        """Remember that after ``prefix`` (and before ``suffix``) the model continues with ``raw``."""
        if not raw:
            return
        entry = _Entry(uri, len(prefix), prefix[-_TAIL_CHARS:], suffix_key(suffix), raw, short, speculative)
        key = (uri, entry.prefix_len, entry.prefix_tail, entry.suffix)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None and old.raw.startswith(raw) and (short or not old.short):
                entry = old  # keep the longer continuation (speculation extended it), unless it was a short prompt's
            self._entries[key] = entry
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def put_alternative(self, uri: str, prefix: str, suffix: str, raw: str) -> None:
        """Remember another continuation after ``prefix`` (a sampled one), next to the greedy one."""
        if not raw:
            return
        entry = _Entry(uri, len(prefix), prefix[-_TAIL_CHARS:], suffix_key(suffix), raw, False, True)
        with self._lock:
            self._alternatives[(uri, entry.prefix_len, entry.prefix_tail, entry.suffix, raw)] = entry
            while len(self._alternatives) > self._capacity // 4:
                self._alternatives.popitem(last=False)

    def lookup(self, uri: str, prefix: str, suffix: str) -> Cached | None:
        """The rest of the newest cached continuation the user has been typing through, or None."""
        key = suffix_key(suffix)
        with self._lock:
            entries = list(reversed(self._entries.values()))
        for entry in entries:
            rest = _rest(entry, uri, prefix, key)
            if rest is not None:
                self.hits += 1
                return Cached(rest, entry.short, entry.speculative)
        self.misses += 1
        return None

    def continuations(self, uri: str, prefix: str, suffix: str) -> list[str]:
        """Every different rest the user is typing through here: greedy ones newest first, then the alternatives."""
        key = suffix_key(suffix)
        with self._lock:
            entries = [*reversed(self._entries.values()), *reversed(self._alternatives.values())]
        rests = (_rest(entry, uri, prefix, key) for entry in entries if not entry.short)
        return list(dict.fromkeys(rest for rest in rests if rest is not None))

    def forget(self, uri: str) -> None:
        """Drop a document's entries (closed, or answered better now)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == uri]:
                del self._entries[key]
            for alternative in [k for k in self._alternatives if k[0] == uri]:
                del self._alternatives[alternative]


def _rest(entry: _Entry, uri: str, prefix: str, key: tuple[int, int]) -> str | None:
    """What is left of ``entry`` after what the user typed since it was computed; None when it does not apply."""
    if entry.uri != uri or entry.suffix != key:
        return None
    typed_len = len(prefix) - entry.prefix_len
    if not 0 <= typed_len <= _MAX_TYPED:
        return None
    if prefix[entry.prefix_len - len(entry.prefix_tail) : entry.prefix_len] != entry.prefix_tail:
        return None
    if len(entry.raw) > typed_len and entry.raw.startswith(prefix[entry.prefix_len :]):
        return entry.raw[typed_len:]
    return None
