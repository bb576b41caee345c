"""scripts/bench_file_hop.py: places, keys, cursors and figures (no model, no server, no network)."""

from __future__ import annotations

import math
from pathlib import Path

from script_loader import load_script

hop = load_script("bench_file_hop")


def _function(name: str, lines: int) -> str:
    body = "".join(f"    value_{i} = helper({i})\n" for i in range(lines))
    return f"def {name}(x):\n{body}    return x\n\n\n"


def _project(tmp_path: Path, files: int) -> Path:
    package = tmp_path / "src" / "requests"
    package.mkdir(parents=True)
    for index in range(files):
        text = (
            "from .helpers import helper\n\n\n"
            + _function(f"first_{index}", 5)
            + _function(f"second_{index}", 6)
            + _function(f"third_{index}", 7)
        )
        (package / f"module_{index}.py").write_text(text)
    return tmp_path


def test_places_are_two_deleted_bodies_per_file_and_typing_them_back_restores_every_file(tmp_path):
    sources, holed, rounds = hop.choose_places(_project(tmp_path, 5), 4, seed=3)
    assert [len(places) for places in rounds] == [4, 4] and len(holed) == 4
    for first, second in zip(*rounds, strict=True):
        assert first.path == second.path and first.name != second.name
        assert holed[first.path].index(first.name.split(".")[-1]) < holed[first.path].index(second.name.split(".")[-1])
    workspace = hop.Workspace(holed, [place for places in rounds for place in places])
    for place in workspace.places:  # the earlier body first: the later cursor must follow
        for key in hop.keystrokes(place.typed):
            workspace.type_key(place, key)
    assert workspace.texts == {path: sources[path] for path in holed}


def test_the_same_seed_picks_the_same_places_and_another_seed_may_not(tmp_path):
    root = _project(tmp_path, 6)
    picks = {
        seed: [(p.path, p.name) for places in hop.choose_places(root, 4, seed)[2] for p in places] for seed in range(6)
    }
    assert hop.choose_places(root, 4, 2)[2][0][0].name == picks[2][0][1]
    assert len({tuple(p) for p in picks.values()}) > 1


def test_first_visits_type_the_first_line_and_returns_start_with_enter_on_the_second():
    first, second = hop.split_lines("a = 1\n    b = 2\n    c = 3")
    assert "".join(k.text for k in first) == "a = 1"
    assert second[0].text == "\n    " and second[0].pause == "newline"
    assert "".join(k.text for k in second) == "\n    b = 2"


def test_a_visit_without_a_suggestion_counts_as_the_slowest():
    visits = [
        hop.Visit("first", "a.py", "f", ms=100.0),
        hop.Visit("first", "b.py", "g", ms=None, empty=3),
        hop.Visit("return", "a.py", "f", ms=40.0),
    ]
    summary = hop.summarize(visits)
    assert summary["first"]["visits"] == 2 and summary["first"]["nonempty_share"] == 0.5
    assert math.isinf(summary["first"]["p95_ms"]) and summary["first"]["empty_answers"] == 3
    assert summary["return"]["p50_ms"] == 40.0


def test_targets_are_judged_from_both_systems_figures():
    ours = {"first": {"p50_ms": 4000.0, "nonempty_share": 1.0}, "return": {"p50_ms": 250.0}}
    theirs = {"first": {"p50_ms": 20000.0, "nonempty_share": 1.0}, "return": {"p50_ms": 1000.0}}
    lines = hop.verdicts(ours, theirs)
    assert all(line.endswith("met") for line in lines)
    ours["return"]["p50_ms"] = 400.0
    lines = hop.verdicts(ours, theirs)
    assert lines[0].endswith("missed") and lines[1].endswith("missed")
