"""User-facing messages: each distinct problem is shown once."""

from __future__ import annotations

import logging

from lsprotocol import types
from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)


class Notifier:
    """Sends ``window/showMessage`` once per distinct text; everything also goes to the log."""

    def __init__(self, server: LanguageServer) -> None:
        self._server = server
        self._shown: set[str] = set()

    def error(self, message: str) -> None:
        """Show an error the user must act on."""
        self._show(types.MessageType.Error, message)

    def warning(self, message: str) -> None:
        """Show a warning (e.g. an ignored setting)."""
        self._show(types.MessageType.Warning, message)

    def _show(self, kind: types.MessageType, message: str) -> None:
        log.warning("%s", message)
        if message in self._shown:
            return
        self._shown.add(message)
        self._server.window_show_message(types.ShowMessageParams(type=kind, message=f"iquest-lsp: {message}"))
