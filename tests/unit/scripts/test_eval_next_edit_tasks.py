"""scripts/next_edit_eval/ and eval_next_edit.py: hunks, cutting tasks, applying the first hunks, the task list round
trip and the scores (no model, no network)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from script_loader import load_script

from lsp_server.actions.textedit import TextChange

eval_next_edit = load_script("eval_next_edit")
from next_edit_eval import tasks  # noqa: E402  (load_script put scripts/ on the path)

OLD = "def f(rate):\n    a = rate\n    b = 1\n    c = 2\n    d = 3\n    return a * rate\n"
NEW = "def f(tax_rate):\n    a = tax_rate\n    b = 1\n    c = 2\n    d = 3\n    return a * tax_rate\n"
RELEASE = eval_next_edit.RELEASES["click"]


def test_hunks_merge_neighbours_and_keep_both_sides():
    found = tasks.hunks(OLD, NEW)
    assert [(h.start, h.end) for h in found] == [(0, 2), (5, 6)]  # lines 0 and 1 are one line apart: merged
    assert found[0].before == ("def f(rate):", "    a = rate") and found[1].after == ("    return a * tax_rate",)


def test_applying_the_first_hunks_gives_the_next_one_in_the_new_lines():
    old, new = OLD + "\n\nx = 1\n", NEW + "\n\nx = 10\ny = 2\n"
    found = tasks.hunks(old, new)
    text, applied, expected = tasks.apply_first(old, found, 2)
    assert text == NEW + "\n\nx = 1\n" and [h.start for h in applied] == [0, 5]
    assert (expected.start, expected.before, expected.after) == (8, ("x = 1",), ("x = 10", "y = 2"))


def test_only_files_with_two_or_more_small_hunks_qualify():
    big = OLD + "".join(f"l{i} = {i}\n" for i in range(10))
    assert tasks.small_enough(tasks.hunks(OLD, NEW))
    assert not tasks.small_enough(tasks.hunks(OLD, OLD.replace("d = 3", "d = 4")))  # one hunk
    assert not tasks.small_enough(tasks.hunks(OLD, big.replace("l", "m")))  # one hunk of ten lines
    old = {"a.py": OLD, "b.py": OLD, "same.py": OLD}
    cut = tasks.cut_release(RELEASE, old, {**old, "a.py": NEW}, random.Random(1), 5)
    assert [(t.path, t.applied, t.hunks) for t in cut] == [("a.py", 1, 2)]
    assert cut[0].old_sha256 == tasks.sha256_text(OLD) and cut[0].new_version == RELEASE.new.version


def test_the_task_list_round_trips_and_refuses_unpinned_releases_and_changed_files(tmp_path: Path):
    (task,) = tasks.cut_release(RELEASE, {"a.py": OLD}, {"a.py": NEW}, random.Random(1), 5)
    path = tmp_path / "list.json"
    tasks.write_task_list(path, [task], {"seed": 1})
    assert tasks.read_task_list(path, eval_next_edit.RELEASES) == ([task], {"seed": 1})
    with pytest.raises(tasks.TaskListError, match="not pinned"):
        tasks.read_task_list(path, {})
    with pytest.raises(tasks.TaskListError, match="differ"):
        tasks.make_case(task, OLD, NEW + "\n")
    assert tasks.make_case(task, OLD, NEW).expected.after == ("    return a * tax_rate",)


def test_the_committed_list_is_pinned_and_big_enough():
    listed, meta = tasks.read_task_list(eval_next_edit.TASK_LIST, eval_next_edit.RELEASES)
    projects = {eval_next_edit.RELEASES[t.project].old.name for t in listed}
    assert (
        len(listed) >= 40
        and len(projects) >= 4
        and {"python", "javascript", "typescript"} <= {t.language for t in listed}
    )
    assert meta["seed"] == eval_next_edit.SEED
    for name in {t.project for t in listed}:  # the sha256 of both archives of every release
        release = eval_next_edit.RELEASES[name]
        for project in (release.old, release.new):
            (digest,) = [d for archive, d in meta["archives"].items() if archive.startswith(f"{project.folder}.t")]
            assert len(digest) == 64


def test_scores_exact_near_and_wrong_place():
    (task,) = tasks.cut_release(RELEASE, {"a.py": OLD}, {"a.py": NEW}, random.Random(1), 5)
    case = tasks.make_case(task, OLD, NEW)
    at = case.text.index("a * rate") + 4
    exact = eval_next_edit.score(case, "m", "blocks", TextChange(at, at, "tax_"), 1.0, [])
    assert exact.exact and exact.similarity == 1.0 and not exact.wrong_place
    wrong = eval_next_edit.score(case, "m", "blocks", TextChange(0, 0, "# x\n"), 1.0, [])
    assert wrong.wrong_place and wrong.similarity == 0.0 and not wrong.exact
    empty = eval_next_edit.score(case, "m", "blocks", None, 1.0, [])
    assert empty.empty and not empty.wrong_place
    assert eval_next_edit.summarize([exact, wrong, empty])[("m", "blocks")]["exact"] == pytest.approx(100 / 3)
