"""The workspace context service: index, watcher, open documents and prompt context, no pygls."""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsp_server.context.assembly import ContextAssembler, ContextChunk
from lsp_server.context.documents import OpenDocumentTrees
from lsp_server.context.files import FilePolicy, WorkspaceFiles
from lsp_server.context.index import WorkspaceIndex
from lsp_server.context.languages import LINE_COMMENT, language_for_path
from lsp_server.context.recent import RecentSnippets
from lsp_server.context.similarity import SimilarityIndex
from lsp_server.context.watcher import WorkspaceWatcher
from lsp_server.progress import Progress
from lsp_server.settings import CONTEXT_SOURCES

log = logging.getLogger(__name__)

# Re-summarizing an open document is deferred until typing pauses for this long.
_OPEN_DOCUMENT_DELAY_S = 0.5


class IndexState(enum.StrEnum):
    """Where the workspace index is in its life; the values are what iquest.status shows."""

    NOT_STARTED = "not started"
    INDEXING = "indexing"
    READY = "ready"
    FAILED = "failed"
    OFF = "off"  # iquest.repoContext is off: there is no index


@dataclass(frozen=True)
class PromptContext:
    """What the prompt needs to show repository context for one file."""

    repo_name: str
    path: str
    comment: str
    chunks: tuple[ContextChunk, ...]


# (uri, text, offset, budget tokens, the characters before and after the cursor that the local
# window holds, or None where the prompt holds no local window)
ContextProvider = Callable[[str, str, int, int, tuple[int, int] | None], PromptContext | None]


class WorkspaceContext:
    """Keeps a summary index of the workspace fresh and answers 'what context for this cursor?'."""

    def __init__(self, roots: Sequence[Path], policy: FilePolicy, cache_dir: Path | None) -> None:
        self.files = WorkspaceFiles(roots, policy)
        self.index = WorkspaceIndex(self.files, cache_dir)
        self.recent = RecentSnippets()
        self.similar = SimilarityIndex()
        self.index.listeners.append(self.similar.update)
        self._assembler = ContextAssembler(self.index, self.recent, self.similar)
        self._trees = OpenDocumentTrees()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="iquest-index")
        self._watcher: WorkspaceWatcher | None = None
        self._timers: dict[str, threading.Timer] = {}
        self._lock = threading.Lock()
        self.state = IndexState.NOT_STARTED
        self.watching = False
        self.error: str | None = None

    @property
    def repo_name(self) -> str:
        """The first root's folder name."""
        return self.files.roots[0].name if self.files.roots else "workspace"

    def start(self, progress: Progress | None = None) -> list[str]:
        """Build the index (blocking; run it off the event loop) and start watching; returns warnings."""
        self.state = IndexState.INDEXING
        warnings: list[str] = []
        try:
            stats = self._worker.submit(self.index.build, progress).result()
        except Exception as exc:
            log.exception("indexing failed")
            self.state, self.error = IndexState.FAILED, f"indexing the workspace failed: {exc}"
            return [self.error]
        log.info("indexed %d files in %.2f s (%d from cache)", stats.files, stats.seconds, stats.from_cache)
        if self.index.cache_error:
            warnings.append(self.index.cache_error)
        self._watcher = WorkspaceWatcher(list(self.files.roots), self._on_disk_change)
        problem = self._watcher.start()
        self.watching = problem is None
        if problem:
            warnings.append(problem)
        self.state = IndexState.READY
        return warnings

    def reindex(self, progress: Progress | None = None) -> None:
        """Walk the workspace again (picks up what the watcher could not see)."""
        self._worker.submit(self.index.build, progress).result()

    def _on_disk_change(self, paths: list[Path]) -> None:
        def apply() -> None:
            for path in paths:
                if path.is_dir():
                    continue
                if path.exists():
                    self.index.update_path(path)
                else:
                    self.index.remove_path(path)
                    rel = self._relative(path)
                    if rel is not None:
                        self.recent.forget(rel)

        self._worker.submit(apply)

    def _relative(self, path: Path) -> str | None:
        if language_for_path(path) is None or not self.files.contains(path):
            return None
        return self.files.relative(path)

    def document_changed(self, path: Path, text: str, line: int | None) -> None:
        """An open document's text changed (or it was opened): remember the place, re-index later."""
        rel = self._relative(path)
        if rel is None or len(text) > self.files.policy.max_bytes:  # the size limit holds for open documents too
            return
        if line is not None:
            self.recent.record(rel, text, line)
        with self._lock:
            timer = self._timers.pop(rel, None)
            if timer is not None:
                timer.cancel()
            timer = threading.Timer(
                _OPEN_DOCUMENT_DELAY_S, lambda: self._worker.submit(self._index_open_document, rel, text)
            )
            timer.daemon = True
            self._timers[rel] = timer
            timer.start()

    def _index_open_document(self, rel: str, text: str) -> None:
        """Re-parse incrementally from the last version of this document, then re-summarize."""
        language = language_for_path(rel)
        if language is not None:
            self.index.set_open_document(rel, text, self._trees.update(rel, text, language))

    def document_closed(self, path: Path) -> None:
        """Back to the file on disk."""
        rel = self._relative(path)
        if rel is None:
            return
        with self._lock:
            timer = self._timers.pop(rel, None)
            if timer is not None:
                timer.cancel()
        self._trees.close(rel)
        self.recent.forget(rel)
        self._worker.submit(self.index.close_document, path)

    def prompt_context(
        self,
        path: Path,
        text: str,
        offset: int,
        budget_tokens: int,
        sources: Collection[str] = CONTEXT_SOURCES,
        local: tuple[int, int] | None = None,
    ) -> PromptContext | None:
        """Context chunks from ``sources`` for a cursor in ``path``; None outside the workspace or before indexing.

        ``local``: the characters around the cursor the prompt holds anyway (see ContextAssembler.chunks).
        """
        rel = self._relative(path)
        if rel is None or self.state != IndexState.READY:
            return None
        language = language_for_path(path) or "python"
        chunks = self._assembler.chunks(rel, text, offset, budget_tokens, sources, local)
        return PromptContext(self.repo_name, rel, LINE_COMMENT.get(language, "#"), chunks)

    def status(self) -> dict[str, Any]:
        """Index figures for iquest.status."""
        stats = self.index.stats
        return {
            "state": self.state,
            "files": len(self.index.summaries()),
            "fromCache": stats.from_cache,
            "parsed": stats.parsed,
            "seconds": round(stats.seconds, 3),
            "watching": self.watching,
            "error": self.error,
        }

    def stop(self) -> None:
        """Stop the watcher and the index thread."""
        if self._watcher is not None:
            self._watcher.stop()
        with self._lock:
            for timer in self._timers.values():
                timer.cancel()
        self._worker.shutdown(wait=False, cancel_futures=True)
        self.index.close()
