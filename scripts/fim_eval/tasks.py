"""Cutting tasks out of a project's files, their run order, and the committed task list."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

from . import python_facts, treesitter_facts
from .projects import LANGUAGES, Project
from .source import Facts, source_files

KINDS = ("whole-line", "mid-word", "mid-punct", "multi-line", "cross-file")
MIN_CODE = 8  # characters of code a chosen line needs
MAX_LINE = 200
MULTI_LINES = (2, 6)  # a multi-line hole spans this many lines


class TaskListError(Exception):
    """The task list does not match the sources (or the pinned projects) any more."""


@dataclass(frozen=True)
class Task:
    """One hole: from ``line``:``character`` to the end of ``end_line`` (0-based, str index) in the file at ``path``."""

    project: str
    version: str
    language: str
    kind: str
    path: str  # relative to the project's workspace
    line: int
    character: int
    end_line: int
    sha256: str  # of the file's bytes


@dataclass(frozen=True)
class Case:
    """A task with its file cut: ``document`` is the file without the hole, ``expected`` what the hole held."""

    task: Task
    document: str
    expected: str

    @cached_property
    def offset(self) -> int:
        """The cursor as an offset into ``document`` (split once: windows, post-processing and filters all ask)."""
        lines = self.document.split("\n")
        return sum(len(line) + 1 for line in lines[: self.task.line]) + self.task.character


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hole(text: str, line: int, character: int, end_line: int) -> tuple[str, str]:
    """(document without the hole, expected with trailing whitespace stripped)."""
    lines = text.split("\n")
    expected = "\n".join([lines[line][character:], *lines[line + 1 : end_line + 1]])
    document = "\n".join([*lines[:line], lines[line][:character], *lines[end_line + 1 :]])
    return document, expected.rstrip()


def make_case(task: Task, text: str) -> Case:
    """Cut ``task`` out of ``text``, which must be the file the task was cut from."""
    actual = sha256_text(text)
    if actual != task.sha256:
        raise TaskListError(
            f"{task.project} {task.version} {task.path}: sha256 {actual} differs from the task list's {task.sha256}; "
            "the source changed: regenerate the list with --write-tasks"
        )
    return Case(task, *hole(text, task.line, task.character, task.end_line))


# --------------------------------------------------------------------------- cutting


def analyze(files: dict[str, str], language: str, package: str) -> dict[str, Facts]:
    """Facts for each file; ``package`` is the workspace folder's name (Python's absolute imports)."""
    if language == "python":
        return python_facts.analyze(files, package)
    return treesitter_facts.analyze(files, language)


def _line_ok(facts: Facts, line: int) -> bool:
    text = facts.lines[line]
    code = text.strip()
    return MIN_CODE <= len(code) and len(text) <= MAX_LINE and line not in facts.commented


def _rest_after(text: str, cut: int) -> int:
    """``cut`` moved past the spaces after it: the cursor sits after ``= ``, not before the space."""
    return cut + len(text[cut:]) - len(text[cut:].lstrip(" "))


def holes(facts: Facts, kind: str, rng: random.Random) -> list[tuple[int, int, int]]:
    """(line, character, end_line) of every hole of ``kind`` in the file, at most one per line."""
    lines = facts.lines
    statement_lines = [(line, column) for line, column in sorted(facts.statements.items()) if _line_ok(facts, line)]
    found: list[tuple[int, int, int]] = []
    if kind == "whole-line":
        found = [(line, column, line) for line, column in statement_lines]
    elif kind == "mid-word":
        for line, column in statement_lines:
            # strictly inside an identifier: at least 1 character typed and at least 2 left
            cuts = [
                start + typed
                for row, start, end in facts.identifiers
                if row == line and start >= column
                for typed in range(1, end - start - 1)
            ]
            if cuts:
                found.append((line, rng.choice(cuts), line))
    elif kind == "mid-punct":
        for line, column in statement_lines:
            text = lines[line]
            cuts = [_rest_after(text, end) for row, end in facts.punctuation if row == line and end > column]
            cuts = [cut for cut in cuts if len(text[cut:].strip()) >= 3]
            if cuts:
                found.append((line, rng.choice(cuts), line))
    elif kind == "multi-line":
        low, high = MULTI_LINES
        for start, column, ends in facts.blocks:
            ends = [
                end
                for end in ends
                if low <= end - start + 1 <= high and all(len(lines[i]) <= MAX_LINE for i in range(start, end + 1))
            ]
            if ends and _line_ok(facts, start):
                found.append((start, column, rng.choice(ends)))
    elif kind == "cross-file":
        found = [
            (line, column, line)
            for line, column in sorted(facts.imported_uses.items())
            if _line_ok(facts, line) and lines[line][column:].strip()
        ]
    else:
        raise ValueError(f"unknown task kind {kind!r} (known: {', '.join(KINDS)})")
    return [h for h in found if hole(facts.text, *h)[1].strip()]


def cut_project(
    project: Project, workspace: Path, per_kind: int, seed: int, kinds: Sequence[str] = KINDS
) -> dict[str, list[Task]]:
    """kind -> up to ``per_kind`` tasks from the project's files; the same seed gives the same tasks."""
    files = analyze(source_files(workspace, project.language), project.language, workspace.name)
    tasks: dict[str, list[Task]] = {}
    for kind in kinds:
        rng = random.Random(f"{seed}:{project.name}:{kind}")
        pool = [
            Task(
                project.name,
                project.version,
                project.language,
                kind,
                path,
                line,
                character,
                end_line,
                sha256_text(facts.text),
            )
            for path, facts in sorted(files.items())
            for line, character, end_line in holes(facts, kind, rng)
        ]
        tasks[kind] = rng.sample(pool, min(per_kind, len(pool)))
    return tasks


def language_order(projects: Iterable[Project]) -> list[Project]:
    """Projects taken in turn from each language, so that any prefix mixes languages."""
    by_language = {
        language: sorted((p for p in projects if p.language == language), key=lambda p: p.name)
        for language in LANGUAGES
    }
    ordered = []
    for turn in range(max(map(len, by_language.values()), default=0)):
        ordered += [group[turn] for group in by_language.values() if turn < len(group)]
    return ordered


def interleave(cut: dict[str, dict[str, list[Task]]], projects: Sequence[str]) -> list[Task]:
    """One task per project in turn, each of the kind used least so far (overall, then by that project):
    any prefix covers every kind and language."""
    queues = {name: {kind: list(cut[name].get(kind, [])) for kind in KINDS} for name in projects}
    overall = dict.fromkeys(KINDS, 0)
    by_project = {name: dict.fromkeys(KINDS, 0) for name in projects}
    ordered: list[Task] = []
    while any(any(q.values()) for q in queues.values()):
        for name in projects:
            left = [kind for kind in KINDS if queues[name][kind]]
            if not left:
                continue
            kind = min(left, key=lambda k: (overall[k], by_project[name][k], KINDS.index(k)))
            ordered.append(queues[name][kind].pop(0))
            overall[kind] += 1
            by_project[name][kind] += 1
    return ordered


# --------------------------------------------------------------------------- the committed list


def write_task_list(path: Path, tasks: Sequence[Task], seed: int, per_kind: int) -> None:
    """One task per line, so a regenerated list diffs task by task."""
    header = json.dumps({"seed": seed, "per_kind": per_kind})
    body = ",\n".join(json.dumps(asdict(task)) for task in tasks)
    path.write_text(f'{{"meta": {header},\n"tasks": [\n{body}\n]}}\n', encoding="utf-8")


def read_task_list(path: Path, projects: dict[str, Project]) -> list[Task]:
    """The tasks in their run order; every project must be pinned at the version the tasks were cut from."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        tasks = [Task(**row) for row in data["tasks"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TaskListError(f"{path}: not a task list ({error}); write one with --write-tasks") from error
    for task in tasks:
        pinned = projects.get(task.project)
        if pinned is None or (pinned.version, pinned.language) != (task.version, task.language):
            raise TaskListError(
                f"{path}: {task.project} {task.version} is not a pinned project; regenerate with --write-tasks"
            )
        if task.kind not in KINDS:
            raise TaskListError(f"{path}: unknown task kind {task.kind!r} (known: {', '.join(KINDS)})")
    return tasks


def load_cases(tasks: Sequence[Task], workspace: Path) -> list[Case]:
    """The tasks cut out of the files under ``workspace``, each checked against its sha256."""
    texts: dict[str, str] = {}
    cases = []
    for task in tasks:
        if task.path not in texts:
            file = workspace / task.path
            if not file.is_file():
                raise TaskListError(
                    f"{task.project} {task.version}: {file} is missing; regenerate the list with --write-tasks"
                )
            texts[task.path] = file.read_bytes().decode("utf-8")
        cases.append(make_case(task, texts[task.path]))
    return cases
