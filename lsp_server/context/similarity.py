"""Windows of lines from indexed files, retrieved by identifier-set Jaccard similarity to the code before the cursor."""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

from lsp_server.context.tokens import identifiers

CHUNK_LINES = 20
# Bounds memory (about 3 KB per chunk, measured by scripts/bench_context.py: ~24 MB):
# the files changed longest ago go first.
MAX_CHUNKS = 8_000
_QUERY_LINES = 24
_MIN_SHARED = 3
_MIN_SCORE = 0.08
_SAME_FILE_REACH_LINES = 2_000  # a huge document is scanned this far from its local window only


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
        return [
            (first, last, frozenset(map(sys.intern, tokens)))
            for first, last, tokens in line_windows(text.split("\n"), self._chunk_lines)
        ]

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
        wanted = query_identifiers(text, offset)
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
        return best(scored, limit)


def best(found: list[SimilarChunk], limit: int) -> list[SimilarChunk]:
    """The ``limit`` most similar, ties in a fixed order."""
    return sorted(found, key=lambda c: (-c.score, c.path, c.start_line))[:limit]


def query_identifiers(text: str, offset: int) -> frozenset[str]:
    """The identifiers of the lines just before ``offset``: what the code at the cursor is about."""
    start = offset
    for _ in range(_QUERY_LINES):
        start = text.rfind("\n", 0, start)
        if start < 0:
            break
    return frozenset(identifiers(text[start + 1 : offset]))


def line_windows(lines: list[str], chunk_lines: int = CHUNK_LINES, first: int = 0, end: int | None = None):
    """(first line, last line, identifiers) of the fixed windows of ``lines`` that start in [first, end)."""
    end = len(lines) if end is None else min(end, len(lines))
    for start in range(first - first % chunk_lines, end, chunk_lines):
        last = min(len(lines), start + chunk_lines) - 1
        tokens = set(identifiers("\n".join(lines[start : last + 1])))
        if len(tokens) >= _MIN_SHARED:
            yield start, last, tokens


def same_file_windows(path: str, text: str, offset: int, local: tuple[int, int], limit: int) -> list[SimilarChunk]:
    """Windows of the open document itself that lie wholly outside its local window, most like the cursor's lines first.

    ``local`` is how many characters before and after ``offset`` the prompt's local window may hold:
    what lies farther out (a long file's other functions) the model would not see otherwise.
    """
    wanted = query_identifiers(text, offset)
    if len(wanted) < _MIN_SHARED:
        return []
    lines = text.split("\n")
    before = text.count("\n", 0, max(0, offset - local[0]))  # the first line the local window may reach
    after = text.count("\n", 0, min(len(text), offset + local[1]))
    found = []
    for start, last, tokens in [
        *line_windows(lines, CHUNK_LINES, max(0, before - _SAME_FILE_REACH_LINES), before),
        *line_windows(lines, CHUNK_LINES, after + 1, after + 1 + _SAME_FILE_REACH_LINES),
    ]:
        if before <= last and start <= after:
            continue
        count = len(wanted & tokens)
        score = count / (len(wanted) + len(tokens) - count)
        if count >= _MIN_SHARED and score >= _MIN_SCORE:
            found.append(SimilarChunk(path, start, last, score))
    return best(found, limit)
