"""What became of each suggestion shown: ids for inline items, acceptance events in the audit log, today's figures."""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from lsp_server.acceptance import (
    ACCEPTED,
    DISPLAYED,
    EVENT_KINDS,
    PARTIALLY_ACCEPTED,
    SHOWN,
    AcceptanceTally,
    suggestion_kind,
)
from lsp_server.audit import AuditLog, read_recent
from lsp_server.completion.postprocess import is_mid_line
from lsp_server.context.languages import LANGUAGE_BY_SUFFIX
from lsp_server.positions import chars_in_units

log = logging.getLogger(__name__)

# Adaptation: a kind of suggestion shown this often in a language and taken less than this share of the time is
# offered no more (the multi-line ones become single lines).
MIN_SHOWN = 20
RARE_RATE = 0.05
# At start-up the last events of the audit log (its current file and the one rotated before) are folded in,
# so that today's figures and what adaptation has learnt survive a restart.
RESTORED_EVENTS = 50_000


class UnknownOutcome(ValueError):
    """An event about a suggestion the server does not know (or no longer remembers), or out of its range."""


@dataclass(frozen=True)
class ShownSuggestion:
    """A suggestion the server answered with, as events about it are attributed."""

    id: str
    uri: str
    offset: int
    text: str
    language: str
    kind: str
    source: str
    latency_ms: float

    def fields(self) -> dict[str, Any]:
        """The audit fields every event about this suggestion carries, so each event counts on its own."""
        return {
            "id": self.id,
            "language": self.language,
            "suggestion": self.kind,
            "source": self.source,
            "latency_ms": round(self.latency_ms, 1),
        }


def language_of(uri: str) -> str:
    """The language of a document from its file name (the audit log's grouping), else its extension."""
    suffix = PurePosixPath(uri).suffix.lower()
    return LANGUAGE_BY_SUFFIX.get(suffix) or suffix.lstrip(".") or "other"


class SuggestionOutcomes:
    """A bounded map id -> suggestion shown; shows and acceptances go to the audit log and today's tally.

    Per suggestion shown this costs an id, a dict entry and a few counter updates (plus the audit line
    that was written before). Ids carry a per-process prefix so that the log's events stay apart
    across restarts.
    """

    def __init__(
        self,
        audit: AuditLog,
        model_name: Callable[[], str],
        *,
        capacity: int = 1024,
        today: Callable[[], str] = lambda: time.strftime("%Y-%m-%d"),
    ) -> None:
        self._audit = audit
        self._model_name = model_name
        self._capacity = capacity
        self._today = today
        self._prefix = secrets.token_hex(3)
        self._numbers = itertools.count(1)
        self._shown: OrderedDict[str, ShownSuggestion] = OrderedDict()
        self._day = today()
        self._tally = AcceptanceTally(max_ids=4 * capacity)
        # (language, kind) -> [first candidates shown, ids taken whole or in part]: what adaptation reads.
        self._taken: dict[tuple[str, str], list[int]] = {}
        self._taken_ids: OrderedDict[str, None] = OrderedDict()
        self._client_reports = False  # the client has reported an acceptance, now or in the restored events
        self._lock = threading.Lock()
        self.restored = threading.Event()
        threading.Thread(target=self._restore, name="outcomes-restore", daemon=True).start()

    def shown(
        self,
        *,
        uri: str,
        text: str,
        offset: int,
        document_text: str,
        multiline: bool,
        source: str,
        latency_ms: float,
        prompt: str,
        version: int | None,
        candidate: int = 0,
    ) -> ShownSuggestion:
        """Mint an id for a suggestion answered with (``candidate`` > 0: an alternative), remember it, audit it."""
        line_end = document_text.find("\n", offset)
        mid_line = is_mid_line(document_text[offset : line_end if line_end >= 0 else None])
        shown = ShownSuggestion(
            id=f"{self._prefix}-{next(self._numbers)}",
            uri=uri,
            offset=offset,
            text=text,
            language=language_of(uri),
            kind=suggestion_kind(multiline=multiline and not mid_line, mid_line=mid_line),
            source=source,
            latency_ms=latency_ms,
        )
        self._shown[shown.id] = shown
        if len(self._shown) > self._capacity:
            self._shown.popitem(last=False)
        self._event(
            SHOWN,
            shown,
            prompt=prompt or None,
            output=text,
            offset=offset,
            version=version,
            candidate=candidate or None,
        )
        return shown

    def displayed(self, ident: Any) -> ShownSuggestion:
        """The client displayed the suggestion (textDocument/didShowCompletion)."""
        shown = self._lookup(ident)
        self._event(DISPLAYED, shown)
        return shown

    def accepted(self, ident: Any) -> ShownSuggestion:
        """The client inserted the whole suggestion (its iquest.accepted command ran)."""
        shown = self._lookup(ident)
        self._event(ACCEPTED, shown, output=shown.text, accepted_chars=len(shown.text))
        return shown

    def partially_accepted(self, ident: Any, accepted_length: Any) -> ShownSuggestion:
        """The client inserted the suggestion's first ``accepted_length`` UTF-16 units (a word or a line)."""
        shown = self._lookup(ident)
        if isinstance(accepted_length, bool) or not isinstance(accepted_length, int):
            raise UnknownOutcome(f"acceptedLength must be an integer, not {accepted_length!r}")
        chars = chars_in_units(shown.text, accepted_length)
        if chars is None:
            units = len(shown.text.encode("utf-16-le")) // 2
            raise UnknownOutcome(
                f"acceptedLength {accepted_length} is outside suggestion {shown.id} (0 to {units} UTF-16 units)"
            )
        kind = ACCEPTED if chars == len(shown.text) else PARTIALLY_ACCEPTED
        self._event(kind, shown, output=shown.text[:chars], accepted_chars=chars, accepted_length=accepted_length)
        return shown

    def rarely_taken(self, language: str, kind: str) -> bool:
        """True when at least ``MIN_SHOWN`` suggestions of ``kind`` were shown in ``language`` and under
        ``RARE_RATE`` of them were taken (whole or in part) since the server started.

        Never before the client has reported one acceptance: a client that does not report them (Helix, Emacs,
        a benchmark) would otherwise look like a user who takes nothing.
        """
        shown, taken = self._taken.get((language, kind), (0, 0))
        return self._client_reports and shown >= MIN_SHOWN and taken < RARE_RATE * shown

    def figures(self) -> dict[str, Any]:
        """Today's figures: the audit log's events of today (restored at start-up) and this server's since."""
        with self._lock:
            self._roll_over()
            figures = self._tally.figures()
            rare = sorted(f"{language} {kind}" for (language, kind) in self._taken if self.rarely_taken(language, kind))
        figures.pop("days", None)
        return {"day": self._day, **figures, "rarelyTaken": rare}

    def _lookup(self, ident: Any) -> ShownSuggestion:
        shown = self._shown.get(str(ident)) if isinstance(ident, str | int) and not isinstance(ident, bool) else None
        if shown is None:
            raise UnknownOutcome(
                f"no inline suggestion with id {ident!r}: it was not made by this server or is too old "
                f"(the last {self._capacity} are kept)"
            )
        return shown

    def _roll_over(self) -> None:
        today = self._today()
        if today != self._day:
            self._day, self._tally = today, AcceptanceTally(max_ids=4 * self._capacity)

    def _event(
        self, kind: str, shown: ShownSuggestion, *, prompt: str | None = None, output: str | None = None, **extra: Any
    ) -> None:
        fields = {**shown.fields(), **extra}
        with self._lock:
            self._roll_over()
            self._count(kind, fields)
            self._tally.add({"kind": kind, "time": self._day, **fields})
        self._audit.record(kind, uri=shown.uri, model=self._model_name(), prompt=prompt, output=output, **fields)

    def _count(self, kind: str, fields: dict[str, Any]) -> None:
        """Count an event for adaptation: a first candidate shown, or an id taken (once)."""
        counts = self._taken.setdefault((str(fields.get("language")), str(fields.get("suggestion"))), [0, 0])
        if kind == SHOWN and not fields.get("candidate"):
            counts[0] += 1
        elif kind in (ACCEPTED, PARTIALLY_ACCEPTED) and str(fields.get("id")) not in self._taken_ids:
            self._client_reports = True
            self._taken_ids[str(fields.get("id"))] = None
            if len(self._taken_ids) > 4 * self._capacity:
                self._taken_ids.popitem(last=False)
            counts[1] += 1

    def _restore(self) -> None:
        """Fold in the audit log's last suggestion events: today's into the figures, all into adaptation."""
        try:
            if not self._audit.enabled:
                return
            entries = read_recent(self._audit.path, limit=RESTORED_EVENTS, keep=1)
            mine = f"{self._prefix}-"  # this process's own events may already be in the log: counted when made
            events = [
                e
                for e in entries
                if e.get("kind") in EVENT_KINDS and isinstance(e.get("id"), str) and not e["id"].startswith(mine)
            ]
            with self._lock:
                for entry in events:
                    self._count(str(entry["kind"]), entry)
                    if str(entry.get("time", ""))[:10] == self._day:
                        self._tally.add(entry)
            if events:
                log.info("restored %d suggestion events from the audit log", len(events))
        except Exception:  # figures from the log are a convenience: never a reason to fail
            log.exception("could not restore suggestion events from %s", self._audit.path)
        finally:
            self.restored.set()
