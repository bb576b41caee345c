"""The one shape of an LSP feature: an object the composition root builds and registers on the server."""

from __future__ import annotations

from typing import Protocol

from pygls.lsp.server import LanguageServer


class Feature(Protocol):
    """An LSP adapter; it gets what it works with when built and puts its handlers on the server when registered."""

    def register(self, server: LanguageServer) -> None:
        """Put this feature's handlers (requests, notifications, commands) on ``server``."""
        ...
