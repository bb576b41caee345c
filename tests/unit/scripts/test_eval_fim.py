"""scripts/eval_fim.py and scripts/fim_eval/: Python task cutting, scoring, the CLI (no model, no network)."""

from __future__ import annotations

from pathlib import Path

import pytest
from script_loader import SCRIPTS, load_script

from lsp_server.settings import CONTEXT_SOURCES

eval_fim = load_script("eval_fim")

from fim_eval import projects, raw, scoring, source, tasks  # noqa: E402  (needs the path above)

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


PKG = projects.Project("pkg", "1.0", "pypi", "python", "pkg")


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


def _cases(workspace: Path, per_kind: int = 1000, seed: int = 1, kinds=tasks.KINDS) -> list[tasks.Case]:
    cut = tasks.cut_project(PKG, workspace, per_kind, seed, kinds)
    return tasks.load_cases([t for kind in kinds for t in cut[kind]], workspace)


def test_every_hole_removes_exactly_the_expected_text(workspace: Path) -> None:
    cases = _cases(workspace)
    assert {c.task.kind for c in cases} == set(tasks.KINDS)
    for case in cases:
        task = case.task
        original = (workspace / task.path).read_text(encoding="utf-8")
        lines = case.document.split("\n")
        before = "\n".join(lines[: task.line] + [lines[task.line][: task.character]])
        after = case.document[len(before) :]
        assert case.expected.strip()
        assert original.startswith(before + case.expected)
        assert original.endswith(after)
        # only trailing whitespace of the hole may be dropped from the expected text
        assert original[len(before) + len(case.expected) : len(original) - len(after)].strip() == ""
        assert (task.project, task.version, task.language) == ("pkg", "1.0", "python")


def test_cross_file_task_found_with_the_imported_name_removed(workspace: Path) -> None:
    cases = [c for c in _cases(workspace) if c.task.kind == "cross-file"]
    by_line = {(c.task.path, c.task.line): c for c in cases}
    lines = _lines(workspace, "report.py")
    uses = by_line[("report.py", lines.index("    shape = make_circle(radius)"))]
    assert uses.task.character == len("    shape = ")
    assert uses.expected == "make_circle(radius)"
    assert uses.document.split("\n")[uses.task.line] == "    shape = "
    assert uses.document.split("\n")[uses.task.line + 1] == "    # compute the area of the shape here"
    # `from pkg.shapes import UNIT as SCALE`: absolute import of the package, used under its alias
    scaled = by_line[("report.py", lines.index('    text = "area: " + str(shape.area() * SCALE)'))]
    assert scaled.expected == "SCALE)"
    # first use on the line, class imported from the other module
    circle = by_line[("report.py", lines.index("    result = sum(Circle(v).area() for v in values)"))]
    assert circle.expected == "Circle(v).area() for v in values)"
    # a parameter that shadows the import is not a cross-file use; nothing comes from shapes.py itself
    assert ("report.py", lines.index("    value = make_circle(3) + 1")) not in by_line
    # nor is a line with a trailing comment
    assert not any(lines[c.task.line].endswith("predict") for c in cases)
    assert all(c.task.path == "report.py" for c in cases)
    assert len(cases) == 3


def test_whole_line_mid_punct_and_multi_line_tasks(workspace: Path) -> None:
    cases = _cases(workspace)
    lines = _lines(workspace, "shapes.py")
    whole = {(c.task.path, c.task.line): c for c in cases if c.task.kind == "whole-line"}
    full = whole[("shapes.py", lines.index("        full = math.pi * self.radius ** 2"))]
    assert (full.task.character, full.expected) == (8, "full = math.pi * self.radius ** 2")
    punct = [c for c in cases if c.task.kind == "mid-punct"]
    assert punct
    for case in punct:
        line = _lines(workspace, case.task.path)[case.task.line]
        assert line[: case.task.character].rstrip()[-1] in "=(.,:[{"
        assert case.task.character > len(line) - len(line.lstrip())
        assert line[case.task.character :] == case.expected
    multi = {(c.task.path, c.task.line): c for c in cases if c.task.kind == "multi-line"}
    # after the docstring, 2 to 6 lines ending with a whole statement
    area = multi[("shapes.py", lines.index("        full = math.pi * self.radius ** 2"))]
    assert (
        area.expected
        == "full = math.pi * self.radius ** 2\n        # a comment line that is long enough\n        return full * UNIT"
    )
    assert area.document.split("\n")[area.task.line] == "        "
    assert area.document.split("\n")[area.task.line + 1] == ""  # the blank line after the method stays
    assert area.task.end_line == area.task.line + 2
    make = multi[("shapes.py", lines.index("    checked = float(radius)"))]
    assert make.expected == "checked = float(radius)\n\n    return Circle(checked)"


def test_mid_word_cursor_is_strictly_inside_an_identifier(workspace: Path) -> None:
    for seed in range(5):
        cases = _cases(workspace, seed=seed, kinds=["mid-word"])
        assert cases
        for case in cases:
            line = _lines(workspace, case.task.path)[case.task.line]
            column = case.task.character
            assert line[column - 1].isidentifier() and line[column : column + 2].isidentifier()
            assert line[column:] == case.expected
            word_start = column
            while word_start and (line[word_start - 1].isalnum() or line[word_start - 1] == "_"):
                word_start -= 1
            assert line[word_start:].split("(")[0].split(" ")[0] not in ("return", "def", "for", "if")


def test_comments_blank_lines_and_docstrings_are_never_chosen(workspace: Path) -> None:
    for seed in range(5):
        for case in _cases(workspace, seed=seed):
            line = _lines(workspace, case.task.path)[case.task.line]
            assert line.strip(), case
            assert not line.strip().startswith(("#", '"""')), case
            if case.task.kind != "multi-line":
                assert "#" not in line, case
            assert len(line.strip()) >= tasks.MIN_CODE


def test_same_seed_same_tasks_other_seed_other_sample(workspace: Path) -> None:
    first = tasks.cut_project(PKG, workspace, 2, seed=7)
    assert first == tasks.cut_project(PKG, workspace, 2, seed=7)
    assert len(first["whole-line"]) == 2
    samples = {
        tuple(
            (t.path, t.line) for t in tasks.cut_project(PKG, workspace, 2, seed=s, kinds=["whole-line"])["whole-line"]
        )
        for s in range(10)
    }
    assert len(samples) > 1


def test_kinds_filter_and_unknown_kind(workspace: Path) -> None:
    assert set(tasks.cut_project(PKG, workspace, 5, seed=1, kinds=["mid-punct"])) == {"mid-punct"}
    with pytest.raises(ValueError):
        tasks.cut_project(PKG, workspace, 5, seed=1, kinds=["whole-file"])


def test_files_that_do_not_parse_are_skipped(workspace: Path) -> None:
    (workspace / "broken.py").write_text("def broken(:\n    return 1\n", encoding="utf-8")
    cut = tasks.cut_project(PKG, workspace, 1000, seed=1)
    assert all(t.path != "broken.py" for kind in cut.values() for t in kind)


def test_test_vendored_generated_and_big_files_are_skipped(workspace: Path) -> None:
    body = "def f(x):\n    value = compute(x)\n    return value\n"
    for name in ("tests/test_a.py", "vendor/b.py", "test_c.py", "conftest.py"):
        (workspace / name).parent.mkdir(exist_ok=True)
        (workspace / name).write_text(body, encoding="utf-8")
    (workspace / "gen.py").write_text("# @generated by a tool\n" + body, encoding="utf-8")
    (workspace / "big.py").write_text(body + "X = 1\n" * 40_000, encoding="utf-8")
    (workspace / "crlf.py").write_bytes(body.replace("\n", "\r\n").encode())
    assert list(source.source_files(workspace, "python")) == ["__init__.py", "report.py", "shapes.py"]


def test_exact_match_compares_first_lines_without_trailing_whitespace() -> None:
    assert scoring.exact_match("foo(bar)", "foo(bar)   \n    more()")
    assert scoring.exact_match("a = 1\n    b = 2", "a = 1\n    c = 3")
    assert not scoring.exact_match("foo(bar)", " foo(bar)")
    assert not scoring.exact_match("foo(bar)", "")


def test_edit_similarity() -> None:
    assert scoring.edit_similarity("foo(bar)", "foo(bar)") == 1.0
    assert scoring.edit_similarity("foo(bar)", "  foo(bar)  ") == 1.0
    assert scoring.edit_similarity("foo(bar)", "") == 0.0
    assert 0.5 < scoring.edit_similarity("foo(bar)", "foo(baz)") < 1.0
    # the suggestion is cut to as many lines as expected
    assert scoring.edit_similarity("x = 1", "x = 1\nrest_of_the_function()") == 1.0
    assert scoring.edit_similarity("x = 1\ny = 2", "x = 1\ny = 2\nz = 3") == 1.0


def _case(kind: str = "cross-file", language: str = "python", expected: str = "foo(bar)") -> tasks.Case:
    return tasks.Case(tasks.Task("pkg", "1.0", language, kind, "a.py", 0, 0, 0, "0" * 64), expected, expected)


def test_summary_per_kind_language_and_all_with_deltas_against_raw() -> None:
    python, rust = _case(), _case("whole-line", "rust", "let x = 1;")
    results = [
        scoring.score(python, "raw", "", 100.0),
        scoring.score(python, "off", "nope", 100.0, stop_reason="deadline"),
        scoring.score(python, "on", "foo(bar)", 200.0, short_prompt=True),
        scoring.score(rust, "raw", "let x = 1;", 300.0),
        scoring.score(rust, "off", "let x = 1;", 400.0),
        scoring.score(rust, "on", "let x = 1;", 500.0),
    ]
    summary = scoring.summarize(results)
    assert summary[("cross-file", "raw")]["exact"] == 0.0
    assert summary[("cross-file", "raw")]["empty"] == 100.0
    assert summary[("python", "on")]["exact"] == 100.0
    assert summary[("rust", "off")]["tasks"] == 1
    assert summary[("all", "on")]["tasks"] == 2
    assert summary[("all", "raw")]["exact"] == 50.0
    assert summary[("all", "off")]["empty"] == 0.0
    assert summary[("all", "on")]["p50_ms"] == 200.0
    assert summary[("all", "on")]["p95_ms"] == 500.0
    assert summary[("all", "off")]["timeouts"] == 1
    table = scoring.format_table(summary, ["raw", "off", "on"])
    main, delta = table.split("delta vs raw")
    rows = {line.split()[0]: line for line in main.split("\n") if line.strip()}
    assert rows["cross-file"].split("|")[0].split()[1:3] == ["1", "0.0"]
    assert "+100.0" in [line for line in delta.split("\n") if line.startswith("cross-file")][0].split("|")[1]
    assert "generationTimeoutMs ran out: off 1" in table
    assert summary[("all", "on")]["short_prompts"] == 1
    assert "answered from a short prompt" in table and table.endswith(": on 1")
    assert scoring.percentile([], 0.5) != scoring.percentile([], 0.5)  # nan


BLOCK = "def f(x):\n    if x:\n        a = 1\n        b = 2\n    return x\n"


def _block_case(line: int, character: int, end_line: int, kind: str = "multi-line") -> tasks.Case:
    task = tasks.Task("pkg", "1.0", "python", kind, "a.py", line, character, end_line, tasks.sha256_text(BLOCK))
    return tasks.make_case(task, BLOCK)


def test_raw_answers_are_post_processed_as_the_server_shows_them() -> None:
    block = _block_case(2, 8, 3)
    assert block.expected == "a = 1\n        b = 2"
    # The raw model wrote one line of the block, then left it: what the server shows stops with the block.
    left = raw.post_processed(scoring.score(block, "raw", "a = 1\n    return x", 10.0))
    assert left.mode == raw.POST_PROCESSED and left.suggestion == "a = 1" and left.latency_ms == 10.0
    assert left.similarity < scoring.edit_similarity(block.expected, "a = 1\n    return x")
    whole = raw.post_processed(scoring.score(block, "raw", "a = 1\n        b = 2", 10.0))
    assert whole.suggestion == "a = 1\n        b = 2" and whole.exact and whole.similarity == 1.0
    # After a word that opens no block the server shows one line.
    line = _block_case(1, 7, 1, kind="mid-punct")
    assert raw.post_processed(scoring.score(line, "raw", "x:\n        a = 1", 10.0)).suggestion == "x:"


def test_result_row_flattens_the_task() -> None:
    row = scoring.score(_case(), "on", "foo(baz)", 12.5).row()
    assert row["project"] == "pkg" and row["kind"] == "cross-file" and row["mode"] == "on"
    assert row["expected"] == "foo(bar)" and row["suggestion"] == "foo(baz)" and not row["exact"]
    assert "document" not in row


def test_fetch_project_reuses_the_unpacked_copy(tmp_path: Path) -> None:
    project = projects.Project("demo", "1.0", "pypi", "python", "demo-1.0/src/demo")
    (tmp_path / "demo-1.0" / "demo-1.0" / "src" / "demo").mkdir(parents=True)
    (tmp_path / "demo-1.0" / ".iquest-unpacked").write_text("demo==1.0\n", encoding="utf-8")
    assert projects.fetch_project(project, tmp_path) == tmp_path / "demo-1.0" / "demo-1.0" / "src" / "demo"


@pytest.mark.parametrize(
    ("registry", "archive", "root"),
    [("pypi", "sdists/demo-1.0.tar.gz", "demo-1.0"), ("npm", "npm/demo-1.0.tgz", "package")],
)
def test_fetch_project_unpacks_a_cached_archive(tmp_path: Path, registry: str, archive: str, root: str) -> None:
    import tarfile

    source = tmp_path / "build" / root / "lib"
    source.mkdir(parents=True)
    (source / "mod.py").write_text("X = 1\n", encoding="utf-8")
    (tmp_path / "cache" / archive).parent.mkdir(parents=True)
    with tarfile.open(tmp_path / "cache" / archive, "w:gz") as tar:
        tar.add(tmp_path / "build" / root, arcname=root)
    workspace = projects.fetch_project(
        projects.Project("demo", "1.0", registry, "python", f"{root}/lib"), tmp_path / "cache"
    )
    assert (workspace / "mod.py").read_text(encoding="utf-8") == "X = 1\n"
    assert (tmp_path / "cache" / "demo-1.0" / ".iquest-unpacked").exists()


def test_an_archive_that_escapes_its_folder_is_refused(tmp_path: Path) -> None:
    import io
    import tarfile

    (tmp_path / "sdists").mkdir()
    with tarfile.open(tmp_path / "sdists" / "evil-1.0.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("../../escaped.py")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(tarfile.TarError):
        projects.fetch_project(projects.Project("evil", "1.0", "pypi", "python", "evil-1.0"), tmp_path)
    assert not (tmp_path.parent / "escaped.py").exists()


def test_pinned_projects_cover_every_language_and_the_holdout_is_apart() -> None:
    assert len(projects.PROJECTS) >= 8
    assert {p.language for p in projects.PROJECTS.values()} == set(projects.LANGUAGES)
    for holdout in projects.HOLDOUTS.values():
        assert {p.language for p in holdout.values()} == set(projects.LANGUAGES)
        assert not set(projects.PROJECTS) & set(holdout)
    assert not set(projects.HOLDOUT_PROJECTS) & set(projects.SECOND_HOLDOUT_PROJECTS)


def test_parse_args_defaults_and_ablation_modes() -> None:
    args = eval_fim.parse_args([])
    assert args.model == "qwen2.5-coder-0.5b"
    assert args.modes == ["raw", "off", "on"]
    assert args.generation_timeout_ms == 60000
    assert args.tasks == SCRIPTS / "eval_tasks.json"
    assert args.kinds == list(tasks.KINDS)
    assert not args.holdout and args.limit is None
    assert eval_fim.parse_args(["--holdout"]).holdout == 1
    assert eval_fim.parse_args(["--holdout", "2"]).holdout == 2
    assert eval_fim.parse_args(["--modes", "raw", "raw+post", "on"]).modes == ["raw", raw.POST_PROCESSED, "on"]
    ablated = eval_fim.parse_args(["--modes", "on", "--ablate"])
    assert ablated.modes == ["on", *(f"on-no-{source}" for source in CONTEXT_SOURCES)]


def test_select_filters_then_limits() -> None:
    rows = [
        tasks.Task(p, "1", lang, kind, "a", 0, 0, 0, "")
        for p, lang in (("a", "python"), ("b", "rust"))
        for kind in tasks.KINDS
    ]
    args = eval_fim.parse_args(["--kinds", "mid-word", "cross-file", "--limit", "3"])
    assert [(t.project, t.kind) for t in eval_fim.select(rows, args)] == [
        ("a", "mid-word"),
        ("a", "cross-file"),
        ("b", "mid-word"),
    ]
    args = eval_fim.parse_args(["--languages", "rust", "--projects", "click"])
    assert eval_fim.select(rows, args) == []


def test_the_committed_task_list_is_big_broad_and_pinned() -> None:
    listed = tasks.read_task_list(eval_fim.TASK_LIST, projects.PROJECTS)
    assert len(listed) >= 300
    assert len({t.project for t in listed}) >= 8
    assert {t.kind for t in listed} == set(tasks.KINDS)
    assert {t.language for t in listed} == set(projects.LANGUAGES)
    assert len(set(listed)) == len(listed)
    # the interleaved order: the first 60 cover every kind and language
    assert {t.kind for t in listed[:60]} == set(tasks.KINDS)
    assert {t.language for t in listed[:60]} == set(projects.LANGUAGES)


def test_tasks_by_the_room_their_file_leaves_context(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long_file = "\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(600))
    (workspace / "long.py").write_text(long_file, encoding="utf-8")
    cut = tasks.cut_project(PKG, workspace, 1000, 1, ["whole-line"])["whole-line"]
    monkeypatch.setitem(eval_fim.ALL_PROJECTS, PKG.name, PKG)
    monkeypatch.setattr(eval_fim, "fetch_project", lambda project: workspace)
    no_room = eval_fim.by_room(cut, lambda room, floor: room == 0)
    roomy = eval_fim.by_room(cut, lambda room, floor: room > floor)
    short = [t for t in cut if t.path != "long.py"]
    assert short and set(short) <= set(roomy)
    assert no_room and {t.path for t in no_room} == {"long.py"}
    assert not set(no_room) & set(roomy)
    assert eval_fim.parse_args(["--room-over-floor"]).room_over_floor
