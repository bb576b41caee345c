"""FIM quality on pinned real projects: the raw model vs our server with repository context off and on.

The tasks are fixed in scripts/eval_tasks.json (project, version, language, kind, path, line, character,
end_line and the sha256 of the source file; not the texts). The sources are fetched once into
~/.cache/iquest-lsp/eval/ (PyPI sdists with ``pip download``, or from PyPI's index where pip cannot
prepare a Rust-backed sdist offline; npm tarballs with ``npm pack``) and every file is checked against
its sha256 before use. Projects (scripts/fim_eval/projects.py): Python click, httpx, rich; JavaScript
express, axios; TypeScript rxjs, mobx (their npm tarballs ship the .ts source); Rust pydantic-core,
jiter (from their sdists). The holdout sets (1: attrs, ws, immer, orjson; 2: marshmallow, commander,
@tanstack/query-core, tokenizers) are never written into the list.

Task kinds:

    whole-line  cursor at the start of a statement's code in a function or block; expected = that line
    mid-word    cursor strictly inside an identifier (>= 1 character typed, >= 2 left); expected = rest of the line
    mid-punct   cursor right after = ( [ { . , : :: => -> etc. (and the spaces after it); expected = rest of the line
    multi-line  cursor at the start of a block body; expected = 2-6 lines ending with a whole statement
    cross-file  cursor just before a use of a name imported from another file of the project;
                expected = rest of the line

Lines with a comment, under 8 characters of code or over 200 characters are never chosen; test,
vendored, generated and minified files and files over 200 KB are skipped.

Modes, each its own column set:

    raw         llama-cpp-python directly: ``<|fim_prefix|>{last 3,000 chars}<|fim_suffix|>{next 1,000}<|fim_middle|>``
                of the file alone, greedy, 64 tokens; the first line (multi-line: as many lines as expected)
    raw+post    the same answers cut as the server cuts its own (where the cursor's block ends, before a repeat of
                the code below; default settings): what the raw prompt would show, so that `on` against it is
                the prompt's part alone (no second generation)
    off / on    our server over LSP with repoContext false / true (one server per project and mode)
    on-no-X     with --ablate: repoContext true with every context source but X (contextSources)
    MODE+grown  with --grown, for each server mode: what an editor that takes ``iquest/suggestionGrew`` (the
                VS Code extension) shows once a block answered with its first lines has the rest, timed from
                the first request; the same answer as MODE where no block grew

Scores per kind, per language and over all: exact first line % (trailing whitespace stripped), edit
similarity (difflib ratio of the stripped texts, the suggestion cut to as many lines as expected),
empty answers %, latency p50/p95, and the deltas against raw.

    .venv/bin/python scripts/eval_fim.py --write-tasks [--per-kind 8] [--seed 13]
    .venv/bin/python scripts/eval_fim.py [--modes raw raw+post off on] [--ablate] [--limit N]
        [--kinds mid-word cross-file] [--projects click rxjs] [--languages rust] [--no-room | --room-over-floor]
        [--holdout [1|2]]
        [--model qwen2.5-coder-0.5b] [--generation-timeout-ms 60000] [--server-option maxPromptTokens=512 ...]
        [--json results.json] [--server-log server.log] [--grown]

The task order interleaves projects, languages and kinds, so ``--limit 60`` covers every kind and
language; tasks run grouped by project (one server per project and mode), file by file. On the 2-core
dev box with the 0.5B model a request takes ~10-20 s, so the full list (360 tasks x 3 modes) takes hours;
a ``--limit 6 --modes raw off on`` smoke run takes a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench_stats import server_option
from fim_eval.projects import ALL_PROJECTS, HOLDOUTS, LANGUAGES, PROJECTS, Project, fetch_project
from fim_eval.raw import POST_PROCESSED, RawModel, post_processed
from fim_eval.scoring import Result, format_table, summarize
from fim_eval.server import ABLATION_MODES, SERVER_MODES, run_mode
from fim_eval.tasks import (
    KINDS,
    Task,
    TaskListError,
    cut_project,
    interleave,
    language_order,
    load_cases,
    read_task_list,
    write_task_list,
)

TASK_LIST = Path(__file__).resolve().parent / "eval_tasks.json"
SEED = 13
HOLDOUT_SEED = 1013
PER_KIND = 8  # per project and kind


def cut_all(projects: Sequence[Project], per_kind: int, seed: int) -> list[Task]:
    """Fetch and cut every project; the tasks in their run order."""
    ordered = language_order(projects)
    cut = {}
    for project in ordered:
        cut[project.name] = cut_project(project, fetch_project(project), per_kind, seed)
        counts = {kind: len(tasks) for kind, tasks in cut[project.name].items()}
        print(f"{project.name} {project.version} ({project.language}): {counts}", file=sys.stderr)
    return interleave(cut, [p.name for p in ordered])


def select(tasks: Sequence[Task], args: argparse.Namespace) -> list[Task]:
    chosen = [
        t
        for t in tasks
        if t.kind in args.kinds and t.language in args.languages and (not args.projects or t.project in args.projects)
    ]
    if args.no_room:
        chosen = by_room(chosen, lambda room, floor: room == 0)
    if args.room_over_floor:
        chosen = by_room(chosen, lambda room, floor: room > floor)
    return chosen[: args.limit] if args.limit else chosen


def by_room(tasks: Sequence[Task], keep: Callable[[int, int], bool]) -> list[Task]:
    """The tasks for which ``keep(room, floor)`` holds: the prompt tokens the file leaves repository context at the
    default settings before any floor, and contextFloorTokens."""
    from lsp_server.completion.layout import room_for_context
    from lsp_server.settings import Settings

    settings = Settings()
    kept: set[Task] = set()
    for name in dict.fromkeys(t.project for t in tasks):
        for case in load_cases([t for t in tasks if t.project == name], fetch_project(ALL_PROJECTS[name])):
            if keep(
                room_for_context(case.document, case.offset, settings, settings.context_size),
                settings.context_floor_tokens,
            ):
                kept.add(case.task)
    return [t for t in tasks if t in kept]


def counts_by(tasks: Sequence[Task], field: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for task in tasks:
        counts[getattr(task, field)] = counts.get(getattr(task, field), 0) + 1
    return counts


def load_raw_model(model: str) -> RawModel:
    from lsp_server.model.catalog import load_catalog
    from lsp_server.model.fetch import resolve_model

    path = resolve_model(model, load_catalog()).path
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run `iquest-lsp model fetch {model}`")
    return RawModel(path)


async def run(tasks: Sequence[Task], args: argparse.Namespace) -> list[Result]:
    """Every task in every mode: per project, one server per mode, the tasks grouped file by file."""
    raw_model = load_raw_model(args.model) if {"raw", POST_PROCESSED} & set(args.modes) else None
    log = open(args.server_log, "w", encoding="utf-8") if args.server_log else None
    results: list[Result] = []
    try:
        for name in dict.fromkeys(t.project for t in tasks):
            project = ALL_PROJECTS[name]
            workspace = fetch_project(project)
            cases = sorted(load_cases([t for t in tasks if t.project == name], workspace), key=lambda c: c.task.path)
            print(
                f"{name} {project.version} ({project.language}): {len(cases)} tasks "
                f"{counts_by([c.task for c in cases], 'kind')}",
                file=sys.stderr,
            )
            raw_answers: list[Result] = []
            for mode in args.modes:
                started = time.monotonic()
                if mode in ("raw", POST_PROCESSED):
                    raw_answers = raw_answers or [raw_model.complete(case) for case in cases]
                    done = raw_answers if mode == "raw" else [post_processed(r) for r in raw_answers]
                else:
                    done = await run_mode(
                        workspace,
                        cases,
                        mode,
                        args.model,
                        args.generation_timeout_ms,
                        log,
                        args.server_options,
                        grown=args.grown,
                    )
                errors = sum(bool(r.error) for r in done)
                print(
                    f"  {mode}: {len(done)} requests in {time.monotonic() - started:.0f} s"
                    + (f", {errors} failed" if errors else ""),
                    file=sys.stderr,
                )
                results += done
    finally:
        if log is not None:
            log.close()
    return results


def main(args: argparse.Namespace) -> None:
    if args.write_tasks:
        tasks = cut_all(list(PROJECTS.values()), args.per_kind, args.seed)
        write_task_list(args.tasks, tasks, args.seed, args.per_kind)
        print(f"wrote {len(tasks)} tasks to {args.tasks}: {counts_by(tasks, 'kind')} {counts_by(tasks, 'language')}")
        return
    try:
        if args.holdout:
            tasks = cut_all(list(HOLDOUTS[args.holdout].values()), args.per_kind, HOLDOUT_SEED)
        else:
            tasks = read_task_list(args.tasks, PROJECTS)
        tasks = select(tasks, args)
        started = time.monotonic()
        results = asyncio.run(run(tasks, args))
    except TaskListError as error:
        raise SystemExit(f"error: {error}") from None
    names = dict.fromkeys(t.project for t in tasks)
    print(
        f"model {args.model}, {f'holdout {args.holdout}' if args.holdout else args.tasks.name}, {len(tasks)} tasks, "
        + (f"server settings {json.dumps(args.server_options)}, " if args.server_options else "")
        + f"projects {', '.join(f'{n} {ALL_PROJECTS[n].version}' for n in names)}, {time.monotonic() - started:.0f} s"
    )
    print(format_table(summarize(results), list(dict.fromkeys(r.mode for r in results))))
    if args.json:
        Path(args.json).write_text(json.dumps([r.row() for r in results], indent=1), encoding="utf-8")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=Path, default=TASK_LIST, help="the task list to run (or write)")
    parser.add_argument("--write-tasks", action="store_true", help="fetch, cut and write the task list, then stop")
    parser.add_argument("--per-kind", type=int, default=PER_KIND, help="tasks per project and kind when cutting")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of --write-tasks (the holdout has its own)")
    parser.add_argument(
        "--holdout",
        nargs="?",
        type=int,
        const=1,
        choices=sorted(HOLDOUTS),
        help="cut tasks from holdout set 1 (the default) or 2 instead of reading the list",
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["raw", *SERVER_MODES],
        choices=["raw", POST_PROCESSED, *SERVER_MODES, *ABLATION_MODES],
    )
    parser.add_argument(
        "--ablate", action="store_true", help="add an `on` run per context source with that source removed"
    )
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--languages", nargs="+", default=list(LANGUAGES), choices=LANGUAGES)
    parser.add_argument("--projects", nargs="+", choices=sorted(ALL_PROJECTS), help="only these projects")
    parser.add_argument("--limit", type=int, help="only the first N tasks (of the interleaved order)")
    room = parser.add_mutually_exclusive_group()
    room.add_argument(
        "--no-room",
        action="store_true",
        help="only tasks in files too long to leave repository context room (what contextFloorTokens is for)",
    )
    room.add_argument(
        "--room-over-floor",
        action="store_true",
        help="only tasks in files that leave context more room than contextFloorTokens (where contextTokens counts)",
    )
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--generation-timeout-ms", type=int, default=60000, help="the server's generationTimeoutMs")
    parser.add_argument(
        "--grown", action="store_true", help="also score each server mode's blocks once grown (MODE+grown)"
    )
    parser.add_argument("--json", help="write every result here")
    parser.add_argument("--server-log", help="write the servers' stderr here")
    parser.add_argument(
        "--server-option",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="a server setting on top of the mode's, e.g. maxPromptTokens=512 (repeatable)",
    )
    args = parser.parse_args(argv)
    args.server_options = dict(server_option(parser, text) for text in args.server_option)
    if args.ablate:
        args.modes = list(dict.fromkeys([*args.modes, *ABLATION_MODES]))
    return args


if __name__ == "__main__":
    main(parse_args())
