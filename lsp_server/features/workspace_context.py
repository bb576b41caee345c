"""Starts and feeds the workspace context service; reports indexing progress and problems."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from lsp_server.context.files import FilePolicy
from lsp_server.context.workspace import PromptContext, WorkspaceContext
from lsp_server.features.documents import DocumentListeners
from lsp_server.features.messages import Notifier
from lsp_server.features.progress import work_done_progress
from lsp_server.paths import cache_root
from lsp_server.settings import Settings, SettingsStore, needs_reindex

log = logging.getLogger(__name__)


def _path(uri: str) -> Path | None:
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path) if path else None


class WorkspaceContextFeature:
    """Owns the current WorkspaceContext (None when off) and adapts LSP events to it."""

    def __init__(self, server: LanguageServer, settings: SettingsStore, notifier: Notifier) -> None:
        self._server = server
        self._settings = settings
        self._notifier = notifier
        self.context: WorkspaceContext | None = None

    def _roots(self) -> list[Path]:
        workspace = self._server.workspace
        uris = [folder.uri for folder in workspace.folders.values()] or (
            [workspace.root_uri] if workspace.root_uri else []
        )
        roots = [Path(p).resolve() for p in (to_fs_path(uri) for uri in uris if uri) if p]
        return [root for root in roots if root.is_dir()]

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

    def listen(self, listeners: DocumentListeners) -> None:
        """Follow open documents."""

        def opened(uri: str, text: str) -> None:
            path = _path(uri)
            if self.context is not None and path is not None:
                self.context.document_changed(path, text, None)

        def changed(uri: str, text: str, line: int | None) -> None:
            path = _path(uri)
            if self.context is not None and path is not None:
                self.context.document_changed(path, text, line)

        def closed(uri: str) -> None:
            path = _path(uri)
            if self.context is not None and path is not None:
                self.context.document_closed(path)

        listeners.opened.append(opened)
        listeners.changed.append(changed)
        listeners.closed.append(closed)

    def prompt_context(
        self, uri: str, text: str, offset: int, budget_tokens: int, local: tuple[int, int] | None = None
    ) -> PromptContext | None:
        """Repository context for a cursor, or None."""
        path = _path(uri)
        if self.context is None or path is None:
            return None
        return self.context.prompt_context(
            path, text, offset, budget_tokens, self._settings.current.context_sources, local
        )

    def status(self) -> dict[str, Any]:
        """Index state for iquest.status."""
        if self.context is None:
            return {"state": "off"}
        return self.context.status()
