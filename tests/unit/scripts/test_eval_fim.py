"""scripts/eval_fim.py: task cutting and scoring (no model, no network)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "eval_fim.py"


def _load():
    spec = importlib.util.spec_from_file_location("eval_fim", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_fim"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


eval_fim = _load()

SHAPES = '''"""Shapes."""

import math

UNIT = 1.0


class Circle:
    """A circle."""

    def __init__(self, radius: float) -> None:
        self.radius = radius

    def area(self) -> float:
        """The area."""
        full = math.pi * self.radius ** 2
        # a comment line that is long enough
        return full * UNIT


def make_circle(radius):
    checked = float(radius)

    return Circle(checked)
'''

REPORT = '''"""Reports."""

from .shapes import Circle, make_circle
from pkg.shapes import UNIT as SCALE


def describe(radius):
    """Describe a circle."""
    shape = make_circle(radius)
    # compute the area of the shape here
    text = "area: " + str(shape.area() * SCALE)

    return text.upper()


def total(values):
    result = sum(Circle(v).area() for v in values)
    spare = make_circle(2)  # a trailing comment nobody could predict
    return result


def shadowed(make_circle):
    value = make_circle(3) + 1
    return value
'''


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "shapes.py").write_text(SHAPES, encoding="utf-8")
    (package / "report.py").write_text(REPORT, encoding="utf-8")
    return package


def _lines(workspace: Path, path: str) -> list[str]:
    return (workspace / path).read_text(encoding="utf-8").split("\n")


def test_every_hole_removes_exactly_the_expected_text(workspace: Path) -> None:
    tasks = eval_fim.cut_tasks("pkg", workspace, 1000, seed=1)
    assert {t.kind for t in tasks} == set(eval_fim.KINDS)
    for task in tasks:
        original = (workspace / task.path).read_text(encoding="utf-8")
        lines = task.document.split("\n")
        before = "\n".join(lines[: task.line] + [lines[task.line][: task.character]])
        after = task.document[len(before):]
        assert task.document.startswith(before)
        assert task.expected.strip()
        assert original.startswith(before + task.expected)
        assert original.endswith(after)
        # only trailing whitespace of the hole may be dropped from the expected text
        assert original[len(before) + len(task.expected) : len(original) - len(after)].strip() == ""


def test_cross_file_task_found_with_the_imported_name_removed(workspace: Path) -> None:
    tasks = [t for t in eval_fim.cut_tasks("pkg", workspace, 1000, seed=1) if t.kind == "cross-file"]
    by_line = {(t.path, t.line): t for t in tasks}
    lines = _lines(workspace, "report.py")
    uses = by_line[("report.py", lines.index("    shape = make_circle(radius)"))]
    assert uses.character == len("    shape = ")
    assert uses.expected == "make_circle(radius)"
    assert uses.document.split("\n")[uses.line] == "    shape = "
    assert uses.document.split("\n")[uses.line + 1] == "    # compute the area of the shape here"
    # `from pkg.shapes import UNIT as SCALE`: absolute import of the package, used under its alias
    scaled = by_line[("report.py", lines.index('    text = "area: " + str(shape.area() * SCALE)'))]
    assert scaled.expected == "SCALE)"
    # first use on the line, class imported from the other module
    circle = by_line[("report.py", lines.index("    result = sum(Circle(v).area() for v in values)"))]
    assert circle.expected == "Circle(v).area() for v in values)"
    # a parameter that shadows the import is not a cross-file use; nothing comes from shapes.py itself
    assert ("report.py", lines.index("    value = make_circle(3) + 1")) not in by_line
    # nor is a line with a trailing comment
    assert not any(lines[t.line].endswith("predict") for t in tasks)
    assert all(t.path == "report.py" for t in tasks)
    assert len(tasks) == 3


def test_single_mid_and_multi_line_tasks(workspace: Path) -> None:
    tasks = eval_fim.cut_tasks("pkg", workspace, 1000, seed=1)
    lines = _lines(workspace, "shapes.py")
    single = {(t.path, t.line): t for t in tasks if t.kind == "single-line"}
    full = single[("shapes.py", lines.index("        full = math.pi * self.radius ** 2"))]
    assert (full.character, full.expected) == (8, "full = math.pi * self.radius ** 2")
    for task in (t for t in tasks if t.kind == "mid-line"):
        line = _lines(workspace, task.path)[task.line]
        assert line[: task.character].rstrip()[-1] in "=(."
        assert task.character > len(line) - len(line.lstrip())
        assert line[task.character:] == task.expected
    multi = {(t.path, t.line): t for t in tasks if t.kind == "multi-line"}
    # after the docstring, 2 to 6 lines ending with a whole statement
    area = multi[("shapes.py", lines.index("        full = math.pi * self.radius ** 2"))]
    assert area.expected == "full = math.pi * self.radius ** 2\n        # a comment line that is long enough\n        return full * UNIT"
    assert area.document.split("\n")[area.line] == "        "
    assert area.document.split("\n")[area.line + 1] == ""  # the blank line after the method stays
    make = multi[("shapes.py", lines.index("    checked = float(radius)"))]
    assert make.expected == "checked = float(radius)\n\n    return Circle(checked)"


def test_comments_blank_lines_and_docstrings_are_never_chosen(workspace: Path) -> None:
    for seed in range(5):
        for task in eval_fim.cut_tasks("pkg", workspace, 1000, seed=seed):
            line = _lines(workspace, task.path)[task.line]
            assert line.strip(), task
            assert not line.strip().startswith(("#", '"""')), task
            if task.kind != "multi-line":
                assert "#" not in line, task
            assert len(line.strip()) >= eval_fim.MIN_CODE
            assert not line.lstrip().startswith(("def ", "class ", "import ", "from ")) or task.kind != "cross-file"


def test_same_seed_same_tasks_other_seed_other_sample(workspace: Path) -> None:
    first = eval_fim.cut_tasks("pkg", workspace, 2, seed=7)
    again = eval_fim.cut_tasks("pkg", workspace, 2, seed=7)
    assert first == again
    assert [t.kind for t in first].count("single-line") == 2
    samples = {tuple((t.path, t.line) for t in eval_fim.cut_tasks("pkg", workspace, 2, seed=s, kinds=["single-line"])) for s in range(10)}
    assert len(samples) > 1


def test_kinds_filter_and_unknown_kind(workspace: Path) -> None:
    assert {t.kind for t in eval_fim.cut_tasks("pkg", workspace, 5, seed=1, kinds=["mid-line"])} == {"mid-line"}
    with pytest.raises(ValueError):
        eval_fim.cut_tasks("pkg", workspace, 5, seed=1, kinds=["whole-file"])


def test_files_that_do_not_parse_are_skipped(workspace: Path) -> None:
    (workspace / "broken.py").write_text("def broken(:\n    return 1\n", encoding="utf-8")
    assert all(t.path != "broken.py" for t in eval_fim.cut_tasks("pkg", workspace, 1000, seed=1))


def test_exact_match_compares_first_lines_without_trailing_whitespace() -> None:
    assert eval_fim.exact_match("foo(bar)", "foo(bar)   \n    more()")
    assert eval_fim.exact_match("a = 1\n    b = 2", "a = 1\n    c = 3")
    assert not eval_fim.exact_match("foo(bar)", " foo(bar)")
    assert not eval_fim.exact_match("foo(bar)", "")


def test_edit_similarity() -> None:
    assert eval_fim.edit_similarity("foo(bar)", "foo(bar)") == 1.0
    assert eval_fim.edit_similarity("foo(bar)", "  foo(bar)  ") == 1.0
    assert eval_fim.edit_similarity("foo(bar)", "") == 0.0
    assert 0.5 < eval_fim.edit_similarity("foo(bar)", "foo(baz)") < 1.0
    # the suggestion is cut to as many lines as expected
    assert eval_fim.edit_similarity("x = 1", "x = 1\nrest_of_the_function()") == 1.0
    assert eval_fim.edit_similarity("x = 1\ny = 2", "x = 1\ny = 2\nz = 3") == 1.0


def test_summary_and_table() -> None:
    task = eval_fim.Task("pkg", "cross-file", "a.py", 0, 0, "foo(bar)", "")
    results = [
        eval_fim.score(task, "off", "nope", 100.0, stop_reason="deadline", prompt_tokens=900),
        eval_fim.score(task, "off", "foo(bar)", 300.0),
        eval_fim.score(task, "on", "foo(bar)", 200.0),
    ]
    summary = eval_fim.summarize(results)
    assert summary[("cross-file", "off")]["tasks"] == 2
    assert summary[("cross-file", "off")]["exact"] == 50.0
    assert summary[("cross-file", "on")]["exact"] == 100.0
    assert summary[("all", "on")]["p50_ms"] == 200.0
    assert summary[("cross-file", "off")]["timeouts"] == 1
    table = eval_fim.format_table(summary)
    assert "delta cross-file (on - off): exact +50.0 pts" in table
    assert eval_fim.percentile([], 0.5) != eval_fim.percentile([], 0.5)  # nan


def test_utf16_column() -> None:
    assert eval_fim.utf16_column("ab = 1", 3) == 3
    assert eval_fim.utf16_column("s = '𝄞' + x", 9) == 10


def test_fetch_repo_reuses_the_unpacked_copy(tmp_path: Path) -> None:
    repo = eval_fim.Repo("demo", "1.0", "src/demo")
    (tmp_path / "demo-1.0" / "src" / "demo").mkdir(parents=True)
    (tmp_path / "demo-1.0" / ".iquest-unpacked").write_text("demo==1.0\n", encoding="utf-8")
    assert eval_fim.fetch_repo(repo, tmp_path) == tmp_path / "demo-1.0" / "src" / "demo"


def test_fetch_repo_unpacks_a_cached_sdist(tmp_path: Path) -> None:
    import tarfile

    source = tmp_path / "build" / "demo-1.0" / "demo"
    source.mkdir(parents=True)
    (source / "mod.py").write_text("X = 1\n", encoding="utf-8")
    (tmp_path / "cache" / "sdists").mkdir(parents=True)
    with tarfile.open(tmp_path / "cache" / "sdists" / "demo-1.0.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "build" / "demo-1.0", arcname="demo-1.0")
    workspace = eval_fim.fetch_repo(eval_fim.Repo("demo", "1.0", "demo"), tmp_path / "cache")
    assert (workspace / "mod.py").read_text(encoding="utf-8") == "X = 1\n"
    assert (tmp_path / "cache" / "demo-1.0" / ".iquest-unpacked").exists()


def test_tasks_are_shared_out_over_the_repositories() -> None:
    assert [eval_fim.share(8, 3, i) for i in range(3)] == [3, 3, 2]
    assert [eval_fim.share(20, 3, i) for i in range(3)] == [7, 7, 6]
    assert sum(eval_fim.share(5, 4, i) for i in range(4)) == 5


def test_parse_args_defaults() -> None:
    args = eval_fim.parse_args([])
    assert args.model == "qwen2.5-coder-0.5b"
    assert args.tasks_per_kind == 16
    assert args.generation_timeout_ms == 20000
    assert args.repos == list(eval_fim.DEFAULT_REPOS)
    assert args.kinds == list(eval_fim.KINDS)
