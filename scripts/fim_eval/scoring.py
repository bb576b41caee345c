"""Scores of one answer, and the per-kind / per-language summary tables."""

from __future__ import annotations

import difflib
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from bench_stats import percentile

from .projects import LANGUAGES
from .tasks import KINDS, Case


@dataclass
class Result:
    case: Case
    mode: str
    suggestion: str
    latency_ms: float
    exact: bool
    similarity: float
    error: str = ""
    stop_reason: str = ""  # the server's "deadline" means generationTimeoutMs ran out
    prompt_tokens: int = 0
    short_prompt: bool = False  # answered from a stand-in: the full prompt did not fit the machine's budget

    def row(self) -> dict:
        """The result as one flat JSON object (the task's fields, what was expected, what came)."""
        row = asdict(self.case.task)
        row["expected"] = self.case.expected
        row.update({k: v for k, v in asdict(self).items() if k != "case"})
        return row


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip()


def exact_match(expected: str, suggestion: str) -> bool:
    """The suggestion's first line equals the expected first line (trailing whitespace ignored)."""
    return first_line(expected) == first_line(suggestion)


def edit_similarity(expected: str, suggestion: str) -> float:
    """difflib ratio of the stripped texts; the suggestion is cut to as many lines as expected."""
    wanted = expected.strip()
    lines = len(wanted.split("\n"))
    got = "\n".join(suggestion.strip().split("\n")[:lines]).strip()
    if not wanted and not got:
        return 1.0
    return difflib.SequenceMatcher(None, wanted, got).ratio()


def score(
    case: Case,
    mode: str,
    suggestion: str,
    latency_ms: float,
    error: str = "",
    stop_reason: str = "",
    prompt_tokens: int = 0,
    short_prompt: bool = False,
) -> Result:
    return Result(
        case,
        mode,
        suggestion,
        latency_ms,
        exact_match(case.expected, suggestion),
        edit_similarity(case.expected, suggestion),
        error,
        stop_reason,
        prompt_tokens,
        short_prompt,
    )


def summarize(results: Iterable[Result]) -> dict[tuple[str, str], dict[str, float]]:
    """(group, mode) -> tasks, exact %, mean similarity, empty %, p50/p95 ms, timeouts;
    a group is a kind, a language or "all"."""
    groups: dict[tuple[str, str], list[Result]] = {}
    for result in results:
        task = result.case.task
        for group in (task.kind, task.language, "all"):
            groups.setdefault((group, result.mode), []).append(result)
    return {
        key: {
            "tasks": len(group),
            "exact": 100.0 * sum(r.exact for r in group) / len(group),
            "similarity": statistics.fmean(r.similarity for r in group),
            "empty": 100.0 * sum(not r.suggestion.strip() for r in group) / len(group),
            "p50_ms": percentile([r.latency_ms for r in group], 0.5),
            "p95_ms": percentile([r.latency_ms for r in group], 0.95),
            "timeouts": sum(r.stop_reason == "deadline" for r in group),
            "short_prompts": sum(r.short_prompt for r in group),
        }
        for key, group in groups.items()
    }


def format_table(summary: dict[tuple[str, str], dict[str, float]], modes: Sequence[str]) -> str:
    """One row per kind, language and "all"; a column set per mode, then the deltas against raw."""
    groups = [g for g in (*KINDS, *LANGUAGES, "all") if any(key[0] == g for key in summary)]
    modes = [m for m in modes if any(key[1] == m for key in summary)]
    cell = f"{'tasks':>5} {'exact%':>6} {'sim':>5} {'empty%':>6} {'p50 s':>6} {'p95 s':>6}"
    out = [
        f"{'':<12} " + " | ".join(f"{m:^{len(cell)}}" for m in modes),
        f"{'group':<12} " + " | ".join(cell for _ in modes),
    ]
    for group in groups:
        cells = []
        for mode in modes:
            row = summary.get((group, mode))
            cells.append(
                f"{row['tasks']:>5} {row['exact']:>6.1f} {row['similarity']:>5.3f} {row['empty']:>6.1f} "
                f"{row['p50_ms'] / 1000:>6.1f} {row['p95_ms'] / 1000:>6.1f}"
                if row
                else " " * len(cell)
            )
        out.append(f"{group:<12} " + " | ".join(cells))
    compared = [m for m in modes if m != "raw"]
    if "raw" in modes and compared:
        delta = f"{'exact':>6} {'sim':>6}"
        out += ["", "delta vs raw", f"{'group':<12} " + " | ".join(f"{m:^{len(delta)}}" for m in compared)]
        for group in groups:
            raw = summary.get((group, "raw"))
            cells = []
            for mode in compared:
                row = summary.get((group, mode))
                cells.append(
                    f"{row['exact'] - raw['exact']:>+6.1f} {row['similarity'] - raw['similarity']:>+6.3f}"
                    if row and raw
                    else " " * len(delta)
                )
            out.append(f"{group:<12} " + " | ".join(cells))
    timeouts = {m: summary[("all", m)]["timeouts"] for m in modes if summary.get(("all", m), {}).get("timeouts")}
    if timeouts:
        out.append("generationTimeoutMs ran out: " + ", ".join(f"{m} {n}" for m, n in timeouts.items()))
    shorts = {
        m: summary[("all", m)]["short_prompts"] for m in modes if summary.get(("all", m), {}).get("short_prompts")
    }
    if shorts:
        out.append(
            "answered from a short prompt (the full one did not fit 3/4 of generationTimeoutMs at the speed the"
            " server measured: a busy machine?), so these do not measure the full prompt: "
            + ", ".join(f"{m} {n}" for m, n in shorts.items())
        )
    return "\n".join(out)
