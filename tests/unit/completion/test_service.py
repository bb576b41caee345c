"""CompletionService logic around the model: line mode, early stop, newest request wins."""

import asyncio
import threading

import pytest

from lsp_server.audit import AuditLog
from lsp_server.completion.service import CompletionService, DocumentSnapshot, early_stop, wants_multiline
from lsp_server.model.backend import GenerationRequest, GenerationResult, ModelInfo
from lsp_server.model.runtime import ModelRuntime
from lsp_server.prompting.fim import template_for_family
from lsp_server.settings import Settings


def test_mid_line_is_always_single_line():
    assert wants_multiline("always", "x = foo(", "bar)") is False
    assert wants_multiline("auto", "x = ", "bar") is False


def test_auto_mode_multiline_on_blank_line_or_block_start():
    assert wants_multiline("auto", "    ", "") is True
    assert wants_multiline("auto", "def f(x):", "") is True
    assert wants_multiline("auto", "function f() {", "}") is True
    assert wants_multiline("auto", "    return x +", "") is False
    assert wants_multiline("never", "    ", "") is False


def test_single_line_stop_after_first_line_with_content():
    stop = early_stop(False, "x = ", 8)
    assert not stop("foo(")
    assert not stop("\n")  # a leading newline alone is not a finished line
    assert stop("foo(1)\n")


def test_multiline_stops_at_dedent_and_line_cap():
    stop = early_stop(True, "    ", 3)
    assert not stop("return a\n    b = 1\n")
    assert stop("return a\n\ndef other():\n")
    assert stop("a\nb\nc\nd\ne")


class ScriptedBackend:
    """Returns a fixed output; optionally blocks until cancelled."""

    def __init__(self, output: str, block: bool = False) -> None:
        self.info = ModelInfo("fake", "/fake.gguf", "qwen2", "qwen", 4096)
        self.template = template_for_family("qwen")
        self.output = output
        self.block = block
        self.requests: list[GenerationRequest] = []
        self.cancelled = 0

    def complete(self, request: GenerationRequest, cancel: threading.Event) -> GenerationResult:
        self.requests.append(request)
        if self.block and cancel.wait(2):
            self.cancelled += 1
            return GenerationResult("", "", 1, 1, 0, 0.0, 0.0, "cancelled")
        return GenerationResult(self.output, "PROMPT", 10, 10, 3, 1.0, 2.0, "stop_token")

    def close(self) -> None:
        pass


async def _service(backend, tmp_path, **settings):
    runtime = ModelRuntime()
    await runtime.load(lambda progress: backend, lambda m, p: None)
    audit = AuditLog(tmp_path / "audit.jsonl")
    return CompletionService(runtime, lambda: Settings(**settings), audit), runtime


async def test_suggestion_is_cleaned_and_audited(tmp_path):
    backend = ScriptedBackend("return a + b\n\ndef sub(a, b):\n    return a - b")
    service, runtime = await _service(backend, tmp_path)
    text = "def add(a, b):\n    "
    suggestion = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    assert suggestion is not None
    assert suggestion.text == "return a + b"
    assert suggestion.multiline is True
    request = backend.requests[0]
    assert request.prefix == text and request.suffix == ""
    assert request.prefix_tokens + request.suffix_tokens <= Settings().max_prompt_tokens
    assert "return a + b" in (tmp_path / "audit.jsonl").read_text()
    runtime.shutdown()


async def test_empty_output_gives_no_suggestion_and_no_audit(tmp_path):
    backend = ScriptedBackend("   \n")
    service, runtime = await _service(backend, tmp_path)
    assert await service.suggest(DocumentSnapshot("file:///m.py", "x = ", 1), 4) is None
    assert not (tmp_path / "audit.jsonl").exists()
    runtime.shutdown()


async def test_newer_request_cancels_the_older_one(tmp_path):
    backend = ScriptedBackend("value", block=True)
    service, runtime = await _service(backend, tmp_path)
    doc = DocumentSnapshot("file:///m.py", "x = ", 1)
    first = asyncio.create_task(service.suggest(doc, 4))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(service.suggest(doc, 4))
    with pytest.raises(asyncio.CancelledError):
        await first
    backend.block = False
    runtime.cancel_all()
    await asyncio.wait_for(second, 3)
    assert backend.cancelled >= 1
    runtime.shutdown()


class DeadlineBackend(ScriptedBackend):
    """Ran out of time part-way through a line."""

    def complete(self, request, cancel):
        self.requests.append(request)
        return GenerationResult(self.output, "PROMPT", 10, 10, 3, 1.0, 2.0, "deadline")


async def test_deadline_keeps_only_complete_lines(tmp_path):
    service, runtime = await _service(DeadlineBackend("total = 0\n    for v in val"), tmp_path)
    text = "def f(values):\n    "
    suggestion = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    assert suggestion is not None and suggestion.text == "total = 0"
    runtime.shutdown()


async def test_deadline_without_a_complete_line_gives_nothing(tmp_path):
    service, runtime = await _service(DeadlineBackend("retu"), tmp_path)
    text = "def f(values):\n    "
    assert await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text)) is None
    runtime.shutdown()


async def test_huge_document_window_starts_at_a_line_and_is_redacted(tmp_path):
    backend = ScriptedBackend("x")
    service, runtime = await _service(backend, tmp_path)
    secret = 'API_TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"\n'
    text = "a = 1\n" * 20000 + secret + "b = "
    await service.suggest(DocumentSnapshot("file:///big.py", text, 1), len(text))
    request = backend.requests[0]
    assert len(request.prefix) <= 32_000
    assert request.prefix.startswith("a = 1\n") and request.prefix.endswith("b = ")
    assert "ghp_16C7e42F292c6912E7710c838347Ae178B4a" not in request.prefix
    assert 'API_TOKEN = "<redacted>"' in request.prefix
    runtime.shutdown()
