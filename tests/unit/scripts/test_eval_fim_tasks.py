"""scripts/fim_eval/: tree-sitter task cutting, the task list round trip, the order, the raw prompt
(no model, no network)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lsp_server.settings import CONTEXT_SOURCES

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))

from fim_eval import projects, raw, server, tasks  # noqa: E402  (needs the path above)

JS_UTIL = """export function formatName(first, last) {
  return first + ' ' + last;
}
"""

JS_MAIN = """import { formatName as fmt } from './util';
const helpers = require('./helpers.js');
const path = require('path');

export function greet(person) {
  const label = fmt(person.first, person.last);
  if (label.length > 0) {
    console.log(label);
    return helpers.shout(label);
  }
  const joined = path.join(person.home, label); // trailing comment here
  return label;
}
"""

JS_HELPERS = """module.exports.shout = function shout(text) {
  return text.toUpperCase() + '!';
};
"""

TS_MAIN = """import { Options } from './options';

export function build(options: Options, count: number): string[] {
  const result: string[] = [];
  for (let index = 0; index < count; index++) {
    result.push(options.prefix + String(index));
  }
  return result;
}
"""

TS_OPTIONS = """export interface Options {
  prefix: string;
}
"""

RUST_LIB = """mod value;
use crate::value::{Value, parse_value as parse};

pub fn load(data: &str) -> Option<Value> {
    let parsed = parse(data)?;
    if parsed.is_empty() {
        return None;
    }
    Some(parsed)
}
"""

RUST_VALUE = """pub struct Value {
    pub text: String,
}

pub fn parse_value(data: &str) -> Option<Value> {
    Some(Value { text: data.to_string() })
}
"""


def _project(tmp_path: Path, language: str, files: dict[str, str]) -> tuple[projects.Project, Path]:
    workspace = tmp_path / "ws"
    for name, text in files.items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(text, encoding="utf-8")
    return projects.Project("demo", "1.0", "npm", language, "ws"), workspace


def _cases(project: projects.Project, workspace: Path, seed: int = 1) -> dict[str, list[tasks.Case]]:
    cut = tasks.cut_project(project, workspace, 1000, seed)
    return {kind: tasks.load_cases(found, workspace) for kind, found in cut.items()}


def _at(cases: list[tasks.Case], path: str, line_text: str, workspace: Path) -> tasks.Case:
    line = (workspace / path).read_text(encoding="utf-8").split("\n").index(line_text)
    [case] = [c for c in cases if c.task.path == path and c.task.line == line]
    return case


def test_javascript_kinds(tmp_path: Path) -> None:
    project, workspace = _project(
        tmp_path, "javascript", {"util.js": JS_UTIL, "main.js": JS_MAIN, "helpers.js": JS_HELPERS}
    )
    cases = _cases(project, workspace)
    whole = _at(cases["whole-line"], "main.js", "  const label = fmt(person.first, person.last);", workspace)
    assert (whole.task.character, whole.expected) == (2, "const label = fmt(person.first, person.last);")
    multi = _at(cases["multi-line"], "main.js", "    console.log(label);", workspace)
    assert multi.expected == "console.log(label);\n    return helpers.shout(label);"
    assert multi.document.split("\n")[multi.task.line : multi.task.line + 2] == ["    ", "  }"]
    # the alias of an import and a require of a project file are cross-file; `path` (a package) is not
    cross = {c.expected for c in cases["cross-file"] if c.task.path == "main.js"}
    assert cross == {"fmt(person.first, person.last);", "helpers.shout(label);"}
    for kind in ("whole-line", "mid-word", "mid-punct"):
        assert not any(
            "trailing comment" in (workspace / c.task.path).read_text().split("\n")[c.task.line] for c in cases[kind]
        )
    for case in cases["mid-punct"]:
        line = (workspace / case.task.path).read_text().split("\n")[case.task.line]
        assert line[: case.task.character].rstrip()[-1] in "=([{.,:>"
        assert line[case.task.character :] == case.expected


def test_typescript_type_imports_and_blocks(tmp_path: Path) -> None:
    project, workspace = _project(
        tmp_path, "typescript", {"build.ts": TS_MAIN, "options.ts": TS_OPTIONS, "types.d.ts": "export type X = 1;\n"}
    )
    cases = _cases(project, workspace)
    assert all(c.task.path != "types.d.ts" for found in cases.values() for c in found)
    multi = _at(cases["multi-line"], "build.ts", "  const result: string[] = [];", workspace)
    assert multi.expected.split("\n")[-1].strip() in ("}", "return result;")
    # the loop's body is one line: too short for a multi-line task
    assert [c.expected for c in cases["multi-line"] if c.expected.startswith("result.push")] == []
    assert [c.task.kind for c in cases["whole-line"]] and all(
        c.task.language == "typescript" for c in cases["whole-line"]
    )
    # `Options` is only used in the signature, outside any block: no cross-file task
    assert cases["cross-file"] == []


def test_rust_use_of_crate_items_is_cross_file(tmp_path: Path) -> None:
    project, workspace = _project(tmp_path, "rust", {"lib.rs": RUST_LIB, "value.rs": RUST_VALUE})
    cases = _cases(project, workspace)
    cross = [c for c in cases["cross-file"] if c.task.path == "lib.rs"]
    assert [c.expected for c in cross] == ["parse(data)?;"]
    assert cross[0].document.split("\n")[cross[0].task.line] == "    let parsed = "
    value = _at(cases["whole-line"], "value.rs", "    Some(Value { text: data.to_string() })", workspace)
    assert value.task.character == 4
    multi = _at(cases["multi-line"], "lib.rs", "    let parsed = parse(data)?;", workspace)
    assert multi.expected.startswith("let parsed = parse(data)?;\n    if parsed.is_empty() {")


@pytest.mark.parametrize("language", ["javascript", "rust"])
def test_mid_word_is_strictly_inside_an_identifier(tmp_path: Path, language: str) -> None:
    files = (
        {"util.js": JS_UTIL, "main.js": JS_MAIN}
        if language == "javascript"
        else {"lib.rs": RUST_LIB, "value.rs": RUST_VALUE}
    )
    project, workspace = _project(tmp_path, language, files)
    for seed in range(5):
        found = _cases(project, workspace, seed)["mid-word"]
        assert found
        for case in found:
            line = (workspace / case.task.path).read_text().split("\n")[case.task.line]
            column = case.task.character
            word = lambda ch: ch.isalnum() or ch in "_$"  # noqa: E731
            assert word(line[column - 1]) and word(line[column]) and word(line[column + 1]), (line, column)
            assert line[column:] == case.expected


def test_cutting_is_deterministic_and_the_seed_matters(tmp_path: Path) -> None:
    project, workspace = _project(tmp_path, "rust", {"lib.rs": RUST_LIB, "value.rs": RUST_VALUE})
    assert tasks.cut_project(project, workspace, 2, seed=5) == tasks.cut_project(project, workspace, 2, seed=5)
    picks = {
        tuple(t.character for t in tasks.cut_project(project, workspace, 3, seed=s, kinds=["mid-word"])["mid-word"])
        for s in range(10)
    }
    assert len(picks) > 1


def test_utf8_columns_are_characters_not_bytes(tmp_path: Path) -> None:
    source = (
        "export function f(name) {\n  const greeting = 'héllo wörld' + name;\n  return greeting.toUpperCase();\n}\n"
    )
    project, workspace = _project(tmp_path, "javascript", {"a.js": source})
    cases = _cases(project, workspace)
    for case in cases["mid-punct"] + cases["mid-word"]:
        line = source.split("\n")[case.task.line]
        assert line[case.task.character :] == case.expected


def _task(**changes) -> tasks.Task:
    fields = {
        "project": "click",
        "version": "8.1.7",
        "language": "python",
        "kind": "whole-line",
        "path": "a.py",
        "line": 1,
        "character": 4,
        "end_line": 1,
        "sha256": tasks.sha256_text("def f():\n    return 1\n"),
    }
    return tasks.Task(**{**fields, **changes})


def test_task_list_round_trip_and_sha256_check(tmp_path: Path) -> None:
    listed = [_task(), _task(kind="mid-word", character=6)]
    path = tmp_path / "tasks.json"
    tasks.write_task_list(path, listed, seed=3, per_kind=2)
    assert tasks.read_task_list(path, projects.PROJECTS) == listed
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "a.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    [case, _] = tasks.load_cases(listed, tmp_path / "ws")
    assert (case.expected, case.document) == ("return 1", "def f():\n    \n")
    (tmp_path / "ws" / "a.py").write_text("def f():\n    return 2\n", encoding="utf-8")
    with pytest.raises(tasks.TaskListError, match=r"click 8.1.7 a.py: sha256 .* differs .* --write-tasks"):
        tasks.load_cases(listed, tmp_path / "ws")
    (tmp_path / "ws" / "a.py").unlink()
    with pytest.raises(tasks.TaskListError, match="missing"):
        tasks.load_cases(listed, tmp_path / "ws")


def test_task_list_with_an_unpinned_version_or_bad_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    tasks.write_task_list(path, [_task(version="0.1")], seed=3, per_kind=2)
    with pytest.raises(tasks.TaskListError, match="click 0.1 is not a pinned project"):
        tasks.read_task_list(path, projects.PROJECTS)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(tasks.TaskListError, match="not a task list"):
        tasks.read_task_list(path, projects.PROJECTS)


def test_interleave_spreads_projects_and_kinds() -> None:
    cut = {
        name: {kind: [_task(project=name, kind=kind, line=i) for i in range(2)] for kind in tasks.KINDS}
        for name in ("a", "b", "c")
    }
    ordered = tasks.interleave(cut, ["a", "b", "c"])
    assert len(ordered) == 30 and len(set(ordered)) == 30
    assert [t.project for t in ordered[:6]] == ["a", "b", "c", "a", "b", "c"]
    for start in (0, 5, 10):
        assert {t.kind for t in ordered[start : start + 5]} == set(tasks.KINDS)
    assert {t.kind for t in ordered if t.project == "a"} == set(tasks.KINDS)
    assert {t.kind for t in ordered[:15] if t.project == "a"} == set(
        tasks.KINDS
    )  # each project rotates through the kinds
    # a project that has none of a kind takes the next
    cut["a"]["whole-line"] = []
    assert ordered[0].kind == "whole-line" and tasks.interleave(cut, ["a", "b", "c"])[0].kind == "mid-word"


def test_language_order_alternates_languages() -> None:
    chosen = [p.language for p in tasks.language_order(projects.PROJECTS.values())]
    assert chosen[:4] == list(projects.LANGUAGES)


def _case(document: str, line: int, character: int, kind: str = "whole-line", expected: str = "x") -> tasks.Case:
    return tasks.Case(_task(kind=kind, line=line, character=character), document, expected)


def test_raw_windows_are_the_last_3000_and_first_1000_characters() -> None:
    document = "a" * 5000 + "\n" + "b" * 10 + "c" * 2000
    before, after = raw.windows(_case(document, 1, 10))
    assert before == ("a" * 5000 + "\n" + "b" * 10)[-3000:] and len(before) == 3000
    assert after == "c" * 1000
    before, after = raw.windows(_case("xy\nz", 0, 1))
    assert (before, after) == ("x", "y\nz")


def test_raw_prompt_tokenizes_only_the_markers_as_special() -> None:
    calls = []

    def tokenize(text: str, special: bool) -> list[int]:
        calls.append((text, special))
        return [1000 + len(calls)] if special else [ord(ch) for ch in text]

    tokens = raw.prompt_tokens(tokenize, "ab", "c", bos=[1])
    assert calls == [
        ("<|fim_prefix|>", True),
        ("ab", False),
        ("<|fim_suffix|>", True),
        ("c", False),
        ("<|fim_middle|>", True),
    ]
    assert tokens == [1, 1001, 97, 98, 1003, 99, 1005]
    assert raw.prompt_tokens(tokenize, "", "", bos=[])[0] != 1


def test_raw_suggestion_is_the_first_line_or_as_many_lines_as_expected() -> None:
    assert raw.cut_suggestion(_case("", 0, 0), "foo()\nbar()") == "foo()"
    multi = _case("", 0, 0, kind="multi-line", expected="a = 1\n    b = 2")
    assert raw.cut_suggestion(multi, "a = 1\n    b = 2\n    c = 3") == "a = 1\n    b = 2"
    assert raw.wanted_lines(multi) == 2


def test_server_options_per_mode() -> None:
    off = server.server_options("off", "m", 60000)
    assert (
        off["repoContext"] is False
        and off["speculate"] is False
        and off["warmUp"] is False
        and off["auditLog"] is False
    )
    assert off["generationTimeoutMs"] == 60000 and "contextSources" not in off
    assert server.server_options("on", "m", 1)["repoContext"] is True
    ablated = server.server_options("on-no-recent", "m", 1)
    assert ablated["repoContext"] is True and ablated["contextSources"] == [s for s in CONTEXT_SOURCES if s != "recent"]
    with pytest.raises(ValueError):
        server.server_options("on-no-weather", "m", 1)


def test_utf16_column() -> None:
    assert server.utf16_column("ab = 1", 3) == 3
    assert server.utf16_column("s = '𝄞' + x", 9) == 10


def test_server_options_from_the_command_line() -> None:
    import eval_fim

    args = eval_fim.parse_args(
        ["--server-option", "maxPromptTokens=512", "--server-option", "contextLayout=repo-tokens"]
    )
    assert args.server_options == {"maxPromptTokens": 512, "contextLayout": "repo-tokens"}
    with pytest.raises(SystemExit):
        eval_fim.parse_args(["--server-option", "maxPromptTokens"])
