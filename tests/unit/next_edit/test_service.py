"""The prediction service with a scripted model: idle scheduling, versions, yielding and the audit."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from lsp_server.audit import AuditLog
from lsp_server.model.backend import GenerationResult, ModelInfo, StopReason, TextRequest
from lsp_server.model.runtime import ModelRuntime
from lsp_server.next_edit.service import NextEditService
from lsp_server.prompting.fim import template_for_family
from lsp_server.settings import Settings

URI = "file:///w/shop.py"
TEXT = "def total(items, rate):\n    return sum(items) * rate\n"
RENAMED = TEXT.replace("items, rate", "items, tax_rate")


class ScriptedModel:
    """Answers raw prompts with a function of the request; may block until cancelled."""

    def __init__(self, answer: Callable[[TextRequest], str]) -> None:
        self.info = ModelInfo("fake-coder", "/fake.gguf", "qwen2", "qwen", 4096)
        self.template = template_for_family("qwen")
        self.answer = answer
        self.requests: list[TextRequest] = []
        self.block = False
        self.cancelled = threading.Event()

    def generate(self, request: TextRequest, cancel: threading.Event) -> GenerationResult:
        self.requests.append(request)
        if self.block:
            cancel.wait(10)
            self.cancelled.set()
            return GenerationResult("", request.prompt, 0, 0, 0, 0.0, 0.0, StopReason.CANCELLED)
        return GenerationResult(self.answer(request), request.prompt, 10, 10, 5, 1.0, 2.0, StopReason.STOP_TOKEN)

    def close(self) -> None:
        pass


@pytest.fixture
async def setup(tmp_path: Path):
    # The "versions" prompt already holds the edited line: the model writes the line after it.
    model = ScriptedModel(lambda request: "    return sum(items) * tax_rate\n")
    runtime = ModelRuntime()
    await runtime.load(lambda progress: model, lambda message, percent: None)  # pyright: ignore[reportArgumentType]
    settings = replace(Settings(), next_edit_enabled=True, next_edit_idle_ms=50)
    audit = AuditLog(tmp_path / "audit.jsonl")
    service = NextEditService(runtime, lambda: settings, audit)
    service.opened(URI, TEXT, 1)
    yield service, model, audit
    service.shutdown()
    runtime.shutdown()


def _entries(audit: AuditLog) -> list[dict]:
    return [json.loads(line) for line in audit.path.read_text().splitlines()] if audit.path.exists() else []


async def test_a_prediction_is_ready_after_the_edit_settles_and_is_audited(setup):
    service, model, audit = setup
    service.changed(URI, RENAMED, 2, 0)
    assert service.ready(URI, 2) is None  # nothing on the keystroke path
    for _ in range(200):
        await asyncio.sleep(0.01)
        if service.ready(URI, 2) is not None:
            break
    prediction = service.ready(URI, 2)
    assert prediction is not None and prediction.change.new_text == "tax_" and prediction.lines == (1, 1)
    then, now = "def total(items, rate):\n    return sum(items) * rate\n", "def total(items, tax_rate):\n"
    assert model.requests[0].prompt.endswith(f"shop.py\n{then}<|file_sep|>shop.py\n{now}")
    (entry,) = _entries(audit)
    assert entry["kind"] == "next_edit_predicted" and entry["id"] == prediction.id and entry["output"] == "tax_"
    assert service.ready(URI, 1) is None and await service.request(URI, 1) is None  # stale version
    service.remember(prediction)
    assert service.outcome("shown", prediction.id) and service.outcome("rejected", prediction.id)
    assert [e["kind"] for e in _entries(audit)][1:] == ["next_edit_shown", "next_edit_rejected"]
    assert service.ready(URI, 2) is None  # a rejected prediction is not offered again
    assert not service.outcome("accepted", "no-such-id")


async def test_a_request_starts_the_prediction_at_once(setup):
    service, model, _ = setup
    service.changed(URI, RENAMED, 2, 0)
    prediction = await asyncio.wait_for(service.request(URI, 2), 5)
    assert prediction is not None and len(model.requests) == 1


async def test_a_newer_edit_stops_the_prediction_in_flight_and_answers_the_waiter_with_nothing(setup):
    service, model, _ = setup
    model.block = True
    service.changed(URI, RENAMED, 2, 0)
    waiting = asyncio.ensure_future(service.request(URI, 2))
    while not model.requests:
        await asyncio.sleep(0.01)
    service.changed(URI, RENAMED + "\n", 3, 2)
    assert await asyncio.wait_for(waiting, 5) is None
    assert await asyncio.to_thread(model.cancelled.wait, 5)


async def test_when_disabled_a_change_costs_nothing_and_nothing_is_predicted(setup, tmp_path: Path):
    service, model, _ = setup
    service._settings = lambda: Settings()  # the default: off
    service.changed(URI, RENAMED, 2, 0)
    await asyncio.sleep(0.2)
    assert model.requests == [] and await service.request(URI, 2) is None and service.history.edits(URI) == []
