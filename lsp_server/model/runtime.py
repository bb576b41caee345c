"""Owns the loaded backend: background loading, one worker thread, cancellable async calls."""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from lsp_server.model.backend import (
    Backend,
    ChatRequest,
    GenerationRequest,
    GenerationResult,
    ModelError,
    StopReason,
    TextRequest,
)
from lsp_server.progress import Progress

log = logging.getLogger(__name__)

BackendFactory = Callable[[Progress], Backend]
_WARM_UPS = (StopReason.WARM_UP, StopReason.WARM_UP_CANCELLED)


class ModelState(enum.Enum):
    """Where the model is in its life."""

    NOT_LOADED = "not loaded"
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


class ModelUnavailable(Exception):
    """Raised to callers while no model can answer; carries the user-facing reason."""


class ModelRuntime:
    """Runs every backend call on a single worker thread so llama.cpp is never used concurrently."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="iquest-model")
        self._backend: Backend | None = None
        self._state = ModelState.NOT_LOADED
        self._error: str | None = None
        self._loaded: asyncio.Event | None = None
        self._active: set[threading.Event] = set()
        self._background: set[threading.Event] = set()
        self.last_result: GenerationResult | None = None
        # Called on the event loop when a loaded backend stops answering (a remote server went down).
        self.on_unavailable: list[Callable[[str], None]] = []
        self.last_cancel_ms: float | None = None
        self.generations = 0

    @property
    def state(self) -> ModelState:
        """The current model state."""
        return self._state

    @property
    def error(self) -> str | None:
        """Why the last load failed, if it did."""
        return self._error

    @property
    def backend(self) -> Backend | None:
        """The loaded backend, or None."""
        return self._backend

    def _loaded_event(self) -> asyncio.Event:
        if self._loaded is None:
            self._loaded = asyncio.Event()
        return self._loaded

    async def load(self, factory: BackendFactory, progress: Progress) -> None:
        """Load (or reload) the model on the worker thread; raises ModelError on failure."""
        self.cancel_all()
        loaded = self._loaded_event()
        loaded.clear()
        self._state, self._error = ModelState.LOADING, None
        old, self._backend = self._backend, None
        loop = asyncio.get_running_loop()

        def build() -> Backend:
            if old is not None:
                old.close()
            return factory(progress)

        try:
            self._backend = await loop.run_in_executor(self._executor, build)
            self._state = ModelState.READY
        except ModelError as exc:
            self._state, self._error = ModelState.FAILED, str(exc)
            raise
        except Exception as exc:  # an unexpected loader bug must not kill the server
            log.exception("model load failed")
            self._state, self._error = ModelState.FAILED, f"Model load failed: {exc!r}"
            raise ModelError(self._error) from exc
        finally:
            loaded.set()

    async def wait_ready(self) -> Backend:
        """Wait for the first or a running load; raise ModelUnavailable when there is no usable model."""
        if self._state in (ModelState.NOT_LOADED, ModelState.LOADING):
            await self._loaded_event().wait()
        if self._backend is None:
            raise ModelUnavailable(self._error or "the model is not loaded yet")
        return self._backend

    def cancel_all(self) -> None:
        """Ask every running or queued generation to stop."""
        for flag in list(self._active):
            flag.set()

    async def complete(self, request: GenerationRequest, *, background: bool = False) -> GenerationResult:
        """Run one generation; cancelling the awaiting task stops it within a token or a graph node.

        A ``background`` generation (warm-up, speculation) is stopped by any other call.
        """
        backend = await self.wait_ready()
        return await self._run(backend.complete, request, background)

    async def chat(self, request: ChatRequest, *, background: bool = False) -> GenerationResult:
        """Run one chat generation on the same worker; cancellable like ``complete``."""
        backend = await self.wait_ready()
        return await self._run(backend.chat, request, background)

    async def generate(self, request: TextRequest) -> GenerationResult:
        """Continue a raw prompt in the background: any other call stops it (a prediction yields to typing), and it
        stops the background work before it (a warm-up or speculation for the ghost text: the user has rested after
        an edit and waits for the next one; that work's prompt, kept in a KV snapshot, resumes at the next request).
        """
        backend = await self.wait_ready()
        self._stop_background()
        return await self._run(backend.generate, request, True)

    async def _run(self, call: Callable[..., GenerationResult], request: object, background: bool) -> GenerationResult:
        if not background:
            self._stop_background()
        cancel = threading.Event()
        self._active.add(cancel)
        if background:
            self._background.add(cancel)
        # Per job, not a dict keyed by job: a job still queued is cancelled (and its done callback
        # run) before this coroutine sees CancelledError, so a dict entry would never be removed.
        cancelled_at: list[float] = []
        job = self._executor.submit(call, request, cancel)
        job.add_done_callback(functools.partial(self._record, cancelled_at))
        try:
            result = await asyncio.wrap_future(job)
        except asyncio.CancelledError:
            cancelled_at.append(time.perf_counter())
            cancel.set()
            raise
        except ModelError as exc:
            self._unavailable(str(exc))
            raise ModelUnavailable(str(exc)) from exc
        finally:
            self._active.discard(cancel)
            self._background.discard(cancel)
        if self._error is not None and self._state is ModelState.READY:
            log.info("the model answers again")
            self._error = None
        return result

    def _stop_background(self) -> None:
        for flag in list(self._background):
            flag.set()

    def _unavailable(self, message: str) -> None:
        """A loaded backend failed a call: status shows why until a call succeeds again."""
        self._error = message
        for hook in self.on_unavailable:
            hook(message)

    def _record(self, cancelled_at: list[float], job: Future) -> None:
        """Keep the last generation's figures (and how fast a cancel took effect) for status."""
        if job.cancelled() or job.exception() is not None or job.result().stop_reason in _WARM_UPS:
            return
        self.last_result = job.result()
        self.generations += 1
        if cancelled_at:
            self.last_cancel_ms = (time.perf_counter() - cancelled_at[0]) * 1000

    def shutdown(self) -> None:
        """Stop generations and free the model."""
        self.cancel_all()
        backend, self._backend = self._backend, None
        if backend is not None:
            self._executor.submit(backend.close)
        self._executor.shutdown(wait=False, cancel_futures=True)
