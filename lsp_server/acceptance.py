"""Acceptance figures: suggestion events (as the audit log stores them) folded into counts, rates and latencies."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lsp_server.percentile import percentile

SHOWN = "inline_completion"
DISPLAYED = "inline_displayed"
ACCEPTED = "inline_accepted"
PARTIALLY_ACCEPTED = "inline_partially_accepted"
EVENT_KINDS = (SHOWN, DISPLAYED, ACCEPTED, PARTIALLY_ACCEPTED)
DIMENSIONS = ("language", "kind", "source", "latency")
LATENCY_BUCKETS_MS = (250, 500, 1000, 2000, 5000)


def latency_bucket(latency_ms: float) -> str:
    """The bucket a latency falls in, e.g. ``250-500 ms``."""
    low = 0
    for high in LATENCY_BUCKETS_MS:
        if latency_ms < high:
            return f"{low}-{high} ms"
        low = high
    return f">={low} ms"


def suggestion_kind(*, multiline: bool, mid_line: bool) -> str:
    """``mid-line`` (always one line), ``multi-line`` or ``single-line``."""
    return "mid-line" if mid_line else "multi-line" if multiline else "single-line"


def dimensions(entry: Mapping[str, Any]) -> dict[str, str]:
    """The groups an event counts in; every event carries the fields of the suggestion it is about."""
    latency = entry.get("latency_ms")
    return {
        "language": str(entry.get("language") or "other"),
        "kind": str(entry.get("suggestion") or "single-line"),
        "source": str(entry.get("source") or "generation"),
        "latency": latency_bucket(float(latency)) if isinstance(latency, int | float) else "unknown",
    }


@dataclass
class Counts:
    """One group's figures."""

    shown: int = 0
    displayed: int = 0
    accepted: int = 0
    partial: int = 0
    accepted_chars: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON form, with the acceptance rate (accepted whole or in part per suggestion shown)."""
        rate = (self.accepted + self.partial) / self.shown if self.shown else None
        return {
            "shown": self.shown,
            "displayed": self.displayed,
            "accepted": self.accepted,
            "partiallyAccepted": self.partial,
            "acceptanceRate": None if rate is None else round(rate, 4),
            "acceptedChars": self.accepted_chars,
        }


@dataclass
class _Outcome:
    """What is known about one suggestion id: its groups, how much of it was taken, whether all of it."""

    groups: dict[str, str]
    day: str
    chars: int = 0
    whole: bool = False
    displayed: bool = False


@dataclass
class AcceptanceTally:
    """Folds events into totals, per-group counts, per-day series and latency percentiles.

    An id counts once as accepted (whole) or partially accepted however many events it gets; partial
    acceptances carry the accepted length from the start of the suggestion, so the longest one counts.
    ``max_ids`` bounds the memory for a long-running server (older ids then count as new).
    """

    max_ids: int | None = None
    total: Counts = field(default_factory=Counts)
    groups: dict[str, dict[str, Counts]] = field(default_factory=lambda: {name: {} for name in DIMENSIONS})
    days: dict[str, Counts] = field(default_factory=dict)
    alternatives: int = 0
    latencies: list[float] = field(default_factory=list)
    day_latencies: dict[str, list[float]] = field(default_factory=dict)
    _outcomes: OrderedDict[str, _Outcome] = field(default_factory=OrderedDict)

    def add_all(self, entries: Iterable[Mapping[str, Any]]) -> AcceptanceTally:
        """Add every event among ``entries`` (other audit entries are skipped); returns self."""
        for entry in entries:
            self.add(entry)
        return self

    def add(self, entry: Mapping[str, Any]) -> None:
        """Add one event; entries that are not suggestion events (or have no id) are ignored."""
        kind, ident = entry.get("kind"), entry.get("id")
        if kind not in EVENT_KINDS or not isinstance(ident, str | int):
            return
        ident = str(ident)
        day = str(entry.get("time", ""))[:10] or "unknown"
        outcome = self._outcomes.get(ident)
        if outcome is None:
            outcome = _Outcome(dimensions(entry), day)
            self._outcomes[ident] = outcome
            if self.max_ids is not None and len(self._outcomes) > self.max_ids:
                self._outcomes.popitem(last=False)
        if kind == SHOWN and entry.get("candidate"):
            self.alternatives += 1  # offered for cycling: counted when taken, not as shown
        elif kind == SHOWN:
            self._apply(outcome, lambda counts: setattr(counts, "shown", counts.shown + 1))
            latency = entry.get("latency_ms")
            if isinstance(latency, int | float):
                self.latencies.append(float(latency))
                self.day_latencies.setdefault(outcome.day, []).append(float(latency))
        elif kind == DISPLAYED and not outcome.displayed:
            outcome.displayed = True
            self._apply(outcome, lambda counts: setattr(counts, "displayed", counts.displayed + 1))
        elif kind in (ACCEPTED, PARTIALLY_ACCEPTED):
            chars = entry.get("accepted_chars")
            self._taken(outcome, int(chars) if isinstance(chars, int) else 0, whole=kind == ACCEPTED)

    def _taken(self, outcome: _Outcome, chars: int, *, whole: bool) -> None:
        """Move the suggestion's counts to (more) accepted text, and to whole when it is."""
        was_partial = outcome.chars > 0 and not outcome.whole
        more = max(0, chars - outcome.chars)
        becomes_whole = whole and not outcome.whole

        def update(counts: Counts) -> None:
            counts.accepted_chars += more
            if becomes_whole:
                counts.accepted += 1
                counts.partial -= was_partial
            elif not outcome.whole and not was_partial and chars > 0:
                counts.partial += 1

        self._apply(outcome, update)
        outcome.chars += more
        outcome.whole = outcome.whole or whole

    def _apply(self, outcome: _Outcome, update: Any) -> None:
        update(self.total)
        update(self.days.setdefault(outcome.day, Counts()))
        for name, value in outcome.groups.items():
            update(self.groups[name].setdefault(value, Counts()))

    def figures(self) -> dict[str, Any]:
        """Everything as JSON: totals, p50/p95 latency, per group, per day."""
        return {
            **self.total.as_dict(),
            "alternativesOffered": self.alternatives,
            "latencyMs": _latency(self.latencies),
            "by": {
                name: {value: counts.as_dict() for value, counts in sorted(values.items())}
                for name, values in self.groups.items()
            },
            "days": {
                day: {**counts.as_dict(), "latencyMs": _latency(self.day_latencies.get(day, []))}
                for day, counts in sorted(self.days.items())
            },
        }


def _latency(values: list[float]) -> dict[str, float | None]:
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    return {
        "p50": None if math.isnan(p50) else round(p50, 1),
        "p95": None if math.isnan(p95) else round(p95, 1),
    }
