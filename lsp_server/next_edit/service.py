"""Predictions after an edit settles, never on the keystroke path: scheduled, yielded to typing, kept per version."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlparse

from lsp_server.actions.textedit import TextChange
from lsp_server.audit import AuditLog
from lsp_server.context.languages import language_for_path
from lsp_server.model.backend import ChatRequest, GenerationResult, TextRequest
from lsp_server.model.runtime import ModelRuntime, ModelUnavailable
from lsp_server.next_edit.history import EditHistory
from lsp_server.next_edit.predict import Yielded, predict
from lsp_server.next_edit.prompts import DEFAULT_FORMAT
from lsp_server.settings import Settings

log = logging.getLogger(__name__)

# How often a prediction the model stopped for a waiting request is tried again, once the worker is free.
_RETRIES = 3
_KEEP_SHOWN = 64


@dataclass(frozen=True)
class Prediction:
    """A ready next edit for one version of a document: ``change`` applies to ``text``."""

    id: str
    uri: str
    version: int
    text: str
    change: TextChange
    prompt: str
    reason: str
    latency_ms: float

    @property
    def lines(self) -> tuple[int, int]:
        """The first and last line (0-based) the change replaces."""
        first = self.text.count("\n", 0, self.change.start)
        return first, first + self.text.count("\n", self.change.start, self.change.end)


@dataclass
class _Latest:
    version: int
    text: str
    changed_at: float


def document_path(uri: str) -> str:
    """The file name a prompt shows for ``uri`` (no directories: nothing about the machine leaves in a prompt)."""
    return PurePosixPath(unquote(urlparse(uri).path)).name or "untitled"


class NextEditService:
    """Keeps each open document's edit history and its latest prediction; one prediction in flight per document."""

    def __init__(self, runtime: ModelRuntime, settings: Callable[[], Settings], audit: AuditLog) -> None:
        self._runtime = runtime
        self._settings = settings
        self._audit = audit
        self.history = EditHistory()
        self._latest: dict[str, _Latest] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: dict[str, tuple[int, asyncio.Task[Prediction | None]]] = {}
        self._ready: dict[str, Prediction] = {}
        self._given: OrderedDict[str, Prediction] = OrderedDict()

    @property
    def enabled(self) -> bool:
        """iquest.nextEdit.enabled."""
        return self._settings().next_edit_enabled

    def opened(self, uri: str, text: str, version: int) -> None:
        """Start the document's history."""
        self.history.opened(uri, text)
        self._latest[uri] = _Latest(version, text, time.perf_counter())

    def changed(self, uri: str, text: str, version: int, line: int | None) -> None:
        """The keystroke path: note the text, drop the prediction for the old version, restart the idle timer."""
        if not self.enabled:
            return
        self.history.changed(uri, text, line)
        self._latest[uri] = _Latest(version, text, time.perf_counter())
        self._ready.pop(uri, None)
        self._stop(uri)
        delay = self._settings().next_edit_idle_ms / 1000
        self._timers[uri] = asyncio.get_running_loop().call_later(delay, self._start, uri)

    def closed(self, uri: str) -> None:
        """Forget the document."""
        self._stop(uri)
        self.history.closed(uri)
        self._latest.pop(uri, None)
        self._ready.pop(uri, None)

    def ready(self, uri: str, version: int | None) -> Prediction | None:
        """The prediction already made for this version (a dict lookup: what inline completion adds)."""
        prediction = self._ready.get(uri)
        return prediction if prediction is not None and prediction.version == version else None

    async def request(self, uri: str, version: int | None) -> Prediction | None:
        """The prediction for ``version``: ready, in flight (awaited), or started now; None for a stale version."""
        latest = self._latest.get(uri)
        if not self.enabled or latest is None or version != latest.version:
            return None
        ready = self.ready(uri, version)
        if ready is not None:
            return ready
        running = self._tasks.get(uri)
        if running is None or running[0] != version:
            self._stop(uri)
            self._start(uri)
            running = self._tasks.get(uri)
        if running is None:
            return None
        task = running[1]
        try:
            # Shielded: a cancelled request leaves the prediction running for the next one.
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():  # a newer edit dropped it: this version is stale
                return None
            raise

    def given(self, ident: str) -> Prediction | None:
        """A prediction handed to a client, by id."""
        return self._given.get(ident)

    def remember(self, prediction: Prediction) -> None:
        """Keep a prediction a client was given, so its shown / accepted / rejected can be audited."""
        self._given[prediction.id] = prediction
        self._given.move_to_end(prediction.id)
        while len(self._given) > _KEEP_SHOWN:
            self._given.popitem(last=False)

    def outcome(self, kind: str, ident: str) -> bool:
        """Audit ``next_edit_<kind>`` (shown, accepted, rejected) for a prediction given out; False when unknown."""
        prediction = self._given.get(ident)
        if prediction is None:
            log.warning("next edit %s: unknown id %r", kind, ident)
            return False
        self._audit.record(
            f"next_edit_{kind}",
            uri=prediction.uri,
            model=self._model_name(),
            prompt=None,
            output=prediction.change.new_text if kind == "accepted" else None,
            id=ident,
        )
        if kind in ("accepted", "rejected") and self._ready.get(prediction.uri) is prediction:
            del self._ready[prediction.uri]
        return True

    def _stop(self, uri: str) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        running = self._tasks.pop(uri, None)
        if running is not None:
            running[1].cancel()

    def _start(self, uri: str) -> None:
        self._timers.pop(uri, None)
        latest = self._latest.get(uri)
        if latest is None or self._runtime.backend is None:
            return
        task = asyncio.ensure_future(self._predict(uri, latest))
        self._tasks[uri] = (latest.version, task)
        task.add_done_callback(lambda done: self._finished(uri, done))

    def _finished(self, uri: str, task: asyncio.Task[Prediction | None]) -> None:
        running = self._tasks.get(uri)
        if running is not None and running[1] is task:
            del self._tasks[uri]
        if not task.cancelled() and task.exception() is not None:
            log.warning("next edit prediction failed: %r", task.exception())

    async def _predict(self, uri: str, latest: _Latest) -> Prediction | None:
        backend = self._runtime.backend
        if backend is None:
            return None
        path = document_path(uri)
        for _ in range(_RETRIES):
            try:
                predicted = await predict(
                    self._ask,
                    path=path,
                    language=language_for_path(path),
                    text=latest.text,
                    edits=self.history.edits(uri),
                    before_last=self.history.before_last(uri),
                    prompt_format=DEFAULT_FORMAT,
                    file_sep=backend.template.file_sep_token,
                )
                break
            except Yielded:
                await asyncio.sleep(self._settings().next_edit_idle_ms / 1000)
            except ModelUnavailable as exc:
                log.info("no next edit: %s", exc)
                return None
        else:
            return None
        if predicted is None:
            return None
        prediction = Prediction(
            secrets.token_hex(8),
            uri,
            latest.version,
            latest.text,
            predicted.change,
            predicted.prompt,
            predicted.region.reason,
            (time.perf_counter() - latest.changed_at) * 1000,
        )
        self._ready[uri] = prediction
        first, last = prediction.lines
        self._audit.record(
            "next_edit_predicted",
            uri=uri,
            model=self._model_name(),
            prompt=prediction.prompt,
            output=prediction.change.new_text,
            id=prediction.id,
            version=prediction.version,
            lines=[first, last],
            region=prediction.reason,
            latency_ms=round(prediction.latency_ms, 1),
        )
        return prediction

    async def _ask(self, request: TextRequest | ChatRequest) -> GenerationResult:
        if isinstance(request, TextRequest):
            return await self._runtime.generate(request)
        return await self._runtime.chat(request, background=True)

    def _model_name(self) -> str:
        backend = self._runtime.backend
        return backend.info.name if backend is not None else ""

    def shutdown(self) -> None:
        """Cancel timers and predictions."""
        for uri in list(self._timers) + list(self._tasks):
            with contextlib.suppress(KeyError):
                self._stop(uri)
