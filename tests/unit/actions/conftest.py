"""A scripted chat backend and a small workspace for the action services."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from lsp_server.actions.service import ActionService
from lsp_server.actions.sources import Sources
from lsp_server.audit import AuditLog
from lsp_server.context.files import WorkspaceFiles
from lsp_server.model.backend import ChatRequest, GenerationResult, ModelInfo
from lsp_server.model.runtime import ModelRuntime
from lsp_server.prompting.fim import template_for_family
from lsp_server.settings import Settings


class ScriptedBackend:
    """Answers chats from a list (or a function of the request); records every request."""

    def __init__(self, answers: list[str] | Callable[[ChatRequest], str]) -> None:
        self.info = ModelInfo("fake-coder", "/fake.gguf", "qwen2", "qwen", 4096)
        self.template = template_for_family("qwen")
        self.answers = answers
        self.requests: list[ChatRequest] = []
        self.block: threading.Event | None = None
        self.cancelled = threading.Event()

    def chat(self, request: ChatRequest, cancel: threading.Event) -> GenerationResult:
        self.requests.append(request)
        if self.block is not None:  # wait like a long generation until cancelled
            while not cancel.is_set():
                cancel.wait(0.01)
            self.cancelled.set()
            return GenerationResult("", "", 0, 0, 0, 0.0, 0.0, "cancelled")
        text = self.answers(request) if callable(self.answers) else self.answers.pop(0)
        if request.on_text is not None:
            request.on_text(text)
        prompt = "\n".join(content for _, content in request.messages)
        return GenerationResult(
            text, prompt, len(prompt) // 3, len(prompt) // 3, len(text) // 3, 1.0, 2.0, "stop_token"
        )

    def complete(self, request, cancel):  # pragma: no cover - not used by actions
        raise AssertionError("actions never use FIM")

    def close(self) -> None:
        pass


PRICING = '''"""Prices."""


def apply_discount(price, percent):
    return price * (100 - percent) / 100


class Cart:
    def add(self, price):
        self.prices.append(price)
'''


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "shop").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "README.md").write_text("# Shop\n\nPrices and carts.\n")
    (root / "shop" / "pricing.py").write_text(PRICING)
    (root / "shop" / "__init__.py").write_text("")
    return root


class Harness:
    """An ActionService over a scripted backend, a real workspace and an in-memory set of open documents."""

    def __init__(self, root: Path, backend: ScriptedBackend, audit_path: Path, **settings) -> None:
        self.root = root
        self.backend = backend
        self.open: dict[str, tuple[str, int]] = {}
        self.settings = Settings(**settings)
        self.runtime = ModelRuntime()
        self.audit = AuditLog(audit_path)
        self.sources = Sources(lambda: WorkspaceFiles([root]), self.open.get)
        self.service = ActionService(self.runtime, lambda: self.settings, self.audit, self.sources)
        self.reports: list[tuple[str, int]] = []

    async def load(self) -> Harness:
        await self.runtime.load(lambda progress: self.backend, lambda message, percent: None)
        return self

    def report(self, message: str, percent: int) -> None:
        self.reports.append((message, percent))

    def uri(self, rel: str) -> str:
        return (self.root / rel).resolve().as_uri()


@pytest.fixture
def harness(workspace: Path, tmp_path: Path):
    made: list[Harness] = []

    async def make(answers, **settings) -> Harness:
        h = await Harness(workspace, ScriptedBackend(answers), tmp_path / "audit.jsonl", **settings).load()
        made.append(h)
        return h

    yield make
    for h in made:
        h.runtime.shutdown()


@pytest.fixture
def pricing() -> str:
    """The text of shop/pricing.py in the ``workspace`` fixture."""
    return PRICING
