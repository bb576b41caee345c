"""Next-edit quality from real code evolution: consecutive releases of real projects give files changed in
several small hunks; with the first hunk(s) applied (as the user's recent edits), predict the next hunk.

The tasks are fixed in scripts/next_edit_tasks.json (project, the two versions, path, how many hunks are
applied, the sha256 of both files; the meta holds the seed and the sha256 of every archive). The releases
are fetched once into ~/.cache/iquest-lsp/eval/ like scripts/eval_fim.py's projects (PyPI sdists with
``pip download``, npm tarballs with ``npm pack``); every file is checked against its sha256 before use.

A hunk is a changed run of lines (neighbours one unchanged line apart merged); a file qualifies with 2-12
hunks of at most 6 lines each. Each qualifying file gives one task at a random hunk (seeded).

The prediction is the server's own (lsp_server.next_edit.predict: regions from tree-sitter, the prompt
format, the answer's checks) on the real model through llama-cpp-python, greedy. Scores per model and
prompt format:

    exact       the predicted file equals the file with the next hunk applied
    sim         difflib ratio of the predicted lines (whole lines around the change) and the hunk's new lines;
                0 for no prediction
    wrong%      a prediction whose lines are not within one line of the hunk's
    empty%      no prediction (every region's answer was rejected, or no region)
    p50/p95     seconds per prediction, warm model (the server waits iquest.nextEdit.idleMs before it starts)

    .venv/bin/python scripts/eval_next_edit.py --build-tasks [--seed 18] [--per-project 10]
    .venv/bin/python scripts/eval_next_edit.py [--models qwen2.5-coder-0.5b qwen2.5-coder-1.5b]
        [--formats blocks chat] [--limit N] [--projects click axios] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench_stats import percentile
from fim_eval.projects import Project, archive_of, fetch_project
from fim_eval.scoring import edit_similarity
from fim_eval.source import source_files
from next_edit_eval.tasks import (
    Case,
    Release,
    Task,
    TaskListError,
    cut_release,
    make_case,
    read_task_list,
    sha256_file,
    write_task_list,
)

from lsp_server.model.backend import ChatRequest, GenerationResult, TextRequest
from lsp_server.next_edit.history import Edit
from lsp_server.next_edit.predict import Attempt, predict
from lsp_server.next_edit.prompts import FORMATS

TASK_LIST = Path(__file__).resolve().parent / "next_edit_tasks.json"
SEED = 18
PER_PROJECT = 14
LANGUAGE_OF = {"python": "python", "javascript": "javascript", "typescript": "typescript"}


def _release(name: str, old: str, new: str, registry: str, language: str, source: str, key: str = "") -> Release:
    def pinned(version: str) -> Project:
        folder = source.format(version=version)
        return Project(name, version, registry, language, folder)

    return Release(key or name, pinned(old), pinned(new))


RELEASES: dict[str, Release] = {
    r.name: r
    for r in (
        _release("click", "8.1.7", "8.1.8", "pypi", "python", "click-{version}/src/click"),
        _release("httpx", "0.27.0", "0.27.1", "pypi", "python", "httpx-{version}/httpx"),
        _release("rich", "13.7.1", "13.8.0", "pypi", "python", "rich-{version}/rich"),
        _release("eslint", "9.8.0", "9.9.0", "npm", "javascript", "package/lib"),
        _release("eslint", "9.9.0", "9.10.0", "npm", "javascript", "package/lib", "eslint-9.10"),
        _release("eslint", "9.10.0", "9.11.0", "npm", "javascript", "package/lib", "eslint-9.11"),
        _release("mocha", "10.6.0", "10.7.0", "npm", "javascript", "package/lib"),
        _release("mobx", "6.13.1", "6.13.2", "npm", "typescript", "package/src"),
        _release("rxjs", "7.8.1", "7.8.2", "npm", "typescript", "package/src"),
    )
}


def _files(project: Project) -> dict[str, str]:
    return source_files(fetch_project(project), project.language)


def build_tasks(releases: list[Release], seed: int, per_project: int) -> tuple[list[Task], dict]:
    """Fetch every release pair and cut its tasks; the meta records the seed and the archives' sha256."""
    rng = random.Random(seed)
    tasks: list[Task] = []
    archives: dict[str, str] = {}
    for release in releases:
        old_files, new_files = _files(release.old), _files(release.new)
        for project in (release.old, release.new):
            archive = archive_of(project)
            archives[archive.name] = sha256_file(archive)
        cut = cut_release(release, old_files, new_files, rng, per_project)
        print(f"{release.name} {release.old.version} -> {release.new.version}: {len(cut)} tasks", file=sys.stderr)
        tasks += cut
    return tasks, {"seed": seed, "per_project": per_project, "archives": archives}


def load_cases(tasks: list[Task]) -> list[Case]:
    """The tasks' texts, from the cached releases (sha256-checked)."""
    cases = []
    files: dict[tuple[str, str], dict[str, str]] = {}
    for task in tasks:
        release = RELEASES[task.project]
        for project in (release.old, release.new):
            if (project.name, project.version) not in files:
                files[(project.name, project.version)] = _files(project)
        old = files[(release.old.name, task.old_version)][task.path]
        new = files[(release.new.name, task.new_version)][task.path]
        cases.append(make_case(task, old, new))
    return cases


def history(case: Case) -> tuple[list[Edit], str]:
    """The applied hunks as the user's edits, and the text before the last of them."""
    edits = [Edit(h.start, h.before, h.after) for h in case.applied]
    last = case.applied[-1]
    lines = case.text.split("\n")
    lines[last.start : last.start + len(last.after)] = list(last.before)
    return edits, "\n".join(lines)


@dataclass
class Scored:
    project: str
    language: str
    path: str
    model: str
    prompt_format: str
    exact: bool
    similarity: float
    wrong_place: bool
    empty: bool
    latency_ms: float
    predicted: str
    expected: str
    attempts: list[str]


def score(case: Case, model: str, prompt_format: str, change, latency_ms: float, attempts: list[Attempt]) -> Scored:
    """Compare a prediction (a TextChange or None) with the next hunk."""
    text, hunk = case.text, case.expected
    lines = text.split("\n")
    expected_lines = lines[: hunk.start] + list(hunk.after) + lines[hunk.end :]
    expected = "\n".join(hunk.after)
    common = (case.task.project, case.task.language, case.task.path, model, prompt_format)
    notes = [f"{a.region.start}-{a.region.end} {a.reason}" for a in attempts]
    if change is None:
        return Scored(*common, False, 0.0, False, True, latency_ms, "", expected, notes)
    new_text = text[: change.start] + change.new_text + text[change.end :]
    first, last = text.count("\n", 0, change.start), text.count("\n", 0, change.end)
    line_start = text.rfind("\n", 0, change.start) + 1
    line_end = text.find("\n", change.end)
    line_end = len(text) if line_end < 0 else line_end
    predicted = text[line_start : change.start] + change.new_text + text[change.end : line_end]
    near = first <= max(hunk.end, hunk.start + 1) and last >= hunk.start - 1
    return Scored(
        *common,
        new_text.split("\n") == expected_lines,
        edit_similarity(expected, predicted) if near else 0.0,
        not near,
        False,
        latency_ms,
        predicted,
        expected,
        notes,
    )


async def run_case(backend: Any, case: Case, prompt_format: str) -> Scored:
    """One prediction by the server's own code on ``backend``."""

    async def ask(request: TextRequest | ChatRequest) -> GenerationResult:
        call = backend.generate if isinstance(request, TextRequest) else backend.chat
        return await asyncio.to_thread(call, request, threading.Event())

    edits, before_last = history(case)
    attempts: list[Attempt] = []
    started = time.perf_counter()
    predicted = await predict(
        ask,
        path=Path(case.task.path).name,
        language=LANGUAGE_OF[case.task.language],
        text=case.text,
        edits=edits,
        before_last=before_last,
        prompt_format=prompt_format,
        file_sep=backend.template.file_sep_token,
        attempts=attempts,
    )
    latency = (time.perf_counter() - started) * 1000
    change = predicted.change if predicted is not None else None
    return score(case, backend.info.name, prompt_format, change, latency, attempts)


def summarize(results: list[Scored]) -> dict[tuple[str, str], dict[str, float]]:
    """(model, format) -> tasks, exact %, mean similarity, wrong-place %, empty %, p50/p95 ms."""
    groups: dict[tuple[str, str], list[Scored]] = {}
    for result in results:
        groups.setdefault((result.model, result.prompt_format), []).append(result)
    return {
        key: {
            "tasks": len(group),
            "exact": 100.0 * sum(r.exact for r in group) / len(group),
            "similarity": statistics.fmean(r.similarity for r in group),
            "wrong": 100.0 * sum(r.wrong_place for r in group) / len(group),
            "empty": 100.0 * sum(r.empty for r in group) / len(group),
            "p50_ms": percentile([r.latency_ms for r in group], 0.5),
            "p95_ms": percentile([r.latency_ms for r in group], 0.95),
        }
        for key, group in groups.items()
    }


def format_table(summary: dict[tuple[str, str], dict[str, float]]) -> str:
    """One row per model and prompt format."""
    out = [
        "| model | format | tasks | exact % | sim | wrong place % | empty % | p50 s | p95 s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (model, prompt_format), row in sorted(summary.items()):
        out.append(
            f"| {model} | {prompt_format} | {row['tasks']} | {row['exact']:.1f} | {row['similarity']:.3f} | "
            f"{row['wrong']:.1f} | {row['empty']:.1f} | {row['p50_ms'] / 1000:.1f} | {row['p95_ms'] / 1000:.1f} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-tasks", action="store_true", help=f"cut the task list into {TASK_LIST.name}")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--per-project", type=int, default=PER_PROJECT)
    parser.add_argument("--models", nargs="+", default=["qwen2.5-coder-0.5b"])
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--projects", nargs="+", choices=sorted(RELEASES))
    parser.add_argument("--limit", type=int, help="the first N tasks of the list (it interleaves projects)")
    parser.add_argument("--json", type=Path, help="write every result here")
    args = parser.parse_args(argv)
    releases = [RELEASES[name] for name in args.projects or RELEASES]
    if args.build_tasks:
        tasks, meta = build_tasks(releases, args.seed, args.per_project)
        write_task_list(TASK_LIST, interleave(tasks), meta)
        print(f"wrote {len(tasks)} tasks to {TASK_LIST}")
        return 0
    try:
        tasks, _ = read_task_list(TASK_LIST, RELEASES)
        tasks = [t for t in tasks if t.project in {r.name for r in releases}][: args.limit]
        cases = load_cases(tasks)
    except TaskListError as error:
        print(error, file=sys.stderr)
        return 2
    from lsp_server.model.catalog import load_catalog
    from lsp_server.model.llama_backend import LlamaCppBackend

    results: list[Scored] = []
    for model in args.models:
        backend = LlamaCppBackend(model, load_catalog(), n_ctx=4096, n_threads=2)
        try:
            for prompt_format in args.formats:
                for number, case in enumerate(cases, 1):
                    result = asyncio.run(run_case(backend, case, prompt_format))
                    results.append(result)
                    outcome = "exact" if result.exact else "empty" if result.empty else f"sim {result.similarity:.2f}"
                    print(
                        f"[{model} {prompt_format} {number}/{len(cases)}] {case.task.project} {case.task.path}: "
                        f"{outcome} in {result.latency_ms / 1000:.1f} s",
                        file=sys.stderr,
                    )
        finally:
            backend.close()
    print(format_table(summarize(results)))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")
    return 0


def interleave(tasks: list[Task]) -> list[Task]:
    """Round-robin over projects, so the first N tasks cover every project and language."""
    by_project: dict[str, list[Task]] = {}
    for task in tasks:
        by_project.setdefault(task.project, []).append(task)
    queues = list(by_project.values())
    out: list[Task] = []
    while any(queues):
        for queue in queues:
            if queue:
                out.append(queue.pop(0))
    return out


if __name__ == "__main__":
    sys.exit(main())
