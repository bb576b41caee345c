"""The completion service: schedules generations and turns them into ghost text; no pygls."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from lsp_server.audit import AuditLog
from lsp_server.completion.cache import TypingThroughCache, suffix_key
from lsp_server.completion.layout import DocumentSnapshot, build_request
from lsp_server.completion.line_mode import wants_multiline
from lsp_server.completion.postprocess import clean_completion
from lsp_server.context.secrets import is_secret_path
from lsp_server.context.workspace import ContextProvider
from lsp_server.model.backend import GenerationRequest, GenerationResult, ModelInfo
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


@dataclass(frozen=True)
class Suggestion:
    """Cleaned ghost text to insert at ``offset`` plus the figures behind it."""

    text: str
    offset: int
    multiline: bool
    latency_ms: float
    prompt_tokens: int
    evaluated_tokens: int
    generated_tokens: int
    stop_reason: str
    source: str = "model"


@dataclass
class _Partial:
    """The raw text a running generation has produced, and when it produced the first of it."""

    text: str = ""
    since: float | None = None


@dataclass
class _Job:
    """One generation, owned by the service rather than by the request that started it."""

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


class CompletionService:
    """Answers from the typing-through cache, a running generation, or a new one; then speculates."""

    def __init__(
        self,
        runtime: ModelRuntime,
        settings: Callable[[], Settings],
        audit: AuditLog,
        context: ContextProvider | None = None,
    ) -> None:
        self._runtime = runtime
        self._settings = settings
        self._audit = audit
        self._context = context
        self._cache = TypingThroughCache()
        self._job: _Job | None = None
        self._request_task: asyncio.Task | None = None
        self._counts = {
            "requests": 0,
            "fromCache": 0,
            "fromRunningGeneration": 0,
            "generations": 0,
            "speculations": 0,
            "warmUps": 0,
            "firstLines": 0,
            "shortPrompts": 0,
        }
        self._requested: tuple[str, int | None, int] | None = None
        self._last_warm_up: dict[str, Any] | None = None

    def stats(self) -> dict[str, Any]:
        """Counters for iquest.status, the last finished warm-up's figures and this machine's prompt cap."""
        backend = self._runtime.backend
        cap = prompt_cap(backend.info.prompt_tps, self._settings().full_prompt_seconds) if backend is not None else None
        return {**self._counts, "lastWarmUp": self._last_warm_up, "promptCap": cap}

    def document_closed(self, uri: str) -> None:
        """Forget a closed document and stop generating for it."""
        self._cache.forget(uri)
        if self._job is not None and self._job.uri == uri:
            self._job.task.cancel()

    def _supersede(self) -> None:
        """Only the newest request waits for an answer; older ones end (their job may live on)."""
        task = asyncio.current_task()
        if self._request_task is not None and self._request_task is not task and not self._request_task.done():
            self._request_task.cancel()
        self._request_task = task

    async def suggest(
        self, doc: DocumentSnapshot, offset: int, still_valid: Callable[[], bool] = lambda: True
    ) -> Suggestion | None:
        """Return ghost text for ``offset`` in ``doc``; None when there is nothing (still) worth showing."""
        self._supersede()
        if is_secret_path(doc.uri.rsplit("/", 1)[-1]):
            log.info("no completions in %s: it looks like a secrets file", doc.uri)
            return None
        self._counts["requests"] += 1
        self._requested = (doc.uri, doc.version, offset)
        settings = self._settings()
        started = time.perf_counter()
        prefix, suffix = doc.text[:offset], doc.text[offset:]
        multiline = _multiline(settings, doc, offset)

        def clean(raw: str) -> str:
            return clean_completion(
                raw, prefix=prefix, suffix=suffix, multiline=multiline, max_lines=settings.max_lines
            )

        cached = self._cache.lookup(doc.uri, prefix, suffix)
        if cached is not None and clean(cached.rest):
            self._counts["fromCache"] += 1
            empty = GenerationResult("", "", 0, 0, 0, 0.0, 0.0, "cache", short_prompt=cached.short)
            return self._shown(doc, offset, clean(cached.rest), empty, multiline, started, "cache", still_valid)
        if settings.debounce_ms:
            await asyncio.sleep(settings.debounce_ms / 1000)
        backend = await self._runtime.wait_ready()
        key = suffix_key(suffix)
        job = self._job
        if job is not None and not job.task.done() and job.extended_by(doc.uri, prefix, key):
            self._counts["fromRunningGeneration"] += 1
        else:
            job = self._start(doc, offset, settings, backend.info, multiline, speculative=False)
        result = await self._wait(
            job, settings.first_lines_ms / 1000 if multiline and settings.first_lines_ms else None
        )
        typed = prefix[len(job.prefix) :]
        if not _usable(result).startswith(typed):  # the user typed something else: compute afresh
            job = self._start(doc, offset, settings, backend.info, multiline, speculative=False)
            result, typed = await self._wait(job), ""
        return self._shown(
            doc, offset, clean(_usable(result)[len(typed) :]), result, multiline, started, "model", still_valid
        )

    async def _wait(self, job: _Job, first_lines_s: float | None = None) -> GenerationResult:
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
                lines = _whole_lines(job.partial.text)
                since = job.partial.since
                if lines.strip() and since is not None and time.monotonic() - since >= first_lines_s:
                    job.detached = True
                    self._counts["firstLines"] += 1
                    return GenerationResult(lines, "", 0, 0, 0, 0.0, 0.0, "first_lines")
                done, _ = await asyncio.wait({job.task}, timeout=_FIRST_LINES_POLL_S)
            return job.task.result()
        finally:
            job.waiters -= 1
            if job.waiters == 0 and not job.task.done():
                asyncio.get_running_loop().call_later(_CLAIM_GRACE_S, self._release, job)

    def _release(self, job: _Job) -> None:
        if job.waiters == 0 and not job.task.done() and not job.speculative and not job.detached:
            job.task.cancel()

    def _request(
        self, doc: DocumentSnapshot, offset: int, settings: Settings, info: ModelInfo, multiline: bool
    ) -> GenerationRequest:
        """The generation request for ``offset``, its prompt within what this machine evaluates in time."""
        cap = prompt_cap(info.prompt_tps, settings.full_prompt_seconds)
        return build_request(doc, offset, settings, info.context_length, multiline, self._context, cap)

    def _start(
        self,
        doc: DocumentSnapshot,
        offset: int,
        settings: Settings,
        info: ModelInfo,
        multiline: bool,
        *,
        speculative: bool,
    ) -> _Job:
        """Cancel whatever runs and start a generation whose result also feeds the cache."""
        if self._job is not None and not self._job.task.done():
            self._job.task.cancel()
        request = self._request(doc, offset, settings, info, multiline)
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
        job = _Job(doc.uri, prefix, suffix_key(suffix), task, speculative, partial=partial)
        self._counts["speculations" if speculative else "generations"] += 1

        def finished(done: asyncio.Task) -> None:
            if done.cancelled() or done.exception() is not None:
                return
            result = done.result()
            log_prompt(result.prompt, "speculation" if speculative else "request", result.healed)
            if result.stop_reason != "cancelled":
                self._cache.put(doc.uri, prefix, suffix, _usable(result), short=result.short_prompt)

        task.add_done_callback(finished)
        self._job = job
        return job

    def _shown(
        self,
        doc: DocumentSnapshot,
        offset: int,
        text: str,
        result: GenerationResult,
        multiline: bool,
        started: float,
        source: str,
        still_valid: Callable[[], bool],
    ) -> Suggestion | None:
        """Log, drop if stale, audit, and speculate on the suggestion being accepted."""
        latency_ms = (time.perf_counter() - started) * 1000
        log.info(
            "completion %.0f ms from %s: %d prompt tokens (%d evaluated), %d generated, stop=%s",
            latency_ms,
            source,
            result.prompt_tokens,
            result.evaluated_tokens,
            result.generated_tokens,
            result.stop_reason,
        )
        if not still_valid():
            log.info("dropping a suggestion for %s: the document changed while it was computed", doc.uri)
            return None
        if result.short_prompt:
            if source == "model":
                self._counts["shortPrompts"] += 1
            self._fill_in_after_short(doc, offset, text)
        if not text:
            if not result.short_prompt and _line_done(doc.text, offset):
                self._speculate(doc, offset, "\n")  # nothing more on this line: the next one after Enter
            return None
        backend = self._runtime.backend
        self._audit.record(
            "inline_completion",
            uri=doc.uri,
            model=backend.info.name if backend else "",
            prompt=result.prompt,
            output=text,
            offset=offset,
            version=doc.version,
            latency_ms=round(latency_ms, 1),
            source=source,
        )
        if not result.short_prompt:  # the full prompt's evaluation, just started, comes first
            self._speculate(doc, offset, text)
        return Suggestion(
            text=text,
            offset=offset,
            multiline=multiline,
            latency_ms=latency_ms,
            prompt_tokens=result.prompt_tokens,
            evaluated_tokens=result.evaluated_tokens,
            generated_tokens=result.generated_tokens,
            stop_reason=result.stop_reason,
            source=source,
        )

    def warm_up(self, doc: DocumentSnapshot, offset: int, *, guessed: bool) -> bool:
        """Pre-fill the model's KV cache for ``offset`` in the background, generating nothing.

        Skipped while any generation runs, and when a request already came for this place (or, for
        a ``guessed`` place, for this version of the document at all: requests know the cursor, and
        a warm-up elsewhere would push their prompt out of the KV). Any real call cancels it.
        """
        settings = self._settings()
        backend = self._runtime.backend
        busy = self._job is not None and not self._job.task.done()
        requested = self._requested
        asked = (
            requested is not None and requested[:2] == (doc.uri, doc.version) and (guessed or requested[2] == offset)
        )
        if not settings.warm_up or backend is None or busy or asked:
            return False
        if is_secret_path(doc.uri.rsplit("/", 1)[-1]):
            return False
        self._fill_in(doc, offset)
        return True

    def _fill_in(self, doc: DocumentSnapshot, offset: int, *, answer: bool = False) -> None:
        """Evaluate the full prompt for ``offset`` in the background (no time limit), generating nothing.

        With ``answer``, once the full prompt is in, its answer at ``offset`` is computed for the cache,
        where it takes the place of a short prompt's.
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
        if answer:
            task.add_done_callback(lambda done: self._answer_if_filled_in(done, doc, offset))
        self._job = _Job(
            doc.uri, doc.text[:offset], suffix_key(doc.text[offset:]), task, speculative=True, warm_up=True
        )
        self._counts["warmUps"] += 1

    def _fill_in_after_short(self, doc: DocumentSnapshot, offset: int, text: str) -> None:
        """After a short prompt's answer (new or cached), fill in the full prompt and answer from it.

        Background work already running for the document (a fill-in, or the answer after one) goes on.
        With nothing more to show at the end of a line of code, the place filled in is the line after
        Enter, where the user is likely to go next.
        """
        job = self._job
        if job is not None and not job.task.done() and job.speculative and job.uri == doc.uri:
            return
        if not text and _line_done(doc.text, offset):
            doc, offset = _inserted(doc, offset, "\n")
        self._fill_in(doc, offset, answer=True)

    def _answer_if_filled_in(self, done: asyncio.Task, doc: DocumentSnapshot, offset: int) -> None:
        """Once a fill-in completed and nothing else runs, compute the full prompt's answer for the cache."""
        if done.cancelled() or done.exception() is not None or done.result().stop_reason != "warm_up":
            return
        backend = self._runtime.backend
        if backend is None or (self._job is not None and not self._job.task.done()):
            return
        settings = self._settings()
        self._start(doc, offset, settings, backend.info, _multiline(settings, doc, offset), speculative=True)

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
            "completed": result.stop_reason == "warm_up",
        }
        log.debug(
            "warm-up: %d prompt tokens, %d evaluated in %.0f ms",
            result.prompt_tokens,
            result.evaluated_tokens,
            result.total_ms,
        )

    def _speculate(self, doc: DocumentSnapshot, offset: int, text: str) -> None:
        """Compute what comes after the suggestion as if it were accepted; any real request wins."""
        settings = self._settings()
        backend = self._runtime.backend
        if not settings.speculate or backend is None:
            return
        if self._job is not None and not self._job.task.done() and not self._job.warm_up:
            return  # what runs already continues this suggestion (its rest, or its speculation)
        accepted, end = _inserted(doc, offset, text)
        known = self._cache.lookup(doc.uri, accepted.text[:end], accepted.text[end:])
        if known is not None and known.rest.strip() and not known.short:
            return  # the next line is already known
        self._start(accepted, end, settings, backend.info, True, speculative=True)


def _inserted(doc: DocumentSnapshot, offset: int, text: str) -> tuple[DocumentSnapshot, int]:
    """The document with ``text`` typed at ``offset`` (accepted, say), and the offset after it."""
    return DocumentSnapshot(doc.uri, doc.text[:offset] + text + doc.text[offset:], doc.version), offset + len(text)


def _multiline(settings: Settings, doc: DocumentSnapshot, offset: int) -> bool:
    """Whether a suggestion at ``offset`` may span lines (settings and the text around the cursor)."""
    line_prefix = doc.text[doc.text.rfind("\n", 0, offset) + 1 : offset]
    return wants_multiline(settings.multiline, line_prefix, doc.text[offset:].split("\n", 1)[0])


def _usable(result: GenerationResult) -> str:
    """The raw text worth showing: out of time, only whole lines, never a half-written one."""
    return _whole_lines(result.text) if result.stop_reason == "deadline" else result.text


def _line_done(text: str, offset: int) -> bool:
    """True when the cursor ends a line that has code on it."""
    line = text[text.rfind("\n", 0, offset) + 1 : offset]
    return bool(line.strip()) and (offset == len(text) or text[offset] == "\n")


def _whole_lines(raw: str) -> str:
    """The complete lines of ``raw`` (up to its last newline after some text); "" if none."""
    return raw[: raw.rfind("\n")] if "\n" in raw.lstrip("\n") else ""


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
