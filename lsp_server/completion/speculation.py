"""What to compute after an answer is shown: the full answer behind a short prompt's, the rest, the line after Enter."""

from __future__ import annotations

import functools
from collections.abc import Callable

from lsp_server.completion.cache import TypingThroughCache
from lsp_server.completion.layout import DocumentSnapshot
from lsp_server.completion.line_mode import multiline_at
from lsp_server.completion.scheduler import GenerationScheduler, Job
from lsp_server.model.runtime import ModelRuntime
from lsp_server.settings import Settings

# An alternative candidate is sampled (the first is greedy); when the editor asks for one and a sample repeats the
# greedy text, it is tried again, hotter. In idle time one sample is drawn at the first temperature.
SAMPLE_TEMPERATURES = (0.8, 1.0, 1.2)


class SpeculationPolicy:
    """Picks the background work that follows a shown answer; the scheduler runs it and any real request wins."""

    def __init__(
        self,
        runtime: ModelRuntime,
        settings: Callable[[], Settings],
        cache: TypingThroughCache,
        scheduler: GenerationScheduler,
    ) -> None:
        self._runtime = runtime
        self._settings = settings
        self._cache = cache
        self._scheduler = scheduler

    def after_short_answer(self, doc: DocumentSnapshot, offset: int, text: str) -> None:
        """After a short prompt's answer (new or cached), fill in the full prompt and answer from it.

        Background work already running for the document (a fill-in, or the answer after one) goes on.
        With nothing more to show at the end of a line of code, the place filled in is the line after
        Enter, where the user is likely to go next.
        """
        if self._scheduler.background_running_for(doc.uri):
            return
        if not text and _line_done(doc.text, offset):
            doc, offset = _inserted(doc, offset, "\n")
        self._scheduler.fill_in(doc, offset, then=functools.partial(self._answer_filled_in, doc, offset))

    def after_full_answer(self, doc: DocumentSnapshot, offset: int, text: str) -> None:
        """After a full prompt's answer, compute what follows it as if accepted, or the line after Enter; then,
        while the user still rests at the answer, sample an alternative to it."""
        if text:
            job = self._speculate(doc, offset, text)
            if self._settings().candidates > 1 and self._settings().speculate:
                self._sample_when_idle(doc, offset, job)
        elif _line_done(doc.text, offset):
            self._speculate(doc, offset, "\n")  # nothing more on this line: the next one after Enter

    def _sample_when_idle(self, doc: DocumentSnapshot, offset: int, after: Job | None) -> None:
        """Once ``after`` (the speculation) is done, sample at ``offset`` unless a request came or work runs."""

        def sample() -> None:
            backend = self._runtime.backend
            if backend is None or self._scheduler.busy or not self._scheduler.last_requested(doc, offset):
                return
            settings = self._settings()
            multiline = multiline_at(settings.multiline, doc.text, offset)
            self._scheduler.start(
                doc, offset, settings, backend.info, multiline, speculative=True, temperature=SAMPLE_TEMPERATURES[0]
            )

        if after is None:
            sample()
        else:
            after.task.add_done_callback(lambda done: None if done.cancelled() else sample())

    def _answer_filled_in(self, doc: DocumentSnapshot, offset: int) -> None:
        """Once the full prompt is in and nothing else runs, compute its answer for the cache."""
        backend = self._runtime.backend
        if backend is None or self._scheduler.busy:
            return
        settings = self._settings()
        multiline = multiline_at(settings.multiline, doc.text, offset)
        self._scheduler.start(doc, offset, settings, backend.info, multiline, speculative=True)

    def _speculate(self, doc: DocumentSnapshot, offset: int, text: str) -> Job | None:
        """Compute what comes after ``text`` typed at ``offset``, unless it is known or being computed."""
        settings = self._settings()
        backend = self._runtime.backend
        if not settings.speculate or backend is None:
            return None
        if self._scheduler.generating:
            return self._scheduler.running  # what runs already continues this suggestion (its rest, or its speculation)
        accepted, end = _inserted(doc, offset, text)
        known = self._cache.lookup(doc.uri, accepted.text[:end], accepted.text[end:])
        if known is not None and known.rest.strip() and not known.short:
            return None  # the next line is already known
        return self._scheduler.start(accepted, end, settings, backend.info, True, speculative=True)


def _inserted(doc: DocumentSnapshot, offset: int, text: str) -> tuple[DocumentSnapshot, int]:
    """The document with ``text`` typed at ``offset`` (accepted, say), and the offset after it."""
    return DocumentSnapshot(doc.uri, doc.text[:offset] + text + doc.text[offset:], doc.version), offset + len(text)


def _line_done(text: str, offset: int) -> bool:
    """True when the cursor ends a line that has code on it."""
    line = text[text.rfind("\n", 0, offset) + 1 : offset]
    return bool(line.strip()) and (offset == len(text) or text[offset] == "\n")
