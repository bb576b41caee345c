"""ModelRuntime: background load states, single worker thread, cancellation reaches the backend."""

import asyncio
import gc
import threading
import time
import weakref

import pytest

from lsp_server.model.backend import GenerationRequest, GenerationResult, ModelError, ModelInfo
from lsp_server.model.runtime import ModelRuntime, ModelState, ModelUnavailable
from lsp_server.prompting.fim import template_for_family


class SlowBackend:
    """Generates until cancelled, like a long llama.cpp decode; records what it saw."""

    def __init__(self) -> None:
        self.info = ModelInfo("fake", "/fake.gguf", "llama", "none", 2048)
        self.template = template_for_family("none")
        self.threads: set[str] = set()
        self.running = 0
        self.max_running = 0
        self.cancel_seen_after: float | None = None
        self._lock = threading.Lock()

    def complete(self, request: GenerationRequest, cancel: threading.Event) -> GenerationResult:
        with self._lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        self.threads.add(threading.current_thread().name)
        started = time.monotonic()
        try:
            for _ in range(200):  # at most ~2 s
                if cancel.is_set():
                    self.cancel_seen_after = time.monotonic()
                    return GenerationResult("", "", 0, 0, 0, 0.0, 0.0, "cancelled")
                time.sleep(0.01)
            return GenerationResult(
                "done", request.prefix, 1, 1, 1, 1.0, (time.monotonic() - started) * 1000, "max_tokens"
            )
        finally:
            with self._lock:
                self.running -= 1

    def close(self) -> None:
        pass


def _request() -> GenerationRequest:
    return GenerationRequest(prefix="x", suffix="", max_tokens=4, prefix_tokens=10, suffix_tokens=0)


async def test_load_then_ready():
    runtime = ModelRuntime()
    backend = SlowBackend()
    assert runtime.state is ModelState.NOT_LOADED
    await runtime.load(lambda progress: backend, lambda m, p: None)
    assert runtime.state is ModelState.READY
    assert await runtime.wait_ready() is backend
    runtime.shutdown()


async def test_failed_load_is_reported_and_requests_get_the_reason():
    runtime = ModelRuntime()

    def broken(progress):
        raise ModelError("Model 'x' is not downloaded yet. Fix: run `iquest-lsp model fetch x`.")

    with pytest.raises(ModelError):
        await runtime.load(broken, lambda m, p: None)
    assert runtime.state is ModelState.FAILED
    with pytest.raises(ModelUnavailable, match="model fetch x"):
        await runtime.complete(_request())
    runtime.shutdown()


async def test_unexpected_loader_exception_becomes_model_error():
    runtime = ModelRuntime()

    def buggy(progress):
        raise KeyError("surprise")

    with pytest.raises(ModelError, match="surprise"):
        await runtime.load(buggy, lambda m, p: None)
    assert runtime.state is ModelState.FAILED
    runtime.shutdown()


async def test_requests_wait_for_a_load_in_progress():
    runtime = ModelRuntime()
    backend = SlowBackend()
    gate = threading.Event()

    def slow_factory(progress):
        gate.wait(2)
        return backend

    load = asyncio.create_task(runtime.load(slow_factory, lambda m, p: None))
    await asyncio.sleep(0.05)
    assert runtime.state is ModelState.LOADING
    waiter = asyncio.create_task(runtime.wait_ready())
    await asyncio.sleep(0.05)
    assert not waiter.done()
    gate.set()
    assert await waiter is backend
    await load
    runtime.shutdown()


async def test_cancelling_the_caller_stops_the_backend_quickly():
    runtime = ModelRuntime()
    backend = SlowBackend()
    await runtime.load(lambda progress: backend, lambda m, p: None)
    task = asyncio.create_task(runtime.complete(_request()))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if backend.cancel_seen_after is not None:
            break
        await asyncio.sleep(0.01)
    assert backend.cancel_seen_after is not None  # it stopped early; how fast: scripts/bench_cancel.py
    runtime.shutdown()


async def test_generations_never_run_concurrently():
    runtime = ModelRuntime()
    backend = SlowBackend()
    await runtime.load(lambda progress: backend, lambda m, p: None)
    tasks = [asyncio.create_task(runtime.complete(_request())) for _ in range(3)]
    await asyncio.sleep(0.1)
    runtime.cancel_all()
    await asyncio.gather(*tasks)
    assert backend.max_running == 1
    assert len(backend.threads) == 1
    runtime.shutdown()


async def test_a_raw_prompt_stops_the_background_work_before_it_and_typing_stops_the_raw_prompt():
    runtime = ModelRuntime()
    backend = SlowBackend()
    backend.generate = backend.complete  # pyright: ignore[reportAttributeAccessIssue]
    await runtime.load(lambda progress: backend, lambda m, p: None)  # pyright: ignore[reportArgumentType]
    warm_up = asyncio.create_task(runtime.complete(_request(), background=True))
    await asyncio.sleep(0.1)
    prediction = asyncio.create_task(runtime.generate(_request()))  # pyright: ignore[reportArgumentType]
    assert (await asyncio.wait_for(warm_up, 1)).stop_reason == "cancelled"
    await asyncio.sleep(0.1)
    typed = asyncio.create_task(runtime.complete(_request()))
    assert (await asyncio.wait_for(prediction, 1)).stop_reason == "cancelled"
    assert (await asyncio.wait_for(typed, 5)).text == "done"
    runtime.shutdown()


class FlakyBackend(SlowBackend):
    """Fails its calls with a ModelError while ``down`` (a remote server that went away)."""

    down = True

    def complete(self, request: GenerationRequest, cancel: threading.Event) -> GenerationResult:
        if self.down:
            raise ModelError("Cannot reach the llama-server at http://gpu:8080.")
        return GenerationResult("ok", "", 1, 1, 1, 1.0, 1.0, "max_tokens")


async def test_a_backend_that_stops_answering_is_reported_until_it_answers_again():
    runtime = ModelRuntime()
    seen: list[str] = []
    runtime.on_unavailable.append(seen.append)
    backend = FlakyBackend()
    await runtime.load(lambda progress: backend, lambda m, p: None)
    with pytest.raises(ModelUnavailable, match="Cannot reach"):
        await runtime.complete(_request())
    assert seen == ["Cannot reach the llama-server at http://gpu:8080."]
    assert runtime.state is ModelState.READY and "Cannot reach" in runtime.error
    backend.down = False
    assert (await runtime.complete(_request())).text == "ok"
    assert runtime.error is None
    runtime.shutdown()


async def test_cancelled_jobs_are_not_kept():
    runtime = ModelRuntime()
    backend = SlowBackend()
    await runtime.load(lambda progress: backend, lambda m, p: None)
    jobs: list[weakref.ref] = []
    submit = runtime._executor.submit

    def tracked_submit(*args):
        job = submit(*args)
        jobs.append(weakref.ref(job))
        return job

    async def type_on() -> None:
        running = asyncio.create_task(runtime.complete(_request()))
        await asyncio.sleep(0.05)
        queued = [asyncio.create_task(runtime.complete(_request())) for _ in range(3)]
        await asyncio.sleep(0.05)
        for task in [*queued, running]:  # the queued ones first: they are cancelled before they start
            task.cancel()
        await asyncio.gather(running, *queued, return_exceptions=True)

    runtime._executor.submit = tracked_submit
    await type_on()
    for _ in range(100):
        if backend.running == 0:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    gc.collect()
    assert len(jobs) == 4
    assert [ref() for ref in jobs] == [None] * 4
    assert runtime.last_cancel_ms is not None  # the running one was cancelled and its cancel timed
    runtime.shutdown()
