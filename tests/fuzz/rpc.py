"""A raw JSON-RPC client over the real server's stdio: sends any bytes, reads every frame."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SERVER_COMMAND = [sys.executable, "-m", "lsp_server", "serve", "--stdio"]


def frame(body: bytes) -> bytes:
    """Wrap a body in LSP base-protocol framing."""
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def encode(message: Any) -> bytes:
    """Serialize a message as the body of one frame (lone surrogates travel as JSON escapes)."""
    return json.dumps(message).encode("ascii")


class RawServer:
    """The server process; a reader thread collects responses, requests and notifications."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        command: Sequence[str] = SERVER_COMMAND,
        stderr_path: Path | None = None,
    ) -> None:
        self._stderr = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **(env or {})},
        )
        self._ids = itertools.count(1)
        self._lock = threading.Condition()
        self.responses: dict[Any, dict] = {}
        self.null_responses: list[dict] = []  # errors with id null (unparseable or invalid messages)
        self.notifications: list[dict] = []
        self.unexpected: list[dict] = []  # frames that are neither a response nor a known server message
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -- sending ----------------------------------------------------------------------------

    def send_bytes(self, data: bytes) -> None:
        """Write raw bytes to the server's stdin."""
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: Any) -> None:
        """Send one framed JSON message (anything JSON can encode)."""
        self.send_bytes(frame(encode(message)))

    def next_id(self) -> int:
        """A fresh request id."""
        return next(self._ids)

    def request(self, method: str, params: Any = None, *, omit_params: bool = False) -> int:
        """Send a request; returns its id."""
        msg_id = self.next_id()
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if not omit_params:
            message["params"] = params
        self.send(message)
        return msg_id

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification."""
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    # -- receiving --------------------------------------------------------------------------

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                try:
                    line = stream.readline()
                except (ValueError, OSError):  # the test closed the pipe under the reader
                    line = b""
                if not line:
                    with self._lock:
                        self._lock.notify_all()
                    return
                if line == b"\r\n":
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = stream.read(length or 0)
            message = json.loads(body)
            with self._lock:
                if "id" in message and "method" in message:
                    self._answer_server_request(message)
                elif "id" in message and message["id"] is None:
                    self.null_responses.append(message)
                elif "id" in message:
                    self.responses[message["id"]] = message
                elif "method" in message:
                    self.notifications.append(message)
                else:
                    self.unexpected.append(message)
                self._lock.notify_all()

    def _answer_server_request(self, message: dict) -> None:
        """Server-to-client requests (progress tokens, configuration) get a null result."""
        self.notifications.append(message)
        threading.Thread(
            target=self.send, args=({"jsonrpc": "2.0", "id": message["id"], "result": None},), daemon=True
        ).start()

    def wait_response(self, msg_id: Any, timeout: float = 60) -> dict:
        """The response to ``msg_id``; raises TimeoutError when none comes."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while msg_id not in self.responses:
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise TimeoutError(
                        f"no response to {msg_id!r} (server {'exited' if self.process.poll() is not None else 'alive'})"
                    )
                self._lock.wait(min(left, 0.5))
            return self.responses.pop(msg_id)

    def call(self, method: str, params: Any = None, timeout: float = 60) -> dict:
        """Request and wait for the response message."""
        return self.wait_response(self.request(method, params), timeout)

    def wait_null_responses(self, count: int, timeout: float = 30) -> int:
        """Wait until ``count`` id-null errors have arrived; returns how many did."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.null_responses) < count and time.monotonic() < deadline and self.alive():
                self._lock.wait(0.2)
            return len(self.null_responses)

    def rss_kib(self, field: str = "VmRSS") -> int:
        """The server's resident set size (or VmHWM: its peak) in KiB, from /proc."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0

    def messages(self, method: str) -> list[dict]:
        """Server notifications with this method so far."""
        with self._lock:
            return [m for m in self.notifications if m.get("method") == method]

    # -- life -------------------------------------------------------------------------------

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.process.poll() is None

    def close(self, timeout: float = 20) -> int:
        """shutdown + exit when possible, then make sure the process is gone; returns its exit code."""
        try:
            if self.alive():
                self.call("shutdown", None, timeout=timeout)
                self.notify("exit", None)
                return self.process.wait(timeout=timeout)
        except (OSError, TimeoutError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            if self._stderr is not subprocess.DEVNULL:
                self._stderr.close()
        return self.process.returncode
