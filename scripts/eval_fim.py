"""Does repository context help? FIM quality on real PyPI projects, repoContext off vs on.

Fetches pure-Python sdists from PyPI (once, into ~/.cache/iquest-lsp/eval/), cuts completion tasks
out of their source with a seeded RNG, and runs each task through the real server over LSP twice:
once with ``repoContext: false`` and once with ``repoContext: true`` (same model, one server per
repository and mode). Four task kinds:

    single-line  cursor at the start of a statement's code inside a function; expected = that line
    mid-line     cursor after an ``=``, ``(`` or ``.`` on such a line; expected = the rest of the line
                 (lines with a trailing comment are skipped for these and the next kind)
    multi-line   cursor at the start of a function body (after its docstring); expected = 2-6 lines
    cross-file   a line in a function that uses a name imported from another module of the project
                 (``from .x import Name``); cursor just before that name; expected = the rest of the line

The document sent is the real file (opened under its real path's URI) with the expected text removed;
what follows the hole stays. Scores: exact match of the first line (trailing whitespace stripped) and
edit similarity (difflib ratio of the stripped expected text vs the stripped suggestion cut to as many
lines as expected), per kind and mode, plus p50 latency.

    .venv/bin/python scripts/eval_fim.py [--model qwen2.5-coder-0.5b] [--tasks-per-kind 16]
        [--seed 13] [--repos click httpx rich] [--kinds single-line cross-file] [--json results.json]
        [--server-log server.log]

``--tasks-per-kind`` counts over all repositories (shared out in turn). Measured on the 2-core dev
box with the 0.5B model: a request takes ~5-7 s with repoContext off (~950 prompt tokens) and
~9-12 s with it on (~1650), so the default run (16 per kind: 64 tasks x 2 modes over click, httpx,
rich) takes about 18 minutes; 8 per kind took 9 minutes. When the box is busy, requests get 2-3x
slower and some hit the 20 s generationTimeoutMs (the "timeouts" column; such a request usually
scores as empty). Sdists are fetched once (seconds); each server's model load and index take seconds.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import difflib
import io
import json
import random
import statistics
import subprocess
import sys
import tarfile
import time
import tokenize
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

CACHE = Path.home() / ".cache" / "iquest-lsp" / "eval"
KINDS = ("single-line", "mid-line", "multi-line", "cross-file")
MIN_CODE = 8  # characters of code a chosen line needs


@dataclass(frozen=True)
class Repo:
    """A PyPI sdist and the folder inside it that holds the package's source (the workspace)."""

    name: str
    version: str
    source: str  # relative to the unpacked sdist

    @property
    def folder(self) -> str:
        return f"{self.name}-{self.version}"


REPOS: dict[str, Repo] = {
    "click": Repo("click", "8.1.7", "src/click"),
    "httpx": Repo("httpx", "0.27.0", "httpx"),
    "rich": Repo("rich", "13.7.1", "rich"),
    "attrs": Repo("attrs", "23.2.0", "src/attr"),
}
DEFAULT_REPOS = ("click", "httpx", "rich")


@dataclass(frozen=True)
class Task:
    """One hole: ``document`` is the file with ``expected`` removed at ``line``/``character`` (0-based, str index)."""

    repo: str
    kind: str
    path: str  # relative to the workspace
    line: int
    character: int
    expected: str
    document: str


@dataclass
class Result:
    task: Task
    mode: str
    suggestion: str
    latency_ms: float
    exact: bool
    similarity: float
    error: str = ""
    stop_reason: str = ""  # the server's last generation: "deadline" means generationTimeoutMs ran out
    prompt_tokens: int = 0


# --------------------------------------------------------------------------- fetching


def fetch_repo(repo: Repo, cache: Path = CACHE) -> Path:
    """Download and unpack the sdist once; return the workspace (the package's source folder)."""
    target = cache / repo.folder
    marker = target / ".iquest-unpacked"
    if not marker.exists():
        sdists = cache / "sdists"
        sdists.mkdir(parents=True, exist_ok=True)
        archive = _find_sdist(sdists, repo)
        if archive is None:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--quiet",
                 f"{repo.name}=={repo.version}", "-d", str(sdists)],
                check=True,
            )
            archive = _find_sdist(sdists, repo)
            if archive is None:
                raise SystemExit(f"pip download gave no sdist for {repo.name}=={repo.version} in {sdists}")
        with tarfile.open(archive) as tar:
            tar.extractall(cache, filter="data")
        if not target.is_dir():
            raise SystemExit(f"{archive} did not unpack into {target}")
        marker.write_text(f"{repo.name}=={repo.version}\n", encoding="utf-8")
    workspace = target / repo.source
    if not workspace.is_dir():
        raise SystemExit(f"{workspace} is missing: is {repo.source!r} the source folder of {repo.folder}?")
    return workspace


def _find_sdist(folder: Path, repo: Repo) -> Path | None:
    for candidate in sorted(folder.glob("*.tar.gz")):
        stem = candidate.name[: -len(".tar.gz")]
        if stem.replace("_", "-").lower() == repo.folder.replace("_", "-").lower():
            return candidate
    return None


# --------------------------------------------------------------------------- task cutting


@dataclass
class _Parsed:
    path: str
    lines: list[str]
    tree: ast.Module
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=list)
    statement_lines: dict[int, int] = field(default_factory=dict)  # 0-based line -> code column, inside functions
    commented: set[int] = field(default_factory=set)  # 0-based lines with a comment


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _parse(workspace: Path, file: Path) -> _Parsed | None:
    try:
        text = file.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return None
    parsed = _Parsed(file.relative_to(workspace).as_posix(), text.split("\n"), tree)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parsed.functions.append(node)
            for inner in ast.walk(node):
                if inner is node or not isinstance(inner, ast.stmt) or _is_docstring(inner):
                    continue
                line = inner.lineno - 1
                code = parsed.lines[line]
                # the statement must start the line's code (not `a = 1; b = 2`, not `if x: y`)
                if inner.col_offset == len(code) - len(code.lstrip()):
                    parsed.statement_lines[line] = inner.col_offset
    parsed.functions.sort(key=lambda f: (f.lineno, f.col_offset))
    parsed.commented = {line for line, tokens in _line_tokens(parsed).items() if any(t.type == tokenize.COMMENT for t in tokens)}
    return parsed


def _code_ok(line: str) -> bool:
    code = line.strip()
    return len(code) >= MIN_CODE and not code.startswith("#")


def _hole(lines: list[str], line: int, character: int, end_line: int | None = None) -> tuple[str, str]:
    """(document without the hole, expected): the hole runs from line:character to the end of end_line."""
    end_line = line if end_line is None else end_line
    expected = "\n".join([lines[line][character:], *lines[line + 1 : end_line + 1]])
    document = "\n".join([*lines[:line], lines[line][:character], *lines[end_line + 1 :]])
    return document, expected


def _make(repo: str, kind: str, parsed: _Parsed, line: int, character: int, end_line: int | None = None) -> Task:
    document, expected = _hole(parsed.lines, line, character, end_line)
    return Task(repo, kind, parsed.path, line, character, expected.rstrip(), document)


def _single_line(repo: str, parsed: _Parsed, rng: random.Random) -> list[Task]:
    return [
        _make(repo, "single-line", parsed, line, column)
        for line, column in sorted(parsed.statement_lines.items())
        if _code_ok(parsed.lines[line]) and line not in parsed.commented
    ]


def _line_tokens(parsed: _Parsed) -> dict[int, list[tokenize.TokenInfo]]:
    by_line: dict[int, list[tokenize.TokenInfo]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO("\n".join(parsed.lines)).readline):
            by_line.setdefault(token.start[0] - 1, []).append(token)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return {}
    return by_line


def _mid_line(repo: str, parsed: _Parsed, rng: random.Random) -> list[Task]:
    tokens = _line_tokens(parsed)
    tasks = []
    for line, column in sorted(parsed.statement_lines.items()):
        text = parsed.lines[line]
        if not _code_ok(text) or line in parsed.commented:
            continue
        cuts = []
        for token in tokens.get(line, []):
            if token.type == tokenize.OP and token.string in ("=", "(", ".") and token.end[0] - 1 == line:
                cut = token.end[1]
                cut += len(text[cut:]) - len(text[cut:].lstrip(" "))  # the cursor sits after `= `, not before the space
                if cut > column and len(text[cut:].strip()) >= 3:
                    cuts.append(cut)
        if cuts:
            tasks.append(_make(repo, "mid-line", parsed, line, rng.choice(cuts)))
    return tasks


def _multi_line(repo: str, parsed: _Parsed, rng: random.Random) -> list[Task]:
    tasks = []
    for function in parsed.functions:
        body = function.body[1:] if _is_docstring(function.body[0]) else function.body
        if not body:
            continue
        start = body[0].lineno - 1
        if start <= function.lineno - 1 or start not in parsed.statement_lines:
            continue  # `def f(): return 1` on one line
        if not _code_ok(parsed.lines[start]):
            continue
        ends = [stmt.end_lineno - 1 for stmt in body if 2 <= stmt.end_lineno - start <= 6]
        if not ends:
            continue
        end = rng.choice(ends)
        tasks.append(_make(repo, "multi-line", parsed, start, parsed.statement_lines[start], end))
    return tasks


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _bound_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names a function (or anything nested in it) binds: parameters, assignment targets, nested defs."""
    names: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not function:
            names.add(node.name)
    return names


def _resolve_module(workspace: Path, file: str, node: ast.ImportFrom) -> str | None:
    """The workspace-relative path of the module ``node`` imports from, if it is a file of the workspace."""
    if node.level:
        base = (workspace / file).parent
        for _ in range(node.level - 1):
            base = base.parent
        parts = node.module.split(".") if node.module else []
    else:
        parts = (node.module or "").split(".")
        if not parts or parts[0] != workspace.name:
            return None
        base, parts = workspace, parts[1:]
    if not parts:
        return None
    for candidate in (base.joinpath(*parts).with_suffix(".py"), base.joinpath(*parts, "__init__.py")):
        try:
            relative = candidate.resolve().relative_to(workspace.resolve())
        except ValueError:
            return None
        if candidate.is_file():
            return relative.as_posix()
    return None


def _cross_file(repo: str, parsed: _Parsed, rng: random.Random, workspace: Path, modules: dict[str, _Parsed]) -> list[Task]:
    imported: dict[str, str] = {}  # local name -> module path
    for node in ast.walk(parsed.tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        module = _resolve_module(workspace, parsed.path, node)
        if module is None or module == parsed.path or module not in modules:
            continue
        defined = _top_level_names(modules[module].tree)
        for alias in node.names:
            if alias.name in defined:
                imported[alias.asname or alias.name] = module
    if not imported:
        return []
    first_use: dict[int, int] = {}  # 0-based line -> column of the first imported name on it
    for function in parsed.functions:
        shadowed = _bound_names(function)  # a parameter or local variable with the same name is not the import
        for stmt in function.body:
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in imported and node.id not in shadowed:
                    line = node.lineno - 1
                    if node.col_offset < first_use.get(line, 1 << 30):
                        first_use[line] = node.col_offset
    tasks = []
    for line, column in sorted(first_use.items()):
        text = parsed.lines[line]
        if _code_ok(text) and line not in parsed.commented and text[column:].strip():
            tasks.append(_make(repo, "cross-file", parsed, line, column))
    return tasks


def python_files(workspace: Path) -> list[Path]:
    return sorted(p for p in workspace.rglob("*.py") if not any(part.startswith(".") for part in p.relative_to(workspace).parts))


def share(total: int, parts: int, index: int) -> int:
    """How many of ``total`` tasks the ``index``-th of ``parts`` repositories gets (the first ones get the rest)."""
    return total // parts + (index < total % parts)


def cut_tasks(repo: str, workspace: Path, per_kind: int, seed: int, kinds: Sequence[str] = KINDS) -> list[Task]:
    """Up to ``per_kind`` tasks of each kind from the Python files under ``workspace``; same seed, same tasks."""
    modules = {parsed.path: parsed for parsed in (_parse(workspace, f) for f in python_files(workspace)) if parsed}
    tasks: list[Task] = []
    for kind in kinds:
        rng = random.Random(f"{seed}:{repo}:{kind}")
        pool: list[Task] = []
        for path in sorted(modules):
            parsed = modules[path]
            if kind == "single-line":
                pool += _single_line(repo, parsed, rng)
            elif kind == "mid-line":
                pool += _mid_line(repo, parsed, rng)
            elif kind == "multi-line":
                pool += _multi_line(repo, parsed, rng)
            elif kind == "cross-file":
                pool += _cross_file(repo, parsed, rng, workspace, modules)
            else:
                raise ValueError(f"unknown task kind {kind!r} (known: {', '.join(KINDS)})")
        tasks += rng.sample(pool, min(per_kind, len(pool)))
    return tasks


# --------------------------------------------------------------------------- scoring


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip()


def exact_match(expected: str, suggestion: str) -> bool:
    """The suggestion's first line equals the expected first line (trailing whitespace ignored)."""
    return first_line(expected) == first_line(suggestion)


def edit_similarity(expected: str, suggestion: str) -> float:
    """difflib ratio of the stripped texts; the suggestion is cut to as many lines as expected."""
    wanted = expected.strip()
    lines = len(wanted.split("\n"))
    got = "\n".join(suggestion.strip().split("\n")[:lines]).strip()
    if not wanted and not got:
        return 1.0
    return difflib.SequenceMatcher(None, wanted, got).ratio()


def score(task: Task, mode: str, suggestion: str, latency_ms: float, error: str = "", stop_reason: str = "", prompt_tokens: int = 0) -> Result:
    return Result(
        task, mode, suggestion, latency_ms, exact_match(task.expected, suggestion), edit_similarity(task.expected, suggestion),
        error, stop_reason, prompt_tokens,
    )


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summarize(results: Iterable[Result]) -> dict[tuple[str, str], dict[str, float]]:
    """(kind, mode) -> tasks, exact %, mean similarity, p50 ms; kind "all" sums the kinds."""
    groups: dict[tuple[str, str], list[Result]] = {}
    for result in results:
        groups.setdefault((result.task.kind, result.mode), []).append(result)
        groups.setdefault(("all", result.mode), []).append(result)
    return {
        key: {
            "tasks": len(group),
            "exact": 100.0 * sum(r.exact for r in group) / len(group),
            "similarity": statistics.fmean(r.similarity for r in group),
            "p50_ms": percentile([r.latency_ms for r in group], 0.5),
            "timeouts": sum(r.stop_reason == "deadline" for r in group),
            "prompt_tokens": statistics.fmean(r.prompt_tokens for r in group),
        }
        for key, group in groups.items()
    }


def format_table(summary: dict[tuple[str, str], dict[str, float]]) -> str:
    kinds = [k for k in (*KINDS, "all") if any(key[0] == k for key in summary)]
    out = [f"{'kind':<12} {'mode':<4} {'tasks':>5} {'exact%':>7} {'edit-sim':>8} {'p50 ms':>7} {'timeouts':>8} {'prompt tok':>10}"]
    for kind in kinds:
        for mode in ("off", "on"):
            row = summary.get((kind, mode))
            if row:
                out.append(f"{kind:<12} {mode:<4} {row['tasks']:>5} {row['exact']:>7.1f} {row['similarity']:>8.3f} {row['p50_ms']:>7.0f} {row['timeouts']:>8} {row['prompt_tokens']:>10.0f}")
    for kind in kinds:
        off, on = summary.get((kind, "off")), summary.get((kind, "on"))
        if off and on and kind in ("cross-file", "all"):
            out.append(f"delta {kind} (on - off): exact {on['exact'] - off['exact']:+.1f} pts, edit-sim {on['similarity'] - off['similarity']:+.3f}")
    return "\n".join(out)


# --------------------------------------------------------------------------- running


def utf16_column(text: str, character: int) -> int:
    return len(text[:character].encode("utf-16-le")) // 2


async def run_mode(workspace: Path, tasks: Sequence[Task], mode: str, model: str, log=None, timeout_ms: int = 20000) -> list[Result]:
    """One server for ``workspace``; every task once with repository context ``mode`` ("off"/"on")."""
    from lsprotocol import types

    from lsp_server.session_client import start_session

    options = {
        "model": model,
        "repoContext": mode == "on",
        "auditLog": False,
        "maxTokens": 64,
        "multiline": "auto",
        "generationTimeoutMs": timeout_ms,
        "speculate": False,  # a speculative generation after each answer would run into the next request
    }
    session = await start_session(workspace, options, log=log)
    results: list[Result] = []
    try:
        # start_session returns at the first progress end, which may be the index's: wait for both
        wanted = "ready" if mode == "on" else "off"
        deadline = time.monotonic() + 300
        status = await session.status()
        while status.get("state") != "ready" or (status.get("index") or {}).get("state") != wanted:
            if status.get("state") == "failed":
                raise SystemExit(f"the model did not load: {status.get('error') or session.messages}")
            if (status.get("index") or {}).get("state") == "failed" or time.monotonic() > deadline:
                raise SystemExit(f"model {status.get('state')!r}, index {status.get('index')!r}; expected index {wanted!r} (repoContext {mode})")
            await asyncio.sleep(0.2)
            status = await session.status()
        if session.messages:
            print(f"  [server] {' | '.join(session.messages)}", file=sys.stderr)
        generations = status.get("generations", 0)
        for number, task in enumerate(tasks):
            path = workspace / task.path
            uri = session.open(path, task.document, "python", version=number + 1)
            line_text = task.document.split("\n")[task.line]
            started = time.perf_counter()
            error = ""
            try:
                request = session.inline(uri, task.line, utf16_column(line_text, task.character))
                suggestion = await asyncio.wait_for(request, timeout=timeout_ms / 1000 + 120)
            except Exception as exc:  # a failed request counts as an empty suggestion
                suggestion, error = "", f"{type(exc).__name__}: {exc}"
            latency = (time.perf_counter() - started) * 1000
            session.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
            after = await session.status()
            ran = after.get("generations", 0) > generations  # an empty answer may come without a generation
            last = (after.get("lastGeneration") or {}) if ran else {}
            generations = after.get("generations", 0)
            results.append(score(task, mode, suggestion, latency, error, last.get("stopReason", ""), last.get("promptTokens", 0)))
    finally:
        await session.close()
    return results


async def main(args: argparse.Namespace) -> None:
    all_results: list[Result] = []
    log = open(args.server_log, "w", encoding="utf-8") if args.server_log else None
    started = time.monotonic()
    for number, name in enumerate(args.repos):
        repo = REPOS[name]
        workspace = fetch_repo(repo)
        tasks = cut_tasks(name, workspace, share(args.tasks_per_kind, len(args.repos), number), args.seed, args.kinds)
        counts = {k: sum(t.kind == k for t in tasks) for k in args.kinds}
        print(f"{repo.name} {repo.version} ({workspace}): {len(tasks)} tasks {counts}", file=sys.stderr)
        for mode in ("off", "on"):
            mode_started = time.monotonic()
            results = await run_mode(workspace, tasks, mode, args.model, log, args.generation_timeout_ms)
            errors = sum(bool(r.error) for r in results)
            print(f"  repoContext {mode}: {len(results)} requests in {time.monotonic() - mode_started:.0f} s"
                  + (f", {errors} failed" if errors else ""), file=sys.stderr)
            all_results += results
    if log is not None:
        log.close()
    print(f"model {args.model}, seed {args.seed}, repos {', '.join(f'{REPOS[n].name} {REPOS[n].version}' for n in args.repos)}, "
          f"{time.monotonic() - started:.0f} s")
    print(format_table(summarize(all_results)))
    if args.json:
        rows = []
        for r in all_results:
            row = asdict(r)
            row.update(row.pop("task"))
            row.pop("document")
            rows.append(row)
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--tasks-per-kind", type=int, default=16, help="per kind over all repositories (default 20)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--repos", nargs="+", default=list(DEFAULT_REPOS), choices=sorted(REPOS))
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--generation-timeout-ms", type=int, default=20000, help="the server's generationTimeoutMs")
    parser.add_argument("--json", help="write every task's result here")
    parser.add_argument("--server-log", help="write the servers' stderr here")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
