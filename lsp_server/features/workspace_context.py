"""Starts and feeds the workspace context service; reports indexing progress and problems."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pygls.lsp.server import LanguageServer

from lsp_server.context.files import FilePolicy, WorkspaceFiles
from lsp_server.context.summaries import FileSummary
from lsp_server.context.workspace import IndexState, PromptContext, WorkspaceContext
from lsp_server.features.documents import DocumentListener
from lsp_server.features.messages import Notifier
from lsp_server.features.progress import work_done_progress
from lsp_server.paths import cache_root
from lsp_server.settings import Settings, SettingsStore, needs_reindex
from lsp_server.uris import uri_to_path

log = logging.getLogger(__name__)


class WorkspaceContextFeature(DocumentListener):
    """Owns the current WorkspaceContext (None when off) and adapts LSP events to it."""

    def __init__(self, server: LanguageServer, settings: SettingsStore, notifier: Notifier) -> None:
        self._server = server
        self._settings = settings
        self._notifier = notifier
        self._files: dict[tuple, WorkspaceFiles] = {}  # the file rules over the folders while the index is off
        self.context: WorkspaceContext | None = None

    def _folder_uris(self) -> list[str]:
        workspace = self._server.workspace
        return [folder.uri for folder in workspace.folders.values()] or (
            [workspace.root_uri] if workspace.root_uri else []
        )

    def _roots(self) -> list[Path]:
        roots = [path.resolve() for path in map(uri_to_path, self._folder_uris()) if path is not None]
        return [root for root in roots if root.is_dir()]

    def files(self) -> WorkspaceFiles | None:
        """The index's file rules, or the same rules over the workspace folders when the index is off."""
        if self.context is not None:
            return self.context.files
        roots = tuple(path.resolve() for path in map(uri_to_path, self._folder_uris()) if path is not None)
        if not roots:
            return None
        current = self._settings.current
        key = (roots, current.max_file_bytes, current.exclude)
        if key not in self._files:
            self._files.clear()
            self._files[key] = WorkspaceFiles(roots, FilePolicy(current.max_file_bytes, current.exclude))
        return self._files[key]

    def summaries(self) -> Mapping[str, FileSummary]:
        """The index's file summaries for refactor plans; none until it is ready."""
        context = self.context
        return context.index.summaries() if context is not None and context.state == IndexState.READY else {}

    async def start(self) -> None:
        """Index the workspace in the background with progress (nothing when repoContext is off)."""
        settings = self._settings.current
        roots = self._roots()
        if not settings.repo_context or not roots:
            return
        context = WorkspaceContext(roots, FilePolicy(settings.max_file_bytes, settings.exclude), cache_root() / "index")
        self.context = context
        async with work_done_progress(self._server, "iquest: indexing workspace") as report:
            warnings = await asyncio.get_running_loop().run_in_executor(None, context.start, report)
        for warning in warnings:
            self._notifier.warning(warning)

    async def settings_changed(self, old: Settings, new: Settings) -> None:
        """Index again when the file rules or the switch changed."""
        if needs_reindex(old, new):
            self.stop()
            await self.start()

    async def reindex(self) -> None:
        """Walk the workspace again (after a git checkout the watcher could not follow, say)."""
        context = self.context
        if context is None:
            return
        async with work_done_progress(self._server, "iquest: indexing workspace") as report:
            await asyncio.get_running_loop().run_in_executor(None, context.reindex, report)

    def stop(self) -> None:
        """Stop watching and indexing."""
        context, self.context = self.context, None
        if context is not None:
            context.stop()

    def opened(self, uri: str, text: str) -> None:
        """Follow an opened document."""
        path = uri_to_path(uri)
        if self.context is not None and path is not None:
            self.context.document_changed(path, text, None)

    def changed(self, uri: str, text: str, line: int | None) -> None:
        """Follow an open document's edits."""
        path = uri_to_path(uri)
        if self.context is not None and path is not None:
            self.context.document_changed(path, text, line)

    def closed(self, uri: str) -> None:
        """Stop following a closed document."""
        path = uri_to_path(uri)
        if self.context is not None and path is not None:
            self.context.document_closed(path)

    def prompt_context(
        self, uri: str, text: str, offset: int, budget_tokens: int, local: tuple[int, int] | None = None
    ) -> PromptContext | None:
        """Repository context for a cursor, or None."""
        path = uri_to_path(uri)
        if self.context is None or path is None:
            return None
        return self.context.prompt_context(
            path, text, offset, budget_tokens, self._settings.current.context_sources, local
        )

    def status(self) -> dict[str, Any]:
        """Index state for iquest.status."""
        if self.context is None:
            return {"state": IndexState.OFF}
        return self.context.status()
