"""File hopping: the first suggestion at a new place and back at an old one, ours vs llama-server.

A user works across --files modules of a real project (the requests 2.32.3 sdist, fetched once, as
scripts/bench_latency.py does), two functions in each, chosen by --seed. Every chosen function body
is deleted (on disk too). The user visits the first function of each file in turn, then comes back
to each file (shuffled), then does the same with the second functions:

  first visit: the editor switches to the file (opened the first time) and the cursor goes to the
               deleted body; the user rests --arrive seconds, then types its first line;
  return:      the editor switches back; the cursor is where the user left it, at the end of that
               line; the user presses Enter (with auto-indent) and types the second line.

On the measured line the user waits for each answer (up to --wait seconds) and types the next key
only after an empty one, so the figure is the time from the first key to the first non-empty
suggestion (none: the line was typed out without one). The rest of the line is then typed at --cps
without waiting, and the user stays --dwell seconds before the next hop.

  ours:          didOpen / didChange / textDocument/inlineCompletion over stdio, and the
                 iquest/didMoveCursor notification our editor integrations send when the cursor rests;
  llama-server:  bench_latency's port of llama.vscode (/infill, ring-buffer chunks of the sibling
                 modules, cache_prompt, its result cache and prefetch), started with --cache-reuse 256
                 and its default host-memory prompt cache (--cache-ram 8192 MiB in this build).

Both run the same GGUF with the same threads, one after the other. Printed per kind (first visits,
returns): time to the first non-empty suggestion p50 and p95, the empty answers on the way, the
visits without one; and each system's peak RSS. Targets (issue 13): returns p50 <= 0.3x
llama-server's and <= 300 ms; first visits non-empty at >= 95% and p50 <= 0.5x llama-server's.

    .venv/bin/python scripts/bench_file_hop.py [--model qwen2.5-coder-0.5b] [--files 4] [--seed 11]
        [--json PATH] [--only ours|llama-server]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_latency import (  # noqa: E402
    PACKAGE_DIR,
    REPO_SPEC,
    Candidate,
    Key,
    LlamaServerDriver,
    OursDriver,
    Record,
    fetch_project,
    function_candidates,
    hole,
    keystrokes,
    llama_server,
    model_path,
    ours_session,
    peak_rss_mb,
    percentile,
    prepare_workspace,
    utf16_position,
    wait_for_answer,
)
from llama_server_build import llama_server_binary  # noqa: E402

from lsp_server.protocol_extensions import DID_MOVE_CURSOR  # noqa: E402

TARGETS = {"return_p50_ratio": 0.3, "return_p50_ms": 300.0, "first_nonempty": 0.95, "first_p50_ratio": 0.5}


@dataclass
class Place:
    """One deleted function body: where typing goes in its file, and the lines that fill it."""

    path: str
    name: str
    cursor: int  # offset in the file's current text
    typed: str  # what typing at the cursor inserts to get the body back


@dataclass
class Visit:
    """One hop and what the user saw."""

    kind: str  # "first" or "return"
    path: str
    name: str
    ms: float | None = None  # first key to first non-empty suggestion; None: none came
    empty: int = 0  # empty answers before it
    keys_waited: int = 0
    text: str = ""
    unanswered: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)


def choose_places(root: Path, files: int, seed: int) -> tuple[dict[str, str], dict[str, str], list[list[Place]]]:
    """``files`` modules with two qualifying functions each, their bodies deleted.

    Returns the original sources, the holed ones and, per round, one place in each file.
    """
    by_file: dict[str, list[Candidate]] = {}
    sources: dict[str, str] = {}
    for path in sorted((root / PACKAGE_DIR).glob("*.py")):
        rel = path.relative_to(root).as_posix()
        sources[rel] = path.read_text(encoding="utf-8")
        found = function_candidates(rel, sources[rel])
        if len(found) >= 2:
            by_file[rel] = found
    rng = random.Random(seed)
    paths = sorted(by_file)
    rng.shuffle(paths)
    if len(paths) < files:
        raise SystemExit(f"only {len(paths)} modules have two functions that qualify; use --files {len(paths)}")
    holed: dict[str, str] = {}
    rounds: list[list[Place]] = [[], []]
    for path in paths[:files]:
        earlier, later = sorted(rng.sample(by_file[path], 2), key=lambda c: c.body_first)
        # The later body goes first: the earlier one's line numbers stay right.
        text, later_cursor, later_typed = hole(sources[path], later.body_first, later.body_last)
        length = len(text)
        text, earlier_cursor, earlier_typed = hole(text, earlier.body_first, earlier.body_last)
        holed[path] = text
        rounds[0].append(Place(path, earlier.name, earlier_cursor, earlier_typed))
        rounds[1].append(Place(path, later.name, later_cursor - (length - len(text)), later_typed))
    return sources, holed, rounds


def split_lines(typed: str) -> tuple[list[Key], list[Key]]:
    """The keys of the body's first line, and those of its second (starting with Enter)."""
    keys = keystrokes(typed)
    newlines = [i for i, key in enumerate(keys) if key.pause == "newline"]
    second_end = newlines[1] if len(newlines) > 1 else len(keys)
    return keys[: newlines[0]], keys[newlines[0] : second_end]


class Workspace:
    """The text of every file as the user has it, and where each place's cursor is now."""

    def __init__(self, holed: dict[str, str], places: Sequence[Place]) -> None:
        self.texts = dict(holed)
        self.places = list(places)

    def type_key(self, place: Place, key: Key) -> tuple[str, int, str, str, int]:
        """Insert ``key`` at ``place``; returns (text before, offset, inserted, text after, cursor after)."""
        before, start = self.texts[place.path], place.cursor
        after = before[:start] + key.text + before[start:]
        self.texts[place.path] = after
        for other in self.places:
            if other.path == place.path and other.cursor >= start and other is not place:
                other.cursor += len(key.text)
        place.cursor += len(key.text)
        return before, start, key.text, after, place.cursor


class Hopper:
    """What one system needs on a hop: switch to a file with the cursor at a place; then keys."""

    name = ""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def arrive(self, path: str, text: str, cursor: int) -> None: ...


class OursHopper(Hopper):
    name = "ours"

    def __init__(self, driver: OursDriver, root: Path) -> None:
        super().__init__(driver)
        self.root = root
        self.open: dict[str, tuple[str, int]] = {}
        self.current: str | None = None

    async def arrive(self, path: str, text: str, cursor: int) -> None:
        driver = self.driver
        if self.current is not None:
            self.open[self.current] = (driver.uri, driver.version)
        if path not in self.open:
            self.open[path] = (driver.session.open(self.root / path, text, "python", version=1), 1)
        driver.uri, driver.version = self.open[path]
        self.current = path
        line, character = utf16_position(text, cursor)
        driver.session.client.protocol.notify(
            DID_MOVE_CURSOR,
            {"textDocument": {"uri": driver.uri}, "position": {"line": line, "character": character}},
        )


class LlamaHopper(Hopper):
    name = "llama-server"

    def __init__(self, driver: LlamaServerDriver, sources: dict[str, str]) -> None:
        super().__init__(driver)
        self.sources = sources

    async def arrive(self, path: str, text: str, cursor: int) -> None:
        await self.driver.use_ring_chunks(path, self.sources[path])


async def answered_within(driver: Any, record: Record, limit_s: float) -> bool:
    """Wait for ``record``'s answer, at most ``limit_s`` after it was sent; True if it came."""
    await wait_for_answer(driver, record, record.sent, limit_s)
    return not driver.pending(record)


async def hop(
    hopper: Hopper, workspace: Workspace, place: Place, kind: str, keys: Sequence[Key], args: argparse.Namespace
) -> Visit:
    """One visit: arrive, type until a suggestion shows (waiting at each key), type the rest, stay."""
    driver = hopper.driver
    visit = Visit(kind, place.path, place.name)
    await hopper.arrive(place.path, workspace.texts[place.path], place.cursor)
    if kind == "first":
        await asyncio.sleep(args.arrive)
    started: float | None = None
    records: list[Record] = []
    waiting = True
    for index, key in enumerate(keys):
        if records and driver.pending(records[-1]):
            driver.cancel(records[-1])
            records[-1].cancel_sent = True
        record = Record(place.name, index, kind if waiting else None)
        driver.key(record, *workspace.type_key(place, key))
        records.append(record)
        started = record.sent if started is None else started
        if not waiting:
            await asyncio.sleep(1 / args.cps)
            continue
        visit.keys_waited += 1
        if not await answered_within(driver, record, args.wait):
            visit.unanswered += 1
        elif record.text:
            visit.ms, visit.text, waiting = (record.answered - started) * 1000, record.text, False
        else:
            visit.empty += 1
    if records and not await answered_within(driver, records[-1], 2.0):
        driver.cancel(records[-1])
    visit.records = [asdict(r) | {"latency_ms": r.latency_ms} for r in records]
    await asyncio.sleep(args.dwell)
    return visit


async def tour(
    hopper: Hopper, holed: dict[str, str], rounds: list[list[Place]], args: argparse.Namespace
) -> list[Visit]:
    """Every round: first visits to its place in each file, then returns to them in a shuffled order."""
    rounds = copy.deepcopy(rounds)  # each system starts from the places as chosen
    workspace = Workspace(holed, [place for places in rounds for place in places])
    visits: list[Visit] = []
    rng = random.Random(args.seed)
    for places in rounds:
        for place in places:
            visits.append(await hop(hopper, workspace, place, "first", split_lines(place.typed)[0], args))
            print(f"  {hopper.name}: first visit {place.path} {place.name}: {fmt_visit(visits[-1])}", flush=True)
        for place in rng.sample(places, len(places)):
            visits.append(await hop(hopper, workspace, place, "return", split_lines(place.typed)[1], args))
            print(f"  {hopper.name}: return to {place.path} {place.name}: {fmt_visit(visits[-1])}", flush=True)
    return visits


def fmt_visit(visit: Visit) -> str:
    shown = "no suggestion" if visit.ms is None else f"{visit.ms:.0f} ms"
    return (
        f"{shown} after {visit.keys_waited} key(s), {visit.empty} empty answer(s): "
        f"{visit.text.splitlines()[0][:50] if visit.text else ''!r}"
    )


def summarize(visits: Sequence[Visit]) -> dict[str, Any]:
    """Per kind: visits, the share with a suggestion, time to it (none counts as infinite), empty answers."""
    out: dict[str, Any] = {}
    for kind in ("first", "return"):
        mine = [v for v in visits if v.kind == kind]
        times = [v.ms if v.ms is not None else math.inf for v in mine]
        out[kind] = {
            "visits": len(mine),
            "nonempty_share": sum(v.ms is not None for v in mine) / len(mine) if mine else math.nan,
            "p50_ms": percentile(times, 0.50),
            "p95_ms": percentile(times, 0.95),
            "empty_answers": sum(v.empty for v in mine),
            "unanswered": sum(v.unanswered for v in mine),
        }
    return out


def fmt_ms(value: float) -> str:
    return "-" if math.isnan(value) else "none" if math.isinf(value) else f"{value:.0f}"


def table(summaries: dict[str, dict[str, Any]], rss: dict[str, float | None]) -> list[str]:
    names = list(summaries)
    rows: list[tuple[str, list[str]]] = []
    for kind, label in (("first", "first visits"), ("return", "returns")):
        rows.append((f"{label}: visits", [str(summaries[n][kind]["visits"]) for n in names]))
        rows.append(
            (f"{label}: with a suggestion", [f"{100 * summaries[n][kind]['nonempty_share']:.0f}%" for n in names])
        )
        rows.append((f"{label}: to first suggestion p50 ms", [fmt_ms(summaries[n][kind]["p50_ms"]) for n in names]))
        rows.append((f"{label}: to first suggestion p95 ms", [fmt_ms(summaries[n][kind]["p95_ms"]) for n in names]))
        rows.append((f"{label}: empty answers on the way", [str(summaries[n][kind]["empty_answers"]) for n in names]))
    rows.append(("peak RSS MB (VmHWM)", ["-" if rss.get(n) is None else f"{rss[n]:.0f}" for n in names]))
    width = max(len(label) for label, _ in rows) + 2
    return [" " * width + "".join(f"{n:>14}" for n in names)] + [
        label.ljust(width) + "".join(f"{c:>14}" for c in cells) for label, cells in rows
    ]


def verdicts(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """The issue's targets, each met or missed."""

    def share(a: float, b: float) -> float:
        return a / b if math.isfinite(a) and math.isfinite(b) and b > 0 else math.nan

    returns = share(ours["return"]["p50_ms"], theirs["return"]["p50_ms"])
    firsts = share(ours["first"]["p50_ms"], theirs["first"]["p50_ms"])
    checks = [
        (f"returns p50 ours/llama-server {returns:.2f}x", "<= 0.3x", returns <= TARGETS["return_p50_ratio"]),
        (
            f"returns p50 ours {fmt_ms(ours['return']['p50_ms'])} ms",
            "<= 300 ms",
            ours["return"]["p50_ms"] <= TARGETS["return_p50_ms"],
        ),
        (
            f"first visits with a suggestion, ours {100 * ours['first']['nonempty_share']:.0f}%",
            ">= 95%",
            ours["first"]["nonempty_share"] >= TARGETS["first_nonempty"],
        ),
        (f"first visits p50 ours/llama-server {firsts:.2f}x", "<= 0.5x", firsts <= TARGETS["first_p50_ratio"]),
    ]
    return [f"{label}   target {target}   {'met' if ok else 'missed'}" for label, target, ok in checks]


async def run_ours(
    args: argparse.Namespace, root: Path, holed: dict[str, str], rounds: list[list[Place]]
) -> dict[str, Any]:
    async with ours_session(args.model, root, root.parent / "ours.log") as session:
        driver = OursDriver(session, root)
        driver.generations = (await session.status()).get("generations")
        visits = await tour(OursHopper(driver, root), holed, rounds, args)
        final = await session.status()
        rss = peak_rss_mb(session.client._server.pid)
    return {
        "visits": visits,
        "rss_mb": rss,
        "completion": final.get("completion"),
        "machineSpeed": final.get("machineSpeed"),
        "kvSnapshots": final.get("kvSnapshots"),
    }


async def run_llama_server(
    args: argparse.Namespace, root: Path, sources: dict[str, str], holed: dict[str, str], rounds: list[list[Place]]
) -> dict[str, Any]:
    binary = llama_server_binary(args.llama_server)
    threads = os.cpu_count() or 1
    async with llama_server(binary, model_path(args.model), threads, root.parent / "llama-server.log") as (
        process,
        port,
        command,
    ):
        driver = LlamaServerDriver(port, root, args.extra_tokens, "vscode")
        visits = await tour(LlamaHopper(driver, sources), holed, rounds, args)
        rss = peak_rss_mb(process.pid)
    return {"visits": visits, "rss_mb": rss, "command": command, "counts": driver.counts}


async def main(args: argparse.Namespace) -> None:
    begun = time.perf_counter()
    if not model_path(args.model).is_file():
        raise SystemExit(f"{model_path(args.model)} is missing: run `.venv/bin/iquest-lsp model fetch {args.model}`")
    project = fetch_project()
    sources, holed, rounds = choose_places(project, args.files, args.seed)
    root = prepare_workspace(project, holed, prefix="iquest-hop-")
    name, version = REPO_SPEC
    print(
        f"project: {name} {version} sdist; model {model_path(args.model).name}; {os.cpu_count()} threads; "
        f"arrive {args.arrive:g} s, wait <= {args.wait:g} s per key, {args.cps:g} chars/s, dwell {args.dwell:g} s"
    )
    for number, places in enumerate(rounds, 1):
        print(f"  round {number}: " + ", ".join(f"{p.path} {p.name}" for p in places))
    results: dict[str, dict[str, Any]] = {}
    if args.only in (None, "ours"):
        results["ours"] = await run_ours(args, root, holed, rounds)
        print(
            f"ours: {results['ours']['completion']}; machine speed {results['ours']['machineSpeed']}; "
            f"snapshots {results['ours']['kvSnapshots']}"
        )
    if args.only in (None, "llama-server"):
        results["llama-server"] = await run_llama_server(args, root, sources, holed, rounds)
        print(f"llama-server: {results['llama-server']['command']}; {results['llama-server']['counts']}")
    summaries = {system: summarize(result["visits"]) for system, result in results.items()}
    print()
    for line in table(summaries, {system: result["rss_mb"] for system, result in results.items()}):
        print(line)
    if len(summaries) == 2:
        print()
        for line in verdicts(summaries["ours"], summaries["llama-server"]):
            print(line)
    print(f"run took {time.perf_counter() - begun:.0f} s; server logs in {root.parent}")
    if args.json:
        report = {
            "project": f"{name}-{version}",
            "options": {k: v for k, v in vars(args).items() if k != "json"},
            "summaries": summaries,
            "systems": {
                s: {**{k: v for k, v in r.items() if k != "visits"}, "visits": [asdict(v) for v in r["visits"]]}
                for s, r in results.items()
            },
        }
        Path(args.json).write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model", default="qwen2.5-coder-0.5b", help="catalog name or .gguf path (both systems run this file)"
    )
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--arrive", type=float, default=1.0, help="seconds the user rests at a new place before typing")
    parser.add_argument(
        "--wait", type=float, default=60.0, help="seconds the user waits for each answer on the measured line"
    )
    parser.add_argument(
        "--cps", type=float, default=8.0, help="typing speed for the rest of the line, characters per second"
    )
    parser.add_argument(
        "--dwell", type=float, default=10.0, help="seconds the user stays at a place after typing there"
    )
    parser.add_argument(
        "--extra-tokens",
        type=int,
        default=1536,
        help="llama.vscode's ring-buffer chunks hold at least this many tokens",
    )
    parser.add_argument(
        "--llama-server", help="llama-server binary to use instead of the cached build ($IQUEST_LLAMA_SERVER)"
    )
    parser.add_argument("--only", choices=["ours", "llama-server"])
    parser.add_argument("--json", help="write every visit and request here")
    asyncio.run(main(parser.parse_args()))
