"""The completion service: answers a request from the cache or the model, then starts what follows; no pygls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from lsp_server.audit import AuditLog
from lsp_server.completion.cache import TypingThroughCache, suffix_key
from lsp_server.completion.layout import DocumentSnapshot
from lsp_server.completion.line_mode import cleaner, closes_brackets, multiline_at
from lsp_server.completion.outcomes import SuggestionOutcomes, language_of
from lsp_server.completion.scheduler import GenerationScheduler, usable_text
from lsp_server.completion.speculation import SAMPLE_TEMPERATURES, SpeculationPolicy
from lsp_server.context.secrets import is_secret_path
from lsp_server.context.workspace import ContextProvider
from lsp_server.model.backend import GenerationResult, StopReason
from lsp_server.model.runtime import ModelRuntime
from lsp_server.model.speed import prompt_cap
from lsp_server.settings import Settings

log = logging.getLogger(__name__)


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
    stop_reason: StopReason
    source: str = "generation"
    id: str = ""
    alternatives: tuple[tuple[str, str], ...] = ()  # (text, id) of the other candidates, the first one first


@dataclass(frozen=True)
class _Place:
    """Where an answer is asked for, and how a continuation there becomes the ghost text."""

    doc: DocumentSnapshot
    offset: int
    multiline: bool
    clean: Callable[[str], str]
    still_valid: Callable[[], bool]


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
        self.outcomes = SuggestionOutcomes(audit, self._model_name)
        self._cache = TypingThroughCache()
        self._scheduler = GenerationScheduler(runtime, settings, self._cache, context)
        self._speculation = SpeculationPolicy(runtime, settings, self._cache, self._scheduler)
        self._counts = {"requests": 0, "fromCache": 0, "shortPrompts": 0, "blocksGrown": 0}
        self._answered: tuple[str, int | None, int] | None = None  # (uri, version, offset) of the last answer
        # The places whose shown first lines may grow, and the task that waits for it (the loop keeps only a
        # weak reference to a task).
        self._growths: dict[tuple[str, int | None, int], asyncio.Future] = {}

    def stats(self) -> dict[str, Any]:
        """Counters for iquest.status, the last finished warm-up's figures and this machine's prompt cap."""
        backend = self._runtime.backend
        cap = prompt_cap(backend.info.prompt_tps, self._settings().full_prompt_seconds) if backend is not None else None
        return {
            "requests": self._counts["requests"],
            "fromCache": self._counts["fromCache"],
            **self._scheduler.counts(),
            "shortPrompts": self._counts["shortPrompts"],
            "blocksGrown": self._counts["blocksGrown"],
            "lastWarmUp": self._scheduler.last_warm_up,
            "promptCap": cap,
            "acceptance": self.outcomes.figures(),
        }

    def _model_name(self) -> str:
        backend = self._runtime.backend
        return backend.info.name if backend is not None else ""

    def document_closed(self, uri: str) -> None:
        """Forget a closed document and stop generating for it."""
        self._cache.forget(uri)
        self._scheduler.cancel_for(uri)

    async def suggest(
        self,
        doc: DocumentSnapshot,
        offset: int,
        still_valid: Callable[[], bool] = lambda: True,
        *,
        invoked: bool = False,
        on_grown: Callable[[], None] | None = None,
    ) -> Suggestion | None:
        """Ghost text for ``offset`` in ``doc`` and up to ``candidates - 1`` alternatives; None when nothing is left.

        ``on_grown`` is called once when a block answered with its first lines has finished with more lines,
        the document unchanged: asked again, the same place gets the whole block (and, with ``candidates`` ≥ 2,
        an alternative sampled before the call) from the cache.

        The first is the greedy suggestion, never delayed; the alternatives are the other continuations known at
        this place (earlier generations and speculations, sampled ones). When the user asks explicitly again
        where the last answer was (``invoked``, as when VS Code cycles) and none is known, one is sampled
        first; the first request at a place is never held back for it.
        """
        asked_again = self._answered == (doc.uri, doc.version, offset)
        first = await self._first(doc, offset, still_valid, on_grown)
        if first is not None:
            self._answered = (doc.uri, doc.version, offset)
        settings = self._settings()
        if first is None or settings.candidates < 2:
            return first
        place = self._place(doc, offset, first.multiline, settings, still_valid)
        if invoked and asked_again:
            await self._sample_unless_known(place, first.text, settings)
            if not still_valid():
                return None
        alternatives = []
        for text in self._others(place, first.text)[: settings.candidates - 1]:
            shown = self.outcomes.shown(
                uri=doc.uri,
                text=text,
                offset=offset,
                document_text=doc.text,
                multiline=first.multiline,
                source="alternative",
                latency_ms=first.latency_ms,
                prompt="",
                version=doc.version,
                candidate=len(alternatives) + 1,
            )
            alternatives.append((text, shown.id))
        return replace(first, alternatives=tuple(alternatives))

    @staticmethod
    def _place(
        doc: DocumentSnapshot, offset: int, multiline: bool, settings: Settings, still_valid: Callable[[], bool]
    ) -> _Place:
        """``offset`` in ``doc``, a continuation there cleaned as the settings say (line or block, brackets, scan)."""
        clean = cleaner(doc.text[:offset], doc.text[offset:], multiline, settings)
        return _Place(doc, offset, multiline, clean, still_valid)

    async def _sample_unless_known(self, place: _Place, first: str, settings: Settings) -> None:
        """Sample at ``place`` until a continuation other than ``first`` is known there (at most one per
        temperature of SAMPLE_TEMPERATURES); nothing when one is known already."""
        backend = self._runtime.backend
        for temperature in SAMPLE_TEMPERATURES if backend is not None else ():
            if self._others(place, first):
                return
            assert backend is not None
            job = self._scheduler.start(
                place.doc,
                place.offset,
                settings,
                backend.info,
                place.multiline,
                speculative=False,
                temperature=temperature,
            )
            await self._scheduler.wait(job)
            await asyncio.sleep(0)  # the job's callback files the sample in the cache

    def _others(self, place: _Place, first: str) -> list[str]:
        """The cleaned continuations known at ``place`` that differ from the first one and from each other."""
        doc, offset = place.doc, place.offset
        seen = {first.strip()}
        others = []
        for rest in self._cache.continuations(doc.uri, doc.text[:offset], doc.text[offset:]):
            text = place.clean(rest)
            if text.strip() and text.strip() not in seen:
                seen.add(text.strip())
                others.append(text)
        return others

    async def _first(
        self,
        doc: DocumentSnapshot,
        offset: int,
        still_valid: Callable[[], bool],
        on_grown: Callable[[], None] | None = None,
    ) -> Suggestion | None:
        """The greedy suggestion: from the typing-through cache, a running generation or a new one."""
        self._scheduler.supersede()
        if is_secret_path(doc.uri.rsplit("/", 1)[-1]):
            log.info("no completions in %s: it looks like a secrets file", doc.uri)
            return None
        self._counts["requests"] += 1
        self._scheduler.note_request(doc, offset)
        settings = self._settings()
        started = time.perf_counter()
        prefix, suffix = doc.text[:offset], doc.text[offset:]
        multiline = multiline_at(settings.multiline, doc.text, offset)
        if multiline and settings.adapt and settings.multiline == "auto":
            # Learned here: multi-line suggestions rarely taken in this language become single lines.
            multiline = not self.outcomes.rarely_taken(language_of(doc.uri), "multi-line")
        place = self._place(doc, offset, multiline, settings, still_valid)

        cached = self._cache.lookup(doc.uri, prefix, suffix)
        if cached is not None and place.clean(cached.rest):
            self._counts["fromCache"] += 1
            empty = GenerationResult("", "", 0, 0, 0, 0.0, 0.0, StopReason.CACHE, short_prompt=cached.short)
            source = "speculation" if cached.speculative else "cache"
            return self._shown(place, place.clean(cached.rest), empty, started, source)
        if settings.debounce_ms:
            await asyncio.sleep(settings.debounce_ms / 1000)
        backend = await self._runtime.wait_ready()
        job = self._scheduler.reusable(doc.uri, prefix, suffix_key(suffix))
        if job is None:
            job = self._scheduler.start(doc, offset, settings, backend.info, multiline, speculative=False)
        # A single line that leaves a bracket open runs on like a block, so it shows its first lines as soon.
        runs_on = multiline or closes_brackets(settings.multiline, suffix)
        result = await self._scheduler.wait(
            job, settings.first_lines_ms / 1000 if runs_on and settings.first_lines_ms else None
        )
        typed = prefix[len(job.prefix) :]
        if not usable_text(result).startswith(typed):  # the user typed something else: compute afresh
            job = self._scheduler.start(doc, offset, settings, backend.info, multiline, speculative=False)
            result, typed = await self._scheduler.wait(job), ""
        source = "speculation" if job.speculative else "generation"
        text = place.clean(usable_text(result)[len(typed) :])
        key = (doc.uri, doc.version, offset)
        # The editor may ask at the same place again meanwhile: one notice is enough.
        if result.stop_reason == StopReason.FIRST_LINES and text and on_grown and key not in self._growths:
            growth = asyncio.ensure_future(self._grow(job.task, place, text, len(typed), on_grown))
            self._growths[key] = growth
            growth.add_done_callback(lambda _: self._growths.pop(key, None))
        return self._shown(place, text, result, started, source)

    async def _grow(
        self, generation: asyncio.Task, place: _Place, shown: str, typed: int, on_grown: Callable[[], None]
    ) -> None:
        """``on_grown`` once the generation whose first lines were ``shown`` has finished with more of them.

        First, with ``candidates`` ≥ 2, an alternative is sampled unless one is known: the editor's ask for the
        grown block is explicit, and VS Code takes alternatives to cycle through only from such an ask, so it is
        answered at once from the cache instead of after a sample.
        """
        await asyncio.wait({generation})  # unlike awaiting it, never cancels the generation
        if generation.cancelled() or generation.exception() is not None or not place.still_valid():
            return
        whole = place.clean(usable_text(generation.result())[typed:])
        if len(whole) <= len(shown) or not whole.startswith(shown.rstrip()):
            return
        self._counts["blocksGrown"] += 1
        settings = self._settings()
        if settings.candidates >= 2:
            # A request that comes meanwhile supersedes the sample; the notice is still worth sending.
            with contextlib.suppress(asyncio.CancelledError):
                await self._sample_unless_known(place, whole, settings)
        if place.still_valid():
            on_grown()

    def _shown(
        self, place: _Place, text: str, result: GenerationResult, started: float, source: str
    ) -> Suggestion | None:
        """Log the answer, drop it if stale, start what follows it, audit it; None when there is nothing to show."""
        doc, offset, multiline = place.doc, place.offset, place.multiline
        latency_ms = _logged_latency(started, result, source)
        if not place.still_valid():
            log.info("dropping a suggestion for %s: the document changed while it was computed", doc.uri)
            return None
        if result.short_prompt:
            if source != "cache":
                self._counts["shortPrompts"] += 1
            self._speculation.after_short_answer(doc, offset, text)
        ident = ""
        if text:
            ident = self.outcomes.shown(
                uri=doc.uri,
                text=text,
                offset=offset,
                document_text=doc.text,
                multiline=multiline,
                source=source,
                latency_ms=latency_ms,
                prompt=result.prompt,
                version=doc.version,
            ).id
        if not result.short_prompt:  # a short answer is followed by the full prompt's evaluation instead
            self._speculation.after_full_answer(doc, offset, text)
        return _suggestion(text, offset, multiline, latency_ms, result, source, ident) if text else None

    def warm_up(self, doc: DocumentSnapshot, offset: int, *, guessed: bool) -> bool:
        """Pre-fill the model's KV cache for ``offset`` in the background, generating nothing.

        Skipped while any generation runs, and when a request already came for this place (or, for
        a ``guessed`` place, for this version of the document at all: requests know the cursor, and
        a warm-up elsewhere would push their prompt out of the KV). Any real call cancels it.
        """
        if not self._scheduler.may_warm_up(doc, offset, guessed=guessed) or is_secret_path(doc.uri.rsplit("/", 1)[-1]):
            return False
        self._scheduler.fill_in(doc, offset)
        return True


def _logged_latency(started: float, result: GenerationResult, source: str) -> float:
    """The milliseconds since ``started``, logged with the answer's figures."""
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
    return latency_ms


def _suggestion(
    text: str, offset: int, multiline: bool, latency_ms: float, result: GenerationResult, source: str, ident: str
) -> Suggestion:
    """The suggestion for ``text`` with the figures of the generation behind it."""
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
        id=ident,
    )
