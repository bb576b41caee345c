"""What runs on the model worker and when: one job at a time, the newest request first, background work last."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from lsp_server.completion.cache import TypingThroughCache, suffix_key
from lsp_server.completion.layout import DocumentSnapshot, build_request
from lsp_server.context.workspace import ContextProvider
from lsp_server.model.backend import GenerationRequest, GenerationResult, ModelInfo, StopReason
from lsp_server.model.runtime import ModelRuntime
from lsp_server.model.speed import prompt_cap
from lsp_server.prompting.prompt_log import log_prompt
from lsp_server.settings import Settings

log = logging.getLogger(__name__)

# A running generation is reused by a newer request whose prefix extends its prefix by at most
# this many typed characters (the user typed while it ran); otherwise it is cancelled.
_MAX_TYPED_INTO_JOB = 64
_SPECULATION_TOKENS = 48
_SPECULATION_LINES = 3
# When the only request waiting for a generation is cancelled, the generation lives this long in
# case the next keystroke's request (usually already in the pipe) can use it; then it is stopped.
_CLAIM_GRACE_S = 0.02
_FIRST_LINES_POLL_S = 0.01


@dataclass
class _Partial:
    """The raw text a running generation has produced, and when it produced the first of it."""

    text: str = ""
    since: float | None = None


@dataclass
class Job:
    """One generation, owned by the scheduler rather than by the request that started it."""

    uri: str
    prefix: str
    suffix: tuple[int, int]
    task: asyncio.Task
    speculative: bool
    warm_up: bool = False
    # What was generated so far (written by the worker thread), and whether the job goes on for
    # the cache after a request was answered with its first lines.
    partial: _Partial = field(default_factory=_Partial)
    detached: bool = False
    waiters: int = 0

    def extended_by(self, uri: str, prefix: str, suffix: tuple[int, int]) -> bool:
        """True when ``prefix`` is this job's prefix plus a few typed characters."""
        typed = len(prefix) - len(self.prefix)
        return (
            not self.warm_up
            and uri == self.uri
            and suffix == self.suffix
            and 0 <= typed <= _MAX_TYPED_INTO_JOB
            and prefix[len(self.prefix) - 256 : len(self.prefix)] == self.prefix[-256:]
        )


class GenerationScheduler:
    """Starts, reuses, waits for and stops the one job on the model worker; every finished answer feeds the cache."""

    def __init__(
        self,
        runtime: ModelRuntime,
        settings: Callable[[], Settings],
        cache: TypingThroughCache,
        context: ContextProvider | None,
    ) -> None:
        self._runtime = runtime
        self._settings = settings
        self._cache = cache
        self._context = context
        self._job: Job | None = None
        self._request_task: asyncio.Task | None = None
        # The place of the newest request (uri, version, offset): a warm-up there is not needed.
        self._requested: tuple[str, int | None, int] | None = None
        self._counts = {
            "fromRunningGeneration": 0,
            "generations": 0,
            "speculations": 0,
            "samples": 0,
            "warmUps": 0,
            "firstLines": 0,
        }
        self._last_warm_up: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        """How many requests a running generation served, and how many jobs of each kind ran (first lines too)."""
        return dict(self._counts)

    @property
    def last_warm_up(self) -> dict[str, Any] | None:
        """The last finished warm-up's figures, or None."""
        return self._last_warm_up

    @property
    def busy(self) -> bool:
        """True while any job runs, a warm-up included."""
        return self._job is not None and not self._job.task.done()

    @property
    def generating(self) -> bool:
        """True while a job that generates runs (not a warm-up)."""
        return self._job is not None and not self._job.task.done() and not self._job.warm_up

    def background_running_for(self, uri: str) -> bool:
        """True while background work (a speculation, warm-up or fill-in) runs for ``uri``."""
        job = self._job
        return job is not None and not job.task.done() and job.speculative and job.uri == uri

    def cancel_for(self, uri: str) -> None:
        """Stop generating for ``uri``."""
        if self._job is not None and self._job.uri == uri:
            self._job.task.cancel()

    def supersede(self) -> None:
        """Only the newest request waits for an answer; older ones end (their job may live on)."""
        task = asyncio.current_task()
        if self._request_task is not None and self._request_task is not task and not self._request_task.done():
            self._request_task.cancel()
        self._request_task = task

    def note_request(self, doc: DocumentSnapshot, offset: int) -> None:
        """Remember where the newest request asked, so that no warm-up goes there."""
        self._requested = (doc.uri, doc.version, offset)

    def last_requested(self, doc: DocumentSnapshot, offset: int) -> bool:
        """True when the newest request asked at ``offset`` of this version of ``doc`` (the user rests there)."""
        return self._requested == (doc.uri, doc.version, offset)

    @property
    def running(self) -> Job | None:
        """The job that runs now, if any."""
        job = self._job
        return job if job is not None and not job.task.done() else None

    def may_warm_up(self, doc: DocumentSnapshot, offset: int, *, guessed: bool) -> bool:
        """Whether a warm-up for ``offset`` may run: turned on, nothing running, no request came there.

        For a ``guessed`` place, no request may have come for this version of the document at all:
        requests know the cursor, and a warm-up elsewhere would push their prompt out of the KV.
        """
        settings = self._settings()
        backend = self._runtime.backend
        requested = self._requested
        asked = (
            requested is not None and requested[:2] == (doc.uri, doc.version) and (guessed or requested[2] == offset)
        )
        return settings.warm_up and backend is not None and not self.busy and not asked

    def reusable(self, uri: str, prefix: str, suffix: tuple[int, int]) -> Job | None:
        """The running generation whose prefix ``prefix`` extends by a few typed characters, or None."""
        job = self._job
        if job is not None and not job.task.done() and job.extended_by(uri, prefix, suffix):
            self._counts["fromRunningGeneration"] += 1
            return job
        return None

    async def wait(self, job: Job, first_lines_s: float | None = None) -> GenerationResult:
        """Wait for a job; if this request is cancelled and nobody else waits, stop the job soon.

        With ``first_lines_s``, a job that has been generating for that long (prompt evaluation not
        counted: a block that comes fast comes whole) answers with the complete lines it has, as
        soon as it has one, and goes on in the background to fill the cache.
        """
        job.waiters += 1
        try:
            if first_lines_s is None:
                return await asyncio.shield(job.task)
            done, _ = await asyncio.wait({job.task}, timeout=first_lines_s)
            while not done:
                lines = whole_lines(job.partial.text)
                since = job.partial.since
                if lines.strip() and since is not None and time.monotonic() - since >= first_lines_s:
                    job.detached = True
                    self._counts["firstLines"] += 1
                    return GenerationResult(lines, "", 0, 0, 0, 0.0, 0.0, StopReason.FIRST_LINES)
                done, _ = await asyncio.wait({job.task}, timeout=_FIRST_LINES_POLL_S)
            return job.task.result()
        finally:
            job.waiters -= 1
            if job.waiters == 0 and not job.task.done():
                asyncio.get_running_loop().call_later(_CLAIM_GRACE_S, self._release, job)

    def _release(self, job: Job) -> None:
        if job.waiters == 0 and not job.task.done() and not job.speculative and not job.detached:
            job.task.cancel()

    def _request(
        self, doc: DocumentSnapshot, offset: int, settings: Settings, info: ModelInfo, multiline: bool
    ) -> GenerationRequest:
        """The generation request for ``offset``, its prompt within what this machine evaluates in time."""
        cap = prompt_cap(info.prompt_tps, settings.full_prompt_seconds)
        return build_request(doc, offset, settings, info.context_length, multiline, self._context, cap)

    def start(
        self,
        doc: DocumentSnapshot,
        offset: int,
        settings: Settings,
        info: ModelInfo,
        multiline: bool,
        *,
        speculative: bool,
        temperature: float = 0.0,
    ) -> Job:
        """Cancel whatever runs and start a generation whose result also feeds the cache.

        A ``speculative`` one runs in the background, for a few lines at most; a sampled one (``temperature``
        above 0) is an alternative candidate, kept beside the greedy continuation.
        """
        if self._job is not None and not self._job.task.done():
            self._job.task.cancel()
        request = replace(self._request(doc, offset, settings, info, multiline), temperature=temperature)
        if speculative:
            request = replace(
                request,
                max_tokens=min(request.max_tokens, _SPECULATION_TOKENS),
                should_stop=_after_lines(_SPECULATION_LINES),
            )
        partial = _Partial()
        request = replace(request, should_stop=_recording(partial, request.should_stop))
        prefix, suffix = doc.text[:offset], doc.text[offset:]
        task = asyncio.ensure_future(self._runtime.complete(request, background=speculative))
        job = Job(doc.uri, prefix, suffix_key(suffix), task, speculative, partial=partial)
        self._counts["samples" if temperature else "speculations" if speculative else "generations"] += 1

        def finished(done: asyncio.Task) -> None:
            if done.cancelled() or done.exception() is not None:
                return
            result = done.result()
            log_prompt(result.prompt, "speculation" if speculative else "request", result.healed)
            if result.stop_reason == StopReason.CANCELLED:
                return
            if temperature:
                self._cache.put_alternative(doc.uri, prefix, suffix, usable_text(result))
            else:
                self._cache.put(
                    doc.uri, prefix, suffix, usable_text(result), short=result.short_prompt, speculative=speculative
                )

        task.add_done_callback(finished)
        self._job = job
        return job

    def fill_in(self, doc: DocumentSnapshot, offset: int, *, then: Callable[[], None] | None = None) -> None:
        """Evaluate the full prompt for ``offset`` in the background (no time limit), generating nothing.

        ``then`` runs once the full prompt is in (the fill-in completed, not stopped).
        """
        backend = self._runtime.backend
        if backend is None:
            return
        if self._job is not None and not self._job.task.done():
            self._job.task.cancel()
        request = replace(
            self._request(doc, offset, self._settings(), backend.info, False), max_tokens=0, eval_budget_s=None
        )
        task = asyncio.ensure_future(self._runtime.complete(request, background=True))
        task.add_done_callback(self._warmed_up)
        if then is not None:
            task.add_done_callback(lambda done: then() if _filled_in(done) else None)
        self._job = Job(doc.uri, doc.text[:offset], suffix_key(doc.text[offset:]), task, speculative=True, warm_up=True)
        self._counts["warmUps"] += 1

    def _warmed_up(self, done: asyncio.Task) -> None:
        if done.cancelled():
            return
        if done.exception() is not None:
            log.info("warm-up failed: %s", done.exception())
            return
        result = done.result()
        log_prompt(result.prompt, "warm-up", result.healed)
        self._last_warm_up = {
            "promptTokens": result.prompt_tokens,
            "evaluatedTokens": result.evaluated_tokens,
            "ms": round(result.total_ms, 1),
            "completed": result.stop_reason == StopReason.WARM_UP,
        }
        log.debug(
            "warm-up: %d prompt tokens, %d evaluated in %.0f ms",
            result.prompt_tokens,
            result.evaluated_tokens,
            result.total_ms,
        )


def usable_text(result: GenerationResult) -> str:
    """The raw text worth showing: out of time, only whole lines, never a half-written one."""
    return whole_lines(result.text) if result.stop_reason == StopReason.DEADLINE else result.text


def whole_lines(raw: str) -> str:
    """The complete lines of ``raw`` (up to its last newline after some text); "" if none."""
    return raw[: raw.rfind("\n")] if "\n" in raw.lstrip("\n") else ""


def _filled_in(done: asyncio.Task) -> bool:
    """True when a fill-in evaluated its whole prompt (not cancelled, failed or stopped)."""
    return not (done.cancelled() or done.exception() is not None or done.result().stop_reason != StopReason.WARM_UP)


def _recording(partial: _Partial, should_stop: Callable[[str], bool] | None) -> Callable[[str], bool]:
    """A stop check that also keeps the text generated so far, and when it began, in ``partial``."""

    def check(text: str) -> bool:
        if partial.since is None:
            partial.since = time.monotonic()
        partial.text = text
        return should_stop(text) if should_stop is not None else False

    return check


def _after_lines(count: int) -> Callable[[str], bool]:
    """Stop a speculative generation once it has ``count`` complete lines."""
    return lambda text: text.count("\n") > count
