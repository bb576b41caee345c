"""A real pygls server fed messages directly, without a transport."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pygls.workspace import Workspace

from lsp_server.features.jsonrpc import StrictLanguageServer


class Sink:
    """A writer that keeps what the server sends."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.sent.append(data)

    def close(self) -> None:
        pass


def handle(server: StrictLanguageServer, message: dict) -> None:
    """Structure and handle one JSON-RPC message as if it came over stdio."""
    server.protocol.handle_message(server.protocol.structure_message(message))


@pytest.fixture
def feed() -> Callable[[StrictLanguageServer, dict], None]:
    """``handle`` as a fixture."""
    return handle


@pytest.fixture
def strict_server() -> Callable[..., StrictLanguageServer]:
    """A StrictLanguageServer writing to a Sink; initialized with ``capabilities`` unless None."""

    def make(capabilities: dict | None = None, workspace_class: type[Workspace] = Workspace) -> StrictLanguageServer:
        server = StrictLanguageServer("test", "0", workspace_class=workspace_class)
        server.protocol.set_writer(Sink())
        if capabilities is not None:
            handle(
                server, {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"capabilities": capabilities}}
            )
        return server

    return make
