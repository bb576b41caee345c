"""Drives hostile traffic into one real server process and checks every answer it owes."""

from __future__ import annotations

import itertools
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hostile import Message, World, hostile_messages
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rpc import RawServer, encode, frame

SANITY_TEXT = 'def add(a, b):\n    """Sum of a and b."""\n    return'
OPTIONS = {
    "model": "smollm2-135m",
    "maxTokens": 4,
    "maxPromptTokens": 256,
    "contextTokens": 256,
    "speculate": False,
    "generationTimeoutMs": 60000,
    "threads": 1,  # two llama.cpp threads stall each other on a busy 2-core machine
}
RESPONSE_TIMEOUT_S = 120


def write_workspace(base: Path) -> tuple[Path, Path]:
    """A small project to complete in, and a directory beside it that is outside the workspace."""
    root, outside = base / "ws", base / "outside"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "shapes.py").write_text("class Circle:\n    def __init__(self, r):\n        self.r = r\n")
    (root / "main.py").write_text("from pkg.shapes import Circle\n\nc = Circle(2)\n")
    outside.mkdir()
    (outside / "secret.py").write_text("OUTSIDE_MARKER = 'must never be read'\n")
    return root, outside


def server_env(base: Path) -> dict[str, str]:
    """Fresh cache and state directories; the usual fetched models."""
    from lsp_server.paths import models_dir

    return {
        "IQUEST_CACHE_DIR": str(base / "cache"),
        "IQUEST_STATE_DIR": str(base / "state"),
        "IQUEST_MODEL_DIR": str(models_dir()),
        "IQUEST_LOG_LEVEL": os.environ.get("IQUEST_LOG_LEVEL", "WARNING"),
    }


def initialize_params(root: Path, **options: Any) -> dict:
    """Plain-JSON InitializeParams."""
    return {
        "processId": None,
        "rootUri": root.as_uri(),
        "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        "capabilities": {"textDocument": {"inlineCompletion": {}}},
        "initializationOptions": {"iquest": {**OPTIONS, **options}},
    }


def wait_ready(server: RawServer, timeout: float = 180) -> dict:
    """Poll iquest.status until the model has loaded (or failed)."""
    deadline = time.monotonic() + timeout
    while True:
        status = server.call("workspace/executeCommand", {"command": "iquest.status"})["result"]
        if status["state"] in ("ready", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


@dataclass
class Figures:
    """What a fuzz run did."""

    messages: int = 0
    batches: int = 0
    by_kind: Counter = field(default_factory=Counter)
    answers: Counter = field(default_factory=Counter)
    sanity_checks: int = 0
    failures: list[str] = field(default_factory=list)


class FuzzTarget:
    """One initialized server with a workspace; ``send`` checks a batch, ``sanity`` a normal completion."""

    def __init__(self, base: Path, stderr_path: Path | None = None, **options: Any) -> None:
        self.root, self.outside = write_workspace(base)
        self.server = RawServer(env=server_env(base), stderr_path=stderr_path)
        self.server.call("initialize", initialize_params(self.root, **options), timeout=60)
        self.server.notify("initialized", {})
        status = wait_ready(self.server)
        assert status["state"] == "ready", status
        docs = [
            self.root / "main.py",
            self.root / "pkg" / "shapes.py",
            self.root / "pkg" / "new.py",
            self.root / "😀 é.py",
        ]
        self.world = World(self.root.as_uri(), (self.outside / "secret.py").as_uri(), tuple(p.as_uri() for p in docs))
        self._ids = itertools.count(1_000_000)
        self._sanity_version = 0
        self.figures = Figures()

    def ids(self) -> st.SearchStrategy[int]:
        """Unique request ids (hypothesis draws them; uniqueness matters more than replay)."""
        return st.builds(lambda: next(self._ids))

    def messages(self) -> st.SearchStrategy[Message]:
        """Hostile messages aimed at this target's workspace."""
        return hostile_messages(self.world, self.ids())

    def send(self, batch: Sequence[Message]) -> None:
        """Send a batch back to back, then check the answer owed to each request and each broken frame."""
        server, figures = self.server, self.figures
        owed: list[Message] = []
        nulls = len(server.null_responses)
        last_request = None
        for message in batch:
            body = message.body
            if message.kind == "cancel-recent":
                if last_request is None:
                    continue
                body = frame(encode({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": last_request}}))
            server.send_bytes(body)
            figures.messages += 1
            figures.by_kind[message.kind] += 1
            if message.answer == "id":
                owed.append(message)
                last_request = message.msg_id
            elif message.answer == "null":
                nulls += 1
        figures.batches += 1
        for message in owed:
            self._check(message, server.wait_response(message.msg_id, RESPONSE_TIMEOUT_S))
        got = server.wait_null_responses(nulls)
        assert got == nulls, f"{nulls - len(server.null_responses)} broken frames got no id-null error"
        figures.answers["id-null error"] = got
        assert server.alive(), "the server exited"

    def _check(self, message: Message, response: dict) -> None:
        error = response.get("error")
        if error is not None:
            self.figures.answers[f"error {error['code']}"] += 1
            assert error["code"] in message.allowed, (message.method, message.body[:300], error)
            return
        self.figures.answers["result"] += 1
        assert message.result_ok, (message.method, message.body[:300], response)
        result = response.get("result")
        if message.method == "textDocument/inlineCompletion":
            assert isinstance(result, dict) and isinstance(result.get("items"), list), result
            assert all(isinstance(item.get("insertText"), str) for item in result["items"]), result

    def sanity(self) -> list[dict]:
        """A normal completion in a normal document still gets an answer; returns its items."""
        self._sanity_version += 1
        uri = (self.root / "sanity.py").as_uri()
        self.server.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "python",
                    "version": self._sanity_version,
                    "text": SANITY_TEXT,
                }
            },
        )
        lines = SANITY_TEXT.split("\n")
        params = {
            "textDocument": {"uri": uri},
            "position": {"line": len(lines) - 1, "character": len(lines[-1])},
            "context": {"triggerKind": 1},
        }
        response = self.server.call("textDocument/inlineCompletion", params, timeout=RESPONSE_TIMEOUT_S)
        assert "result" in response, response
        self.server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        self.figures.sanity_checks += 1
        return response["result"]["items"]

    def close(self) -> int:
        """shutdown + exit; the exit code."""
        return self.server.close()


def fuzz(target: FuzzTarget, examples: int, *, max_batch: int = 12, sanity_every: int = 25) -> Figures:
    """Send ``examples`` hypothesis-drawn batches; a sanity completion every ``sanity_every`` batches."""

    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=True
    )
    @given(st.lists(target.messages(), min_size=1, max_size=max_batch))
    def run(batch: list[Message]) -> None:
        target.send(batch)
        if target.figures.batches % sanity_every == 0:
            target.sanity()

    run()
    return target.figures
