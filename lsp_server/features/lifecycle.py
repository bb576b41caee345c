"""initialize / initialized / didChangeConfiguration / shutdown: settings and the model's life."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from lsp_server.features.messages import Notifier
from lsp_server.features.progress import work_done_progress
from lsp_server.model.backend import ModelError
from lsp_server.model.runtime import BackendFactory, ModelRuntime
from lsp_server.settings import Settings, SettingsStore, needs_reload

log = logging.getLogger(__name__)

StartHook = Callable[[], Awaitable[None]]
SettingsHook = Callable[[Settings, Settings], Awaitable[None]]
StopHook = Callable[[], None]


class Lifecycle:
    """Settings from the client, the model loaded and reloaded, the hooks of the other parts run in order."""

    def __init__(
        self,
        server: LanguageServer,
        settings: SettingsStore,
        runtime: ModelRuntime,
        notifier: Notifier,
        backend_factory: Callable[[Settings], BackendFactory],
        *,
        on_initialized: Sequence[StartHook] = (),
        on_settings_changed: Sequence[SettingsHook] = (),
        on_shutdown: Sequence[StopHook] = (),
    ) -> None:
        self._server = server
        self._settings = settings
        self._runtime = runtime
        self._notifier = notifier
        self._backend_factory = backend_factory
        self._on_initialized = tuple(on_initialized)
        self._on_settings_changed = tuple(on_settings_changed)
        self._on_shutdown = tuple(on_shutdown)

    async def load_model(self) -> None:
        """(Re)load the model the settings name, with progress; a failure is shown to the user."""
        factory = self._backend_factory(self._settings.current)
        try:
            async with work_done_progress(self._server, "iquest: loading model") as report:
                await self._runtime.load(factory, report)
        except ModelError as exc:
            self._notifier.error(str(exc))

    def register(self, server: LanguageServer) -> None:
        """Wire the lifecycle handlers."""
        settings, notifier = self._settings, self._notifier

        @server.feature(types.INITIALIZE)
        def initialize(ls: LanguageServer, params: types.InitializeParams) -> None:
            """Read initializationOptions."""
            _, errors = settings.update(params.initialization_options or {})
            for message in errors:
                notifier.warning(message)

        @server.feature(types.INITIALIZED)
        async def initialized(ls: LanguageServer, params: types.InitializedParams) -> None:
            """Load the model and index the workspace in the background; initialize never waits."""
            await asyncio.gather(self.load_model(), *(hook() for hook in self._on_initialized))

        @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
        async def did_change_configuration(ls: LanguageServer, params: types.DidChangeConfigurationParams) -> None:
            """Apply new settings; reload the model only when a load-time setting changed."""
            old, errors = settings.update(params.settings or {})
            for message in errors:
                notifier.warning(message)
            work = [hook(old, settings.current) for hook in self._on_settings_changed]
            if needs_reload(old, settings.current):
                work.append(self.load_model())
            await asyncio.gather(*work)

        @server.feature(types.SHUTDOWN)
        def shutdown(ls: LanguageServer, params: None) -> None:
            """Stop generations, the index and the watcher; free the model."""
            for hook in self._on_shutdown:
                hook()
            self._runtime.shutdown()
