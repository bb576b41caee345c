"""What adaptation costs per keystroke: the completion service answering typed-through keystrokes from its cache,
with `adapt` on (a learned rule in force for the language) and off, interleaved. No model: the cache path is the
keystroke path, and the model's time would hide a few microseconds.

    .venv/bin/python scripts/bench_adapt.py [--keystrokes 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from pathlib import Path

from bench_stats import percentile

from lsp_server.audit import AuditLog
from lsp_server.completion.layout import DocumentSnapshot
from lsp_server.completion.outcomes import MIN_SHOWN
from lsp_server.completion.service import CompletionService
from lsp_server.model.backend import GenerationRequest, GenerationResult, ModelInfo
from lsp_server.model.runtime import ModelRuntime
from lsp_server.prompting.fim import template_for_family
from lsp_server.settings import Settings

ANSWER = "total = 0\n    for value in values:\n        total += value\n    return total / len(values)\n"


class FixedBackend:
    """Always the same continuation, at once."""

    info = ModelInfo("fixed", "/fixed.gguf", "qwen2", "qwen", 4096)
    template = template_for_family("qwen")

    def complete(self, request: GenerationRequest, cancel: threading.Event) -> GenerationResult:
        return GenerationResult(ANSWER, "PROMPT", 10, 10, 20, 1.0, 2.0, "stop_token")

    def close(self) -> None:
        pass


async def service(adapt: bool, folder: Path) -> tuple[CompletionService, ModelRuntime]:
    runtime = ModelRuntime()
    await runtime.load(lambda progress: FixedBackend(), lambda m, p: None)
    settings = Settings(adapt=adapt, speculate=False)
    completion = CompletionService(runtime, lambda: settings, AuditLog(folder / f"audit-{adapt}.jsonl", enabled=False))
    text = "def mean(values):\n    "
    for version in range(MIN_SHOWN):  # shown, never taken: the rule is in force for Python
        doc = DocumentSnapshot("file:///learned.py", "#" * version + "\n" + text, version)
        await completion.suggest(doc, len(doc.text))
    return completion, runtime


async def main(keystrokes: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="iquest-bench-adapt-"))
    services = {adapt: await service(adapt, folder) for adapt in (True, False)}
    assert services[True][0].outcomes.rarely_taken("python", "multi-line")
    text = "def mean(values):\n    "
    times: dict[bool, list[float]] = {True: [], False: []}
    for completion, _ in services.values():
        await completion.suggest(DocumentSnapshot("file:///m.py", text, 0), len(text))  # fills the cache
    for index in range(keystrokes):
        typed = ANSWER[: 1 + index % 8]  # type into the suggestion, answered from the cache
        doc = DocumentSnapshot("file:///m.py", text + typed, index + 1)
        for adapt in (True, False) if index % 2 else (False, True):
            started = time.perf_counter()
            suggestion = await services[adapt][0].suggest(doc, len(doc.text))
            times[adapt].append((time.perf_counter() - started) * 1e6)
            assert suggestion is not None and suggestion.source == "cache"
    for adapt in (False, True):
        values = times[adapt]
        print(
            f"adapt {'on ' if adapt else 'off'}: keystroke from cache p50 {percentile(values, 0.5):6.1f} us, "
            f"p95 {percentile(values, 0.95):6.1f} us ({len(values)} keystrokes)"
        )
    for _, runtime in services.values():
        runtime.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--keystrokes", type=int, default=2000)
    asyncio.run(main(parser.parse_args().keystrokes))
