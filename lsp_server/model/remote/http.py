"""HTTP for remote backends: JSON calls and server-sent event streams that end on request.

Everything blocks (backends run on the runtime's worker thread). A stream is read by a helper
thread into a queue; the caller polls the queue often enough to notice a cancel or a deadline and
then shuts the socket down, which makes llama-server (and vLLM) stop generating for it.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any
from urllib.parse import urlsplit

from lsp_server.model.backend import ModelError

log = logging.getLogger(__name__)

_POLL_S = 0.05
_MAX_ERROR_BODY = 4096
_END = object()


class RemoteError(ModelError):
    """The server could not answer: unreachable, refused the request, or spoke nonsense."""


class _Retryable(Exception):
    """A failure before any data arrived that another attempt may not have (connection, 503)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _HttpStatus(Exception):
    """A non-2xx answer; ``detail`` is the server's own error message."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


def _error_detail(body: bytes) -> str:
    """The message of an OpenAI/llama-server error body, or its start."""
    text = body[:_MAX_ERROR_BODY].decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:200]
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, dict):
        return str(error.get("message", error))[:200]
    return str(error)[:200]


class HttpClient:
    """Talks to one server root; the API key comes from an environment variable, read per request."""

    def __init__(
        self,
        base_url: str,
        api_key_env: str,
        *,
        label: str = "server",
        connect_timeout: float = 3.0,
        read_timeout: float = 300.0,
        retries: int = 2,
        backoff_s: float = 0.2,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ModelError(
                f"iquest.serverUrl {base_url!r} is not an http(s) URL. Fix: set it to e.g. http://gpu-box:8080"
            )
        self.base_url = base_url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._root = parts.path.rstrip("/")
        self._api_key_env = api_key_env
        self.label = label
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = retries
        self.backoff_s = backoff_s
        self.down = False  # after a failed call, the next one tries once (typing stays responsive)

    @property
    def root(self) -> str:
        """The URL path the server lives under (e.g. "/v1" when the setting ends with it)."""
        return self._root

    def unreachable_message(self) -> str:
        """The one message a user sees while the server is down (constant, so it is shown once)."""
        return (
            f"Cannot reach the {self.label} at {self.base_url}. Suggestions resume by themselves once it "
            "answers. Fix: start the server there, or set iquest.serverUrl (or iquest.backend: local)."
        )

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        key = os.environ.get(self._api_key_env, "").strip()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=timeout)

    def _status_error(self, path: str, error: _HttpStatus) -> RemoteError:
        if error.status in (401, 403):
            return RemoteError(
                f"The {self.label} at {self.base_url} refused the API key (HTTP {error.status}). Fix: export the "
                f"key in ${self._api_key_env} before the editor starts (iquest.apiKeyEnv names the variable)."
            )
        return RemoteError(
            f"The {self.label} at {self.base_url} answered {path} with HTTP {error.status}: {error.detail}"
        )

    def _send(
        self,
        method: str,
        path: str,
        body: Any,
        timeout: float,
        on_socket: Callable[[socket.socket], None] | None = None,
    ) -> http.client.HTTPResponse:
        """One attempt; returns a 2xx response or raises _Retryable / _HttpStatus."""
        conn = self._connection(min(timeout, self.connect_timeout))
        try:
            conn.connect()
            conn.sock.settimeout(timeout)
            if on_socket is not None:
                on_socket(conn.sock)
            payload = None if body is None else json.dumps(body).encode()
            conn.request(method, self._root + path, body=payload, headers=self._headers())
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise _Retryable(type(exc).__name__ if not str(exc) else str(exc)) from None
        if response.status == 503:  # llama-server answers 503 while it loads the model
            detail = _error_detail(response.read())
            conn.close()
            raise _Retryable(f"HTTP 503: {detail}")
        if not 200 <= response.status < 300:
            detail = _error_detail(response.read())
            conn.close()
            raise _HttpStatus(response.status, detail)
        return response

    def _attempts(self) -> int:
        return 1 if self.down else 1 + self.retries

    def _fail(self, path: str, reason: str) -> RemoteError:
        log.warning("%s %s%s failed: %s", self.label, self.base_url, path, reason)
        self.down = True
        return RemoteError(self.unreachable_message())

    def _backoff(self, attempt: int, stop: Callable[[], bool]) -> bool:
        """Sleep before another attempt; False when ``stop`` says to give up instead."""
        until = time.monotonic() + self.backoff_s * (3**attempt)
        while time.monotonic() < until:
            if stop():
                return False
            time.sleep(_POLL_S)
        return True

    def get_json(self, path: str, timeout: float = 5.0) -> Any:
        """GET and decode JSON (one attempt: used for probes)."""
        return self._call("GET", path, None, timeout, attempts=1)

    def post_json(self, path: str, body: Any, timeout: float = 10.0) -> Any:
        """POST JSON and decode the JSON answer, retrying connection failures."""
        return self._call("POST", path, body, timeout, attempts=self._attempts())

    def _call(self, method: str, path: str, body: Any, timeout: float, attempts: int) -> Any:
        data: bytes | None = None
        for attempt in range(attempts):
            try:
                response = self._send(method, path, body, timeout)
                try:
                    data = response.read()
                finally:
                    response.close()
                break
            except _HttpStatus as exc:
                self.down = False
                raise self._status_error(path, exc) from None
            except _Retryable as exc:
                if attempt + 1 >= attempts or not self._backoff(attempt, lambda: False):
                    raise self._fail(path, exc.reason) from None
            except (OSError, http.client.HTTPException) as exc:
                raise self._fail(path, str(exc) or type(exc).__name__) from None
        assert data is not None  # each attempt reads the answer or raises
        self.down = False
        try:
            return json.loads(data)
        except ValueError:
            raise RemoteError(f"The {self.label} at {self.base_url} sent malformed JSON for {path}") from None

    def stream(self, path: str, body: Any, stop: Callable[[], bool]) -> Generator[dict[str, Any], None, None]:
        """POST and yield each server-sent JSON event; returns (closing the connection) once ``stop()``.

        Connection failures are retried with backoff until the first event; after it, a broken
        stream raises RemoteError like any other failure.
        """
        attempts = self._attempts()
        for attempt in range(attempts):
            reader = _StreamReader(self, path, body)
            received = False
            try:
                for event in reader.events(stop):
                    received = True
                    self.down = False
                    yield event
                self.down = self.down and not received  # a stop before any answer proves nothing
                return
            except _Retryable as exc:
                if received:
                    raise self._fail(path, exc.reason) from None
                if attempt + 1 >= attempts or not self._backoff(attempt, stop):
                    raise self._fail(path, exc.reason) from None
            except _HttpStatus as exc:
                self.down = False
                raise self._status_error(path, exc) from None
            finally:
                reader.close()


class _StreamReader:
    """One streaming request, read on a helper thread so the caller can stop waiting at any time."""

    def __init__(self, client: HttpClient, path: str, body: Any) -> None:
        self._client = client
        self._path = path
        self._body = body
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = threading.Event()
        self._sock: socket.socket | None = None
        self._thread = threading.Thread(target=self._read, name="iquest-http", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            response = self._client._send("POST", self._path, self._body, self._client.read_timeout, self._opened)
        except (_Retryable, _HttpStatus) as exc:
            self._queue.put(exc)
            return
        try:
            for event in _sse_events(response, self._client):
                if self._closed.is_set():
                    return
                self._queue.put(event)
            self._queue.put(_END)
        except RemoteError as exc:
            self._queue.put(exc)
        except Exception as exc:  # a reset, a timeout or our own shutdown: the stream broke
            if not self._closed.is_set():
                self._queue.put(_Retryable(str(exc) or type(exc).__name__))
        finally:
            response.close()

    def _opened(self, sock: socket.socket) -> None:
        self._sock = sock
        if self._closed.is_set():
            self._shutdown()

    def events(self, stop: Callable[[], bool]) -> Iterator[dict[str, Any]]:
        """Yield events until the stream ends or ``stop()`` turns true."""
        while not stop():
            try:
                item = self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
            yield item

    def close(self) -> None:
        """Stop reading; shutting the socket down tells the server nobody waits for this any more."""
        self._closed.set()
        self._shutdown()

    def _shutdown(self) -> None:
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _sse_events(response: http.client.HTTPResponse, client: HttpClient) -> Iterator[dict[str, Any]]:
    """Decode ``data:`` lines of a server-sent event stream (or one plain JSON body) into dicts."""
    content_type = response.getheader("Content-Type", "")
    if "text/event-stream" not in content_type:
        body = response.read()
        try:
            yield json.loads(body)
        except ValueError:
            raise RemoteError(f"The {client.label} at {client.base_url} sent malformed JSON") from None
        return
    while True:
        line = response.readline()
        if not line:
            return
        line = line.strip()
        if not line or line.startswith(b":"):
            continue
        field, _, value = line.partition(b":")
        value = value.strip()
        if field == b"data" and value == b"[DONE]":
            return
        if field not in (b"data", b"error"):
            continue
        try:
            event = json.loads(value)
        except ValueError:
            raise RemoteError(f"The {client.label} at {client.base_url} sent a malformed event") from None
        if field == b"error" or (isinstance(event, dict) and ("error" in event or event.get("object") == "error")):
            detail = _error_detail(json.dumps(event).encode())
            raise RemoteError(f"The {client.label} at {client.base_url} failed while generating: {detail}")
        if isinstance(event, dict):
            yield event
