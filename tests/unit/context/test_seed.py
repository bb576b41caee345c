"""Tests for the seed context of refactor prompts."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.context.files import WorkspaceFiles
from lsp_server.context.secrets import REDACTED
from lsp_server.context.seed import SeedSection, build_seed_context, render_seed
from lsp_server.context.summaries import FileSummary, Symbol

TITLES = ["Project overview", "Directory tree", "Key components", "Focus files"]
PLANTED = "ghp_" + "Zq9" * 12  # a GitHub-token-shaped string, built at run time
README = f"""[![build](https://ci.example.com/badge.svg)](https://ci.example.com)
<p align="center"><img src="logo.png"></p>

# Shapes Kit

Shapes Kit draws circles and squares for the terminal.
It has no dependencies.

The deploy token is {PLANTED} and must
never reach a prompt, nor any log file.

## Install

Run pip install shapes-kit and enjoy the shapes in every colour you like.
"""


def words(text: str) -> int:
    return len(text.split())


def chars(text: str) -> int:
    return len(text)


def lumpy(text: str) -> int:
    """A counter whose count of a joined text exceeds the sum of its parts' counts."""
    return len(text) // 3 + (7 if len(text) > 150 else 0)


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def symbol(name: str, line: int = 1) -> Symbol:
    return Symbol(name, "function", f"def {name}() -> None:", f"{name} does things", line, line + 1, None)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shapes"
    write(root, "README.md", README)
    write(root, "shapes/core.py", "def area():\n    return 1\n")
    write(root, "shapes/draw.py", "from shapes.core import area\n")
    write(root, "shapes/cli.py", "import shapes.core\n")
    write(root, "shapes/big.py", "".join(f"def f{i}():\n    pass\n" for i in range(30)))
    write(root, "tests/test_core.py", "from shapes import core\n")
    focus_lines = [f"line_{i} = {i}" for i in range(200)]
    focus_lines[3] = f'API_TOKEN = "{PLANTED}"'
    write(root, "shapes/focus.py", "\n".join(focus_lines) + "\n")
    return root


def summaries_for(root: Path) -> dict[str, FileSummary]:
    def summary(rel: str, imports: tuple[str, ...], names: list[str]) -> FileSummary:
        return FileSummary(rel, "python", imports, tuple(symbol(n, i * 3 + 1) for i, n in enumerate(names)))

    return {
        "shapes/core.py": summary("shapes/core.py", (), ["area"]),
        "shapes/draw.py": summary("shapes/draw.py", ("shapes.core",), ["draw"]),
        "shapes/cli.py": summary("shapes/cli.py", ("shapes.core", "argparse"), ["main"]),
        "shapes/big.py": summary("shapes/big.py", ("os",), [f"f{i}" for i in range(30)]),
        "tests/test_core.py": summary("tests/test_core.py", ("shapes.core.area",), ["test_area"]),
        "shapes/focus.py": summary("shapes/focus.py", (), ["line_0"]),
    }


def build(root: Path, budget: int, count=words, **kwargs) -> list[SeedSection]:
    files = WorkspaceFiles([root])
    kwargs.setdefault("focus", [root / "shapes" / "focus.py"])
    return build_seed_context(files, summaries_for(root), count_tokens=count, budget=budget, **kwargs)


def test_sections_present_in_order_with_counted_tokens(project: Path) -> None:
    sections = build(project, 4000)
    assert [s.title for s in sections] == TITLES
    assert all(s.text and s.tokens == words(s.text) for s in sections)
    rendered = render_seed(sections)
    assert rendered.startswith("## Project overview\n\n### Shapes Kit")
    assert [line for line in rendered.splitlines() if line.startswith("## ")] == [f"## {t}" for t in TITLES]


@pytest.mark.parametrize("count", [words, chars, lumpy])
@pytest.mark.parametrize("budget", [0, 1, 5, 20, 60, 150, 400, 1000, 3000, 20000])
def test_total_never_exceeds_budget(project: Path, count, budget: int) -> None:
    sections = build(project, budget, count=count)
    assert sum(count(s.text) for s in sections) <= budget
    assert all(s.tokens == count(s.text) for s in sections)
    if sections and count is not lumpy:
        assert count(render_seed(sections)) <= budget  # headers are paid for too
    assert all(not s.text.endswith(" ") for s in sections)  # no line cut mid-way
    if budget >= 400:
        assert sections, "a usable budget yields some context"


def test_readme_title_and_first_paragraphs_are_used_without_badges(project: Path) -> None:
    overview = build(project, 4000)[0]
    assert overview.text.startswith("### Shapes Kit\n\nShapes Kit draws circles and squares for the terminal.")
    assert "#### Install" in overview.text  # README headings sit below the section header
    assert "badge.svg" not in overview.text and "<p" not in overview.text
    small = build(project, 120, shares={"overview": 0.2})[0]
    assert small.title == "Project overview"
    assert small.text.startswith("### Shapes Kit") and "Install" not in small.text


def test_overview_is_cut_at_paragraph_ends(project: Path) -> None:
    only_overview = {"overview": 1, "tree": 0, "components": 0, "focus": 0}
    full = build(project, 5000, count=chars, shares=only_overview)[0].text
    paragraphs = full.split("\n\n")
    assert len(paragraphs) >= 4
    for budget in range(60, len(full) + 40, 5):
        text = build(project, budget, count=chars, shares=only_overview)[0].text
        within_first = full.startswith(text) and len(text) <= len("\n\n".join(paragraphs[:2]))
        assert within_first or text in {"\n\n".join(paragraphs[:k]) for k in range(2, len(paragraphs) + 1)}


def test_overview_falls_back_to_the_manifest(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    write(root, "pyproject.toml", '[project]\nname = "plain-tool"\ndescription = "Does plain things."\n')
    write(root, "plain.py", "x = 1\n")
    sections = build_seed_context(WorkspaceFiles([root]), {}, count_tokens=words, budget=500)
    assert sections[0].text == "Project: plain-tool\n\nDoes plain things."
    go_root = tmp_path / "goproj"
    write(go_root, "go.mod", "module github.com/acme/widget\n\ngo 1.22\n")
    sections = build_seed_context(WorkspaceFiles([go_root]), {}, count_tokens=words, budget=500)
    assert sections[0].text == "Project: github.com/acme/widget"


@pytest.mark.parametrize("budget", [40, 80, 200, 600, 5000])
def test_planted_secret_never_appears(project: Path, budget: int) -> None:
    write(project, "shapes/creds.py", f"PASSWORD = 'hunter2hunter2'\nKEY = '{PLANTED}'\n")
    focus = [project / "shapes" / "focus.py", project / "shapes" / "creds.py"]
    sections = build(project, budget, count=chars, focus=focus)
    rendered = render_seed(sections)
    assert PLANTED not in rendered and "hunter2hunter2" not in rendered
    if budget == 5000:
        assert f'API_TOKEN = "{REDACTED}"' in rendered


def test_secret_focus_files_are_skipped(project: Path) -> None:
    env = write(project, ".env", "DATABASE_URL=postgres://u:pw@h/db\n")
    sections = build(project, 2000, focus=[env])
    assert "Focus files" not in [s.title for s in sections]
    assert "pw@h" not in render_seed(sections)


def test_most_imported_file_ranks_first_then_symbol_count(project: Path) -> None:
    components = next(s for s in build(project, 4000) if s.title == "Key components")
    headers = [line for line in components.text.splitlines() if line.startswith("### ")]
    assert headers[0] == "### shapes/core.py (imported by 3 files)"
    assert headers[1] == "### shapes/big.py"  # most symbols among the files nobody imports
    assert all("focus.py" not in h for h in headers)  # focus files are shown whole instead


def test_components_shrink_to_fit(project: Path) -> None:
    components = next(s for s in build(project, 200, shares={"components": 0.9}) if s.title == "Key components")
    assert "more symbols" in components.text or "big.py" not in components.text


@pytest.mark.parametrize("section", ["components", "focus"])
def test_joined_text_is_what_counts(project: Path, section: str) -> None:
    def join_taxing(text: str) -> int:  # joining two chunks costs far more than the chunks alone
        return len(text) + 60 * text.count("\n\n###")

    second = write(project, "shapes/second.py", "a = 1\nb = 2\n")
    shares = {name: 1.0 if name == section else 0.0 for name in ("overview", "tree", "components", "focus")}
    for budget in range(100, 700, 25):
        sections = build(
            project, budget, count=join_taxing, shares=shares, focus=[project / "shapes" / "focus.py", second]
        )
        assert sum(join_taxing(s.text) for s in sections) <= budget


def test_focus_file_cut_by_whole_lines_with_header(project: Path) -> None:
    focus = build(project, 400)[-1]
    assert focus.title == "Focus files"
    lines = focus.text.splitlines()
    assert lines[0] == "### shapes/focus.py"
    assert lines[1] == "```python" and lines[-1] == "```"
    assert lines[2] == "line_0 = 0"
    assert lines[-2].startswith("... (") and lines[-2].endswith(" more lines)")
    kept = lines[2:-2]
    assert 0 < len(kept) < 200 and all(line.startswith(("line_", "API_TOKEN")) for line in kept)


def test_unused_budget_flows_to_later_sections(project: Path) -> None:
    with_focus = build(project, 600)
    without_focus = build(project, 600, focus=[])
    assert "Focus files" not in [s.title for s in without_focus]
    components = {s.title: s.tokens for s in without_focus}["Key components"]
    assert components > {s.title: s.tokens for s in with_focus}["Key components"]
    assert components > 0.35 * 600


def test_tree_collapses_crowded_directories_and_fits_tight_budgets(project: Path) -> None:
    for i in range(60):
        write(project, f"generated/g{i:02}.py", "x = 1\n")
    roomy = next(s for s in build(project, 20000) if s.title == "Directory tree")
    assert "generated/ (60 files)" in roomy.text and "g42.py" not in roomy.text
    assert "shapes/ (5 files)\n  big.py\n  cli.py" in roomy.text
    only_tree = {"overview": 0, "components": 0, "focus": 0, "tree": 1}
    tight = build(project, 80, count=chars, shares=only_tree)
    assert [s.title for s in tight] == ["Directory tree"]
    assert tight[0].text == "generated/ (60 files)\nshapes/ (5 files)\ntests/ (1 file)"


def test_shares_can_drop_a_section_and_unknown_names_are_rejected(project: Path) -> None:
    assert "Directory tree" not in [s.title for s in build(project, 2000, shares={"tree": 0})]
    with pytest.raises(ValueError):
        build(project, 2000, shares={"tre": 0.5})


def test_render_seed_format() -> None:
    sections = [SeedSection("A", "one", 1), SeedSection("B", "two\nlines", 2)]
    assert render_seed(sections) == "## A\n\none\n\n## B\n\ntwo\nlines"
    assert render_seed([]) == ""


def test_huge_focus_file_is_never_counted_whole(project: Path) -> None:
    huge = write(project, "shapes/huge.py", "value = 1  # padding padding padding\n" * 25_000)
    counted: list[int] = []

    def counting(text: str) -> int:
        counted.append(len(text))
        return len(text.split())

    sections = build(project, 1000, count=counting, focus=[huge])
    assert sections[-1].title == "Focus files" and "more lines)" in sections[-1].text
    assert huge.stat().st_size > 900_000
    assert max(counted) < 100_000


@pytest.mark.parametrize(
    ("language", "central", "importers"),
    [
        (
            "typescript",
            "web/utils/helpers.ts",
            {"web/app.ts": "./utils/helpers", "web/pages/home.ts": "../utils/helpers"},
        ),
        (
            "go",
            "internal/store/db.go",
            {"cmd/main.go": "github.com/acme/app/internal/store", "api/h.go": "acme/internal/store"},
        ),
        ("rust", "src/store/mod.rs", {"src/main.rs": "crate::store::Db", "src/api.rs": "mod store"}),
        ("c", "src/util/strbuf.h", {"src/main.c": "util/strbuf.h", "src/io.c": "strbuf.h"}),
        (
            "java",
            "src/main/java/com/acme/Repo.java",
            {"src/main/java/com/acme/App.java": "com.acme.Repo", "src/main/java/com/acme/Web.java": "com.acme.Repo"},
        ),
    ],
)
def test_imports_are_matched_across_languages(
    tmp_path: Path, language: str, central: str, importers: dict[str, str]
) -> None:
    summaries = {
        central: FileSummary(central, language, (), (symbol("core"),)),
        "big/many.x": FileSummary("big/many.x", language, (), tuple(symbol(f"s{i}") for i in range(9))),
        **{rel: FileSummary(rel, language, (spec,), (symbol("user"),)) for rel, spec in importers.items()},
    }
    root = tmp_path / "proj"
    root.mkdir()
    sections = build_seed_context(WorkspaceFiles([root]), summaries, count_tokens=words, budget=3000)
    components = next(s for s in sections if s.title == "Key components")
    assert components.text.startswith(f"### {central} (imported by 2 files)\n")
