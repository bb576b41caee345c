"""Tasks from real code evolution: a file changed between two releases in several small hunks; with the first
hunk(s) applied, the task is to predict the next one."""

from __future__ import annotations

import difflib
import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from fim_eval.projects import Project

# Hunks closer than this many unchanged lines are one hunk; a hunk over MAX_HUNK_LINES lines (old or new) is a
# rewrite, not a next edit; a file with more than MAX_HUNKS hunks was reformatted.
MERGE_GAP = 1
MAX_HUNK_LINES = 6
MAX_HUNKS = 12


class TaskListError(Exception):
    """The committed task list does not match the pinned projects."""


@dataclass(frozen=True)
class Release:
    """Two consecutive releases of one project (fetched with fim_eval.projects)."""

    name: str
    old: Project
    new: Project

    @property
    def language(self) -> str:
        return self.old.language


@dataclass(frozen=True)
class Hunk:
    """Lines ``start``..``end`` (exclusive) of a text, ``before``, become ``after``."""

    start: int
    end: int
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(frozen=True)
class Task:
    """Apply hunks 0..applied-1 of ``path`` (old -> new), predict hunk ``applied``."""

    project: str
    old_version: str
    new_version: str
    language: str
    path: str
    applied: int
    hunks: int
    old_sha256: str
    new_sha256: str


@dataclass(frozen=True)
class Case:
    """A task with its texts: the text with the first hunks applied, those hunks, and the expected next one."""

    task: Task
    text: str
    applied: tuple[Hunk, ...]  # with start/end in the text they were applied to, in order
    expected: Hunk  # in ``text``'s lines


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hunks(old: str, new: str) -> list[Hunk]:
    """The changed runs of lines between two texts, neighbours within MERGE_GAP unchanged lines merged."""
    a, b = old.split("\n"), new.split("\n")
    merged: list[list[int]] = []  # [i1, i2, j1, j2]
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if merged and i1 - merged[-1][1] <= MERGE_GAP:
            merged[-1][1], merged[-1][3] = i2, j2
        else:
            merged.append([i1, i2, j1, j2])
    return [Hunk(i1, i2, tuple(a[i1:i2]), tuple(b[j1:j2])) for i1, i2, j1, j2 in merged]


def small_enough(found: Sequence[Hunk]) -> bool:
    """At least two hunks, not too many, each a next-edit-sized change."""
    return 2 <= len(found) <= MAX_HUNKS and all(max(h.end - h.start, len(h.after)) <= MAX_HUNK_LINES for h in found)


def apply_first(old: str, found: Sequence[Hunk], count: int) -> tuple[str, tuple[Hunk, ...], Hunk]:
    """The old text with the first ``count`` hunks applied; those hunks and the next one in the new coordinates."""
    lines = old.split("\n")
    shift = 0
    applied = []
    for hunk in found[:count]:
        start, end = hunk.start + shift, hunk.end + shift
        lines[start:end] = list(hunk.after)
        applied.append(Hunk(start, end, hunk.before, hunk.after))
        shift += len(hunk.after) - (hunk.end - hunk.start)
    nxt = found[count]
    return "\n".join(lines), tuple(applied), Hunk(nxt.start + shift, nxt.end + shift, nxt.before, nxt.after)


def cut_release(
    release: Release, old_files: dict[str, str], new_files: dict[str, str], rng: random.Random, per_project: int
) -> list[Task]:
    """Up to ``per_project`` tasks, one per qualifying file (chosen at random), each at a random hunk."""
    tasks = []
    for path in sorted(set(old_files) & set(new_files)):
        old, new = old_files[path], new_files[path]
        found = hunks(old, new) if old != new else []
        if not small_enough(found):
            continue
        tasks.append(
            Task(
                release.name,
                release.old.version,
                release.new.version,
                release.language,
                path,
                rng.randrange(1, len(found)),
                len(found),
                sha256_text(old),
                sha256_text(new),
            )
        )
    rng.shuffle(tasks)
    return sorted(tasks[:per_project], key=lambda task: task.path)


def make_case(task: Task, old: str, new: str) -> Case:
    """The task's texts, checked against the sha256 the task list pinned."""
    if (sha256_text(old), sha256_text(new)) != (task.old_sha256, task.new_sha256):
        raise TaskListError(f"{task.project} {task.path}: the files differ from the ones the tasks were cut from")
    text, applied, expected = apply_first(old, hunks(old, new), task.applied)
    return Case(task, text, applied, expected)


def write_task_list(path: Path, tasks: Sequence[Task], meta: dict) -> None:
    """One task per line, so a regenerated list diffs task by task."""
    body = ",\n".join(json.dumps(asdict(task)) for task in tasks)
    path.write_text(f'{{"meta": {json.dumps(meta)},\n"tasks": [\n{body}\n]}}\n', encoding="utf-8")


def read_task_list(path: Path, releases: dict[str, Release]) -> tuple[list[Task], dict]:
    """The tasks and the list's meta (seed, archive sha256s); every release must be the pinned one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        tasks = [Task(**row) for row in data["tasks"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TaskListError(f"{path}: not a task list ({error}); write one with --build-tasks") from error
    for task in tasks:
        release = releases.get(task.project)
        if release is None or (release.old.version, release.new.version) != (task.old_version, task.new_version):
            raise TaskListError(f"{path}: {task.project} {task.old_version}->{task.new_version} is not pinned")
    return tasks, data.get("meta", {})
