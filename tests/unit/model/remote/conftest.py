"""A tiny scripted HTTP server on loopback for the remote backends' protocol and error paths."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class FakeServer:
    """Answers each path with a scripted handler; records every request it got."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler, Any], None]] = {}
        self.requests: list[dict[str, Any]] = []
        self.disconnected = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                outer.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                route = outer.routes.get(self.path)
                if route is None:
                    outer.reply(self, 404, {"error": {"message": "no such path"}})
                    return
                route(self, body)

            do_GET = do_POST = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    @staticmethod
    def reply(handler: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def sse(self, handler: BaseHTTPRequestHandler, events: list[Any], delay: float = 0.0, hold: float = 0.0) -> None:
        """Stream ``events`` (dicts, or raw bytes lines) as server-sent events, then [DONE]."""
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Connection", "close")
        handler.end_headers()
        try:
            for event in events:
                line = event if isinstance(event, bytes) else b"data: " + json.dumps(event).encode()
                handler.wfile.write(line + b"\n\n")
                handler.wfile.flush()
                time.sleep(delay)
            deadline = time.monotonic() + hold
            while time.monotonic() < deadline:  # a slow server: keep the stream open, probing the client
                time.sleep(0.05)
                handler.wfile.write(b": keep-alive\n\n")
                handler.wfile.flush()
            handler.wfile.write(b"data: [DONE]\n\n")
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.disconnected.set()
        handler.close_connection = True

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_server():
    server = FakeServer()
    yield server
    server.close()
