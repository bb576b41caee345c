"""JSON-RPC strictness pygls lacks: every request gets an answer, malformed ones an error."""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any, cast

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcServerNotInitialized,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.workspace import Workspace

log = logging.getLogger(__name__)


class _Rejected:
    """A message that did not fit its LSP type; requests among them are answered with ``error``."""

    def __init__(self, is_request: bool, msg_id: Any, method: Any, error: JsonRpcException) -> None:
        self.is_request = is_request
        self.msg_id = msg_id
        self.method = method
        self.error = error


def _valid_id(value: Any) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


class StrictProtocol(LanguageServerProtocol):
    """pygls drops malformed messages, early requests and late ones without a word; a client then waits forever."""

    # The workspace class the server keeps documents in; pygls builds a plain Workspace at initialize.
    workspace_class: type[Workspace] = Workspace

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_seen = False
        self._unanswered: set[Any] = set()  # ids of notification futures pygls would keep

    @property
    def workspace(self) -> Workspace:
        """pygls's workspace, rebuilt once as ``workspace_class`` on first use: documents only ever arrive through
        this property, so none is lost."""
        workspace = super().workspace
        if type(workspace) is not self.workspace_class:
            workspace = self._workspace = self.workspace_class(
                workspace.root_uri,
                self._server._text_document_sync_kind,
                list(workspace.folders.values()),
                workspace.position_encoding,
            )
        return workspace

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Like pygls, but a message whose params do not fit becomes a ``_Rejected`` instead of vanishing."""
        try:
            return super().structure_message(data)
        except JsonRpcException:
            method = data.get("method")
            if "method" in data and (not _valid_id(data.get("id")) or not isinstance(method, str)):
                error: JsonRpcException = JsonRpcInvalidRequest(
                    "invalid request: id must be an integer or a string, method a string"
                )
            else:
                error = JsonRpcInvalidParams(f"invalid params for {method!r}")
            return _Rejected("id" in data, data.get("id"), method, error)

    def handle_message(self, message: Any) -> None:
        """Answer what pygls would silently drop, then let pygls handle the rest."""
        if isinstance(message, _Rejected):
            if message.is_request:
                self._reply_error(message.msg_id if _valid_id(message.msg_id) else None, message.error)
            else:
                log.warning("dropping a malformed notification %r", message.method)
            return
        if not hasattr(message, "jsonrpc") or message.jsonrpc != self.VERSION:
            self._reply_error(_request_id(message), JsonRpcInvalidRequest("not a JSON-RPC 2.0 message"))
            return
        method = getattr(message, "method", None)
        if hasattr(message, "method") and not isinstance(method, str):
            self._reply_error(_request_id(message), JsonRpcInvalidRequest("invalid request: method must be a string"))
            return
        is_request = method is not None and _valid_id(getattr(message, "id", None))
        if method == types.INITIALIZE and is_request:
            self._initialize_seen = True
        elif not self._initialize_seen and method != types.EXIT:
            if is_request:
                self._reply_error(
                    message.id, JsonRpcServerNotInitialized("the server is not initialized: send initialize first")
                )
            return  # notifications before initialize are dropped, as LSP says
        if self._shutdown and is_request:
            self._reply_error(message.id, JsonRpcInvalidRequest("the server is shutting down"))
            return
        super().handle_message(message)

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any, args: Any = None, kwargs: Any = None) -> None:
        """Like pygls, but the future of a notification (or of a generator's step) is let go once done.

        pygls 2.1 files every handler's future under its id and removes only those of requests, so
        each didChange kept one future for good: the soak grew by one per keystroke. Finished ones
        are swept here rather than from a done callback: pygls's shutdown cancels the futures while
        it iterates over them.
        """
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        if not (isinstance(callback, partial) and callback.func == self._send_handler_result):
            self._unanswered.add(msg_id)  # requests are removed by pygls when answered or cancelled
        for finished in [
            m for m in list(self._unanswered) if getattr(self._request_futures.get(m), "done", lambda: True)()
        ]:
            self._unanswered.discard(finished)
            self._request_futures.pop(finished, None)

    def _reply_error(self, msg_id: Any, error: JsonRpcException) -> None:
        """Send an error response; a plain dict, so that an unknown id is written as null (pygls omits None)."""
        self._send_data(
            {"jsonrpc": self.VERSION, "id": msg_id, "error": {"code": error.code, "message": error.message}}
        )


def _request_id(message: Any) -> Any:
    """The id of something that looks like a request, else None (JSON-RPC answers those with id null)."""
    if isinstance(message, dict):
        return message["id"] if "method" in message and _valid_id(message.get("id")) else None
    msg_id = getattr(message, "id", None)
    return msg_id if hasattr(message, "method") and _valid_id(msg_id) else None


class StrictLanguageServer(LanguageServer):
    """A LanguageServer that answers unparseable input with a JSON-RPC parse error instead of a popup."""

    def __init__(self, name: str, version: str, workspace_class: type[Workspace] = Workspace) -> None:
        super().__init__(name, version, protocol_cls=StrictProtocol)
        cast(StrictProtocol, self.protocol).workspace_class = workspace_class

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Bytes that are not JSON (or not UTF-8) get -32700 with id null; the rest as pygls does."""
        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
            log.warning("unparseable message: %s", error)
            cast(StrictProtocol, self.protocol)._reply_error(None, JsonRpcParseError(f"parse error: {error}"))
            return
        super().report_server_error(error, source)
