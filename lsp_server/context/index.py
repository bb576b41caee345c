"""The workspace index: a tree-sitter summary per file, a symbol table, a disk cache."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tree_sitter import Tree

from lsp_server.context.files import WorkspaceFiles
from lsp_server.context.imports import resolve_import
from lsp_server.context.languages import grammar_version, language_for_path
from lsp_server.context.summaries import SUMMARIZER_VERSION, FileSummary, Symbol, summarize
from lsp_server.context.summary_cache import SummaryCache
from lsp_server.progress import Progress

log = logging.getLogger(__name__)

# Called with a file's path and its new text (None when it is forgotten) after every change.
ChangeListener = Callable[[str, "str | None"], None]


@dataclass(frozen=True)
class IndexStats:
    """What the last build did."""

    files: int
    from_cache: int
    parsed: int
    seconds: float


@dataclass(frozen=True)
class Definition:
    """Where a symbol is defined."""

    path: str
    symbol: Symbol


def _open_cache(cache_dir: Path | None) -> tuple[SummaryCache | None, str | None]:
    """Open the summary cache: (cache, what was repaired or None), or (None, why) when it cannot be used."""
    if cache_dir is None:
        return None, None
    try:
        cache = SummaryCache(cache_dir)
    except Exception as exc:  # a broken cache must never stop indexing
        problem = f"summary cache at {cache_dir} unusable ({exc}); indexing without it, so restarts are slower"
        log.warning("%s", problem)
        return None, problem
    return cache, cache.problem


class WorkspaceIndex:
    """Summaries of every indexable file, kept current by the watcher and open documents."""

    def __init__(self, files: WorkspaceFiles, cache_dir: Path | None) -> None:
        self.files = files
        self._cache, self.cache_error = _open_cache(cache_dir)
        self._lock = threading.RLock()
        self._summaries: dict[str, FileSummary] = {}
        self._sources: dict[str, str] = {}
        self._by_name: dict[str, list[Definition]] = defaultdict(list)
        self._open: set[str] = set()
        self.generation = 0
        self._changes: dict[str, int] = defaultdict(int)
        self.stats = IndexStats(0, 0, 0, 0.0)
        self.listeners: list[ChangeListener] = []
        self._resolved_imports: dict[tuple[str, str], str | None] = {}  # valid while the set of paths stays

    # -- building -------------------------------------------------------------------------

    def build(self, progress: Progress | None = None) -> IndexStats:
        """Summarize every indexable file (from the disk cache when its content is unchanged)."""
        started = time.perf_counter()
        paths = list(self.files.iter_files())
        from_cache = parsed = 0
        for number, path in enumerate(paths, 1):
            outcome = self.update_path(path)
            from_cache += outcome == "cached"
            parsed += outcome == "parsed"
            if progress is not None and (number % 200 == 0 or number == len(paths)):
                progress(f"{number}/{len(paths)} files", int(100 * number / max(1, len(paths))))
        known = {self.files.relative(p) for p in paths}
        with self._lock:
            for stale in [rel for rel in self._summaries if rel not in known and rel not in self._open]:
                self._forget(stale)
        self.stats = IndexStats(len(paths), from_cache, parsed, time.perf_counter() - started)
        return self.stats

    def update_path(self, path: Path) -> str:
        """Re-read one file from disk; returns "cached", "parsed", "unchanged", "removed" or "skipped"."""
        rel = self.files.relative(path) if self.files.contains(path) else None
        if rel is None:
            return "skipped"
        if rel in self._open:
            return "skipped"  # open documents follow didChange, not the disk
        text = self.files.read_text(path) if self.files.is_indexable(path) else None
        if text is None:
            if rel in self._summaries:
                with self._lock:
                    self._forget(rel)
                return "removed"
            return "skipped"
        return self._store(rel, text)

    def remove_path(self, path: Path) -> None:
        """Forget a deleted file."""
        if not self.files.contains(path.parent) and not self.files.contains(path):
            return
        rel = self.files.relative(path)
        with self._lock:
            if rel in self._summaries and rel not in self._open:
                self._forget(rel)

    def set_open_document(self, rel: str, text: str, tree: Tree | None = None) -> None:
        """Use an open document's in-memory text (and its incrementally parsed tree) instead of the disk."""
        self._open.add(rel)
        self._store(rel, text, tree)

    def close_document(self, path: Path) -> None:
        """Back to the disk's version once the editor closes the document."""
        rel = self.files.relative(path)
        self._open.discard(rel)
        self.update_path(path)

    def _store(self, rel: str, text: str, tree: Tree | None = None) -> str:
        if self._sources.get(rel) == text:
            return "unchanged"
        language = language_for_path(rel)
        if language is None:
            return "skipped"
        key = self._key(rel, language, text)
        summary = self._cache_get(key)
        outcome = "cached"
        if summary is None:
            summary = summarize(text, language, rel, tree=tree)
            self._cache_set(key, summary)
            outcome = "parsed"
        with self._lock:
            if rel not in self._summaries:
                self._resolved_imports.clear()
            self._forget(rel, replaced=True)
            self._summaries[rel] = summary
            self._sources[rel] = text
            for symbol in summary.symbols:
                self._by_name[symbol.name].append(Definition(rel, symbol))
            self.generation += 1
            self._changes[rel] += 1
        for listener in self.listeners:  # outside the lock: completions keep reading the index meanwhile
            listener(rel, text)
        return outcome

    def _forget(self, rel: str, replaced: bool = False) -> None:
        """Drop a file; ``replaced``: its new version is stored right after, so the path stays known."""
        old = self._summaries.pop(rel, None)
        self._sources.pop(rel, None)
        if old is None:
            return
        if not replaced:
            self._resolved_imports.clear()
            for listener in self.listeners:
                listener(rel, None)
        for symbol in old.symbols:
            remaining = [d for d in self._by_name.get(symbol.name, []) if d.path != rel]
            if remaining:
                self._by_name[symbol.name] = remaining
            else:
                self._by_name.pop(symbol.name, None)
        self.generation += 1
        self._changes[rel] += 1

    @staticmethod
    def _key(rel: str, language: str, text: str) -> str:
        digest = hashlib.sha256(f"{rel}\0{text}".encode("utf-8", errors="surrogatepass")).hexdigest()
        return f"summary:{SUMMARIZER_VERSION}:{grammar_version(language)}:{digest}"

    def _cache_get(self, key: str) -> FileSummary | None:
        if self._cache is None:
            return None
        try:
            value = self._cache.get(key)
        except Exception as exc:
            self._cache_broken(exc)
            return None
        if self._cache.problem and not self.cache_error:
            self.cache_error = self._cache.problem
        return value

    def _cache_set(self, key: str, summary: FileSummary) -> None:
        if self._cache is None:
            return
        try:
            self._cache.set(key, summary)
        except Exception as exc:
            self._cache_broken(exc)

    def _cache_broken(self, exc: Exception) -> None:
        """Stop using a cache that fails (corrupt, full disk, read-only); the index itself goes on."""
        self.cache_error = f"summary cache disabled ({exc}); indexing without it, so restarts are slower"
        log.warning("%s", self.cache_error)
        self._cache = None

    # -- queries ----------------------------------------------------------------------------

    def generation_of_others(self, rel: str) -> int:
        """A counter that changes when any file but ``rel`` changes (its own edits do not count)."""
        return self.generation - self._changes.get(rel, 0)

    def summary(self, rel: str) -> FileSummary | None:
        """The summary of one file (workspace-relative posix path)."""
        return self._summaries.get(rel)

    def source(self, rel: str) -> str | None:
        """The text the summary was made from."""
        return self._sources.get(rel)

    def summaries(self) -> dict[str, FileSummary]:
        """A snapshot of every summary."""
        with self._lock:
            return dict(self._summaries)

    def definitions(self, name: str) -> list[Definition]:
        """Every definition of ``name`` in the workspace."""
        with self._lock:
            return list(self._by_name.get(name, ()))

    def paths_in_directory(self, rel_dir: str) -> list[str]:
        """Indexed files directly inside ``rel_dir``."""
        with self._lock:
            return sorted(p for p in self._summaries if str(PurePosixPath(p).parent) == rel_dir)

    def resolve_import(self, from_rel: str, spec: str) -> str | None:
        """The indexed file an import names, if it is in the workspace."""
        with self._lock:
            key = (from_rel, spec)
            if key not in self._resolved_imports:
                self._resolved_imports[key] = resolve_import(from_rel, spec, self._summaries)
            return self._resolved_imports[key]

    def close(self) -> None:
        """Close the disk cache."""
        if self._cache is not None:
            try:
                self._cache.close()
            except Exception:
                pass
