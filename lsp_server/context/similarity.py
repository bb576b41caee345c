"""Windows of lines from indexed files, retrieved by identifier-set Jaccard similarity to the code before the cursor."""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

from lsp_server.context.tokens import identifiers

CHUNK_LINES = 20
# Bounds memory (about 3 KB per chunk, measured by scripts/bench_context.py: ~24 MB): the files changed longest ago go first.
MAX_CHUNKS = 8_000
_QUERY_LINES = 24
_MIN_SHARED = 3
_MIN_SCORE = 0.08


@dataclass(frozen=True)
class SimilarChunk:
    """A window of lines of one file and how similar it is to the query."""

    path: str
    start_line: int
    end_line: int
    score: float


class SimilarityIndex:
    """Fixed windows of every indexed file with an inverted index from identifier to window."""

    def __init__(self, max_chunks: int = MAX_CHUNKS, chunk_lines: int = CHUNK_LINES) -> None:
        self._max_chunks = max_chunks
        self._chunk_lines = chunk_lines
        self._files: OrderedDict[str, list[int]] = OrderedDict()  # least recently changed first
        self._chunks: dict[int, tuple[str, int, int, int]] = {}  # id -> (path, first line, last line, tokens)
        self._postings: dict[str, set[int]] = defaultdict(set)
        self._tokens: dict[int, tuple[str, ...]] = {}  # what to take out of the postings when a file changes
        self._next_id = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._chunks)

    def update(self, path: str, text: str | None) -> None:
        """Re-chunk ``path`` from ``text`` (None: the file is gone)."""
        windows = [] if text is None else self._windows(text)
        with self._lock:
            self._remove(path)
            if not windows:
                return
            ids = []
            for first, last, tokens in windows:
                chunk_id = self._next_id
                self._next_id += 1
                self._chunks[chunk_id] = (path, first, last, len(tokens))
                self._tokens[chunk_id] = tuple(tokens)
                for token in tokens:
                    self._postings[token].add(chunk_id)
                ids.append(chunk_id)
            self._files[path] = ids
            while len(self._chunks) > self._max_chunks and len(self._files) > 1:
                self._remove(next(iter(self._files)))

    def _windows(self, text: str) -> list[tuple[int, int, frozenset[str]]]:
        lines = text.split("\n")
        windows = []
        for first in range(0, len(lines), self._chunk_lines):
            last = min(len(lines), first + self._chunk_lines) - 1
            tokens = frozenset(map(sys.intern, identifiers("\n".join(lines[first : last + 1]))))
            if len(tokens) >= _MIN_SHARED:
                windows.append((first, last, tokens))
        return windows

    def _remove(self, path: str) -> None:
        for chunk_id in self._files.pop(path, ()):
            del self._chunks[chunk_id]
            for token in self._tokens.pop(chunk_id):
                posting = self._postings[token]
                posting.discard(chunk_id)
                if not posting:
                    del self._postings[token]

    def query(self, text: str, offset: int, exclude: str, limit: int) -> list[SimilarChunk]:
        """The ``limit`` windows most similar to the lines before ``offset``, not from ``exclude``."""
        start = offset
        for _ in range(_QUERY_LINES):
            start = text.rfind("\n", 0, start)
            if start < 0:
                break
        wanted = frozenset(identifiers(text[start + 1 : offset]))
        if len(wanted) < _MIN_SHARED:
            return []
        with self._lock:
            shared: dict[int, int] = defaultdict(int)
            for token in wanted:
                for chunk_id in self._postings.get(token, ()):
                    shared[chunk_id] += 1
            scored = []
            for chunk_id, count in shared.items():
                path, first, last, size = self._chunks[chunk_id]
                if count < _MIN_SHARED or path == exclude:
                    continue
                score = count / (len(wanted) + size - count)
                if score >= _MIN_SCORE:
                    scored.append(SimilarChunk(path, first, last, score))
        scored.sort(key=lambda c: (-c.score, c.path, c.start_line))
        return scored[:limit]
