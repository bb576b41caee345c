"""iquest-lsp stats: what users took of the suggestions, from the local audit log, as text, JSON or a plot."""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from lsp_server.acceptance import DIMENSIONS, EVENT_KINDS, AcceptanceTally
from lsp_server.audit import read_recent


def _when(entry: dict[str, Any]) -> datetime.datetime | None:
    try:
        return datetime.datetime.strptime(str(entry.get("time", "")), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


def suggestion_events(path: Path, since_days: float | None, now: datetime.datetime | None = None) -> list[dict]:
    """The suggestion events in the audit log and its rotated files, oldest first, within the last ``since_days``."""
    entries = [entry for entry in read_recent(path, limit=sys.maxsize) if entry.get("kind") in EVENT_KINDS]
    if since_days is None:
        return entries
    cutoff = (now or datetime.datetime.now().astimezone()) - datetime.timedelta(days=since_days)
    return [entry for entry in entries if (when := _when(entry)) is not None and when >= cutoff]


def figures(entries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The acceptance figures of ``entries``."""
    return AcceptanceTally().add_all(entries).figures()


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def format_report(result: dict[str, Any], source: str) -> str:
    """The figures for a person: totals, latency percentiles and one table per grouping."""
    lines = [
        f"iquest-lsp suggestions ({source})",
        f"shown {result['shown']} (displayed, where the editor tells: {result['displayed']}), "
        f"accepted {result['accepted']} whole and {result['partiallyAccepted']} in part, "
        f"acceptance rate {_rate(result['acceptanceRate'])}, accepted characters {result['acceptedChars']}",
        f"latency p50 {_ms(result['latencyMs']['p50'])}, p95 {_ms(result['latencyMs']['p95'])}",
    ]
    header = f"  {'':<16}{'shown':>8}{'whole':>8}{'part':>8}{'rate':>9}{'chars':>9}"
    for name in DIMENSIONS:
        lines += ["", f"by {name}", header]
        for value, counts in result["by"][name].items():
            lines.append(
                f"  {value:<16}{counts['shown']:>8}{counts['accepted']:>8}{counts['partiallyAccepted']:>8}"
                f"{_rate(counts['acceptanceRate']):>9}{counts['acceptedChars']:>9}"
            )
    return "\n".join(lines)


def plot(result: dict[str, Any], target: Path) -> None:
    """A PNG of the acceptance rate and the p50/p95 latency per day; needs matplotlib (the ``plot`` extra)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    days = [datetime.date.fromisoformat(day) for day in result["days"]]
    figure, (rates, latency) = pyplot.subplots(2, 1, sharex=True, figsize=(8, 6))
    rates.plot(days, [100 * (day["acceptanceRate"] or 0) for day in result["days"].values()], marker="o")
    rates.set_ylabel("accepted (% of shown)")
    rates.set_title("iquest-lsp suggestions per day")
    for share in ("p50", "p95"):
        values = [day["latencyMs"][share] for day in result["days"].values()]
        latency.plot(days, [float("nan") if v is None else v for v in values], marker="o", label=share)
    latency.set_ylabel("latency (ms)")
    latency.legend()
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(target, format="png")
    pyplot.close(figure)


def run_stats(path: Path, since_days: float | None, as_json: bool, plot_to: Path | None, out: TextIO) -> int:
    """The ``stats`` command: print the figures, optionally write the plot; 2 when the plot cannot be made."""
    result = figures(suggestion_events(path, since_days))
    if plot_to is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("--plot needs matplotlib: pip install 'iquest-lsp[plot]' (or matplotlib)", file=sys.stderr)
            return 2
    since = f", last {since_days:g} days" if since_days is not None else ""
    if as_json:
        out.write(json.dumps({"auditLog": str(path), "sinceDays": since_days, **result}, indent=2) + "\n")
    else:
        if not result["shown"]:
            print(f"no suggestion events in {path}{since} (is iquest.auditLog on?)", file=sys.stderr)
        out.write(format_report(result, f"{path}{since}") + "\n")
    if plot_to is not None:
        plot(result, plot_to)
        print(f"plot written to {plot_to}", file=sys.stderr)
    return 0
