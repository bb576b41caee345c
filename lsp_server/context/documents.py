"""Keep a tree-sitter tree per open document, reparsed incrementally as the text changes."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from tree_sitter import Point, Tree

from lsp_server.context.languages import get_parser


@dataclass
class _Document:
    language: str
    source: bytes
    tree: Tree


def _common_prefix(a: bytes, b: bytes) -> int:
    """Length of the common prefix, by binary search over slice comparisons (done in C)."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    # Invariant: a[:lo] == b[:lo] and a[:hi] != b[:hi].
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the common suffix, at most ``limit``."""
    lo, hi = 0, limit
    if a[len(a) - hi :] == b[len(b) - hi :]:
        return hi
    # Invariant: the last lo bytes match and the last hi bytes do not.
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[len(a) - mid : len(a) - lo] == b[len(b) - mid : len(b) - lo]:
            lo = mid
        else:
            hi = mid
    return lo


def _is_continuation(data: bytes, index: int) -> bool:
    return index < len(data) and data[index] & 0xC0 == 0x80


def _point(data: bytes, offset: int) -> Point:
    """Row and byte column of a byte offset, as tree-sitter counts them."""
    row = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    return Point(row, offset - line_start)


def changed_span(old: bytes, new: bytes) -> tuple[int, int, int]:
    """(start, old_end, new_end) byte offsets of the one span where ``old`` and ``new`` differ."""
    start = _common_prefix(old, new)
    # Edits start and end on character boundaries, never inside a multi-byte UTF-8 sequence.
    while start > 0 and (_is_continuation(new, start) or _is_continuation(old, start)):
        start -= 1
    suffix = _common_suffix(old, new, min(len(old), len(new)) - start)
    while suffix > 0 and _is_continuation(new, len(new) - suffix):
        suffix -= 1
    return start, len(old) - suffix, len(new) - suffix


class OpenDocumentTrees:
    """Syntax trees of open documents, updated incrementally from each new full text."""

    def __init__(self) -> None:
        self._documents: dict[str, _Document] = {}
        self._lock = threading.Lock()

    def update(self, uri: str, text: str, language: str) -> Tree:
        """Set a document's text and return its tree, reusing the previous tree where possible."""
        new = text.encode("utf-8", "surrogatepass")  # lone surrogates can arrive in JSON
        with self._lock:
            document = self._documents.get(uri)
            parser = get_parser(language)
            if document is None or document.language != language:
                tree = parser.parse(new)
            elif document.source == new:
                return document.tree
            else:
                old = document.source
                start, old_end, new_end = changed_span(old, new)
                # Edit a copy: callers may still be reading the tree they were handed.
                old_tree = document.tree.copy()
                start_point = _point(old, start)
                old_tree.edit(
                    start_byte=start,
                    old_end_byte=old_end,
                    new_end_byte=new_end,
                    start_point=start_point,
                    old_end_point=_point(old, old_end),
                    new_end_point=_point(new, new_end),
                )
                tree = parser.parse(new, old_tree)
            self._documents[uri] = _Document(language, new, tree)
            return tree

    def tree(self, uri: str) -> Tree | None:
        """The document's current tree, or None if it is not open."""
        with self._lock:
            document = self._documents.get(uri)
            return document.tree if document is not None else None

    def source(self, uri: str) -> bytes | None:
        """The document's current UTF-8 text, or None if it is not open."""
        with self._lock:
            document = self._documents.get(uri)
            return document.source if document is not None else None

    def close(self, uri: str) -> None:
        """Forget a document."""
        with self._lock:
            self._documents.pop(uri, None)
