"""Typing latency: our server vs llama.cpp's llama-server driven like llama.vscode, same keystrokes.

Real code, not ours: --functions functions (6-25 lines, in modules that import sibling modules) of
the requests 2.32.3 sdist from PyPI, fetched once into ~/.cache/iquest-lsp/bench. Each function body
is deleted (the def line and docstring stay; on disk too) and typed back at --cps characters per
second, pausing after every newline and space, with VS Code's auto-indent after a newline. Each key:
  ours:          didChange (incremental) + textDocument/inlineCompletion (Automatic), the pending
                 request cancelled first with $/cancelRequest, as VS Code's LSP client does;
  llama-server:  a call of a port of llama.vscode's inline completion provider (ggml-org/llama.vscode
                 src/completion.ts): POST /infill with its fields and defaults, one request at a time
                 and never aborted, its result cache and its prefetch after a suggestion; the ring
                 buffer holds 64-line chunks of the sibling modules the file imports (>= --extra-tokens).
                 --llama-client abort instead sends every key and closes the pending connection.
Both systems run the same GGUF with the same threads, one after the other (never at the same time);
each function starts with one untimed request (the file was just opened) and waits for the work it
started to end. llama-server runs with one slot (-np 1; see run_llama_server). It is built once
from the llama-cpp-python 0.3.36 sdist (the llama.cpp our backend runs) into
~/.cache/iquest-lsp/llama-server unless --llama-server (or $IQUEST_LLAMA_SERVER) names a binary.

    .venv/bin/python scripts/bench_latency.py [--model qwen2.5-coder-0.5b] [--functions 4] [--cps 8]
        [--seed 7] [--json PATH] [--only ours|llama-server] [--llama-server PATH]

At a pause the user waits for the suggestion before typing on (at most --pause-wait seconds; the
keys after it move later by the wait), so every pause has a latency on both systems. Targets for
ours / llama-server at the user's pauses: p50 <= 0.15x, p95 <= 0.3x; and >= 30% of our pauses
answered within 100 ms. A pause request never answered (the wait ran out, or --pause-wait 0 and the
next key came first) makes a percentile ">N" (N: the percentile with such requests counted at the
moment they were given up), and a ratio against it an upper bound ("<="). The CPU time other
processes took while typing is printed; over 10% the run is flagged as not comparable.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import json
import math
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stats import percentile, server_option
from llama_server_build import llama_server_binary  # noqa: E402
from sdist import fetch_sdist  # noqa: E402

REPO_SPEC = ("requests", "2.32.3")
PACKAGE_DIR = "src/requests"
BENCH_DIR = Path(os.environ.get("IQUEST_BENCH_DIR", Path.home() / ".cache" / "iquest-lsp" / "bench"))

# llama.vscode's defaults (package.json of ggml-org/llama.vscode).
N_PREFIX_LINES = 256
N_SUFFIX_LINES = 64
N_PREDICT = 128
T_MAX_PROMPT_MS = 500
T_MAX_PREDICT_MS = 500
MAX_LINE_SUFFIX = 8
MAX_CACHE_KEYS = 250
WAIT_MS = 150  # DELAY_BEFORE_COMPL_REQUEST: how often a new request checks whether the previous one ended
RING_CHUNKS = 16
RING_CHUNK_LINES = 64

PAUSE_KINDS = ("newline", "space")
FAST_MS = 100.0
TARGETS = {"p50": 0.15, "p95": 0.3, "fast_share": 0.30}


# --------------------------------------------------------------------------------------------
# Traces: holed documents and keystrokes


@dataclass(frozen=True)
class Key:
    """One keystroke: the text the edit inserts and whether the user pauses after it."""

    text: str  # a character, or "\n" plus the next line's indentation (auto-indent)
    pause: str | None  # "newline" or "space" when the user pauses after this key, else None


@dataclass(frozen=True)
class Task:
    """One function to type: where it is, the holed document and what gets typed back."""

    path: str  # relative to the project root
    name: str
    def_line: int  # 1-based
    lines: int
    original: str
    holed: str
    cursor: int  # offset in ``holed`` where typing starts
    typed: str


def hole(source: str, first: int, last: int) -> tuple[str, int, str]:
    """Delete lines ``first..last`` (1-based, inclusive) but keep the first line's indentation.

    Returns the holed text, the cursor (after that indentation, on an otherwise empty line) and the
    text that typing at the cursor must insert to get ``source`` back.
    """
    lines = source.splitlines(keepends=True)
    head = "".join(lines[: first - 1])
    body = "".join(lines[first - 1 : last])
    tail = "".join(lines[last:])
    end = "\n" if body.endswith("\n") else ""  # no newline: the body ends the file
    indent = body[: len(body) - len(body.lstrip(" \t"))]
    holed = head + indent + end + tail
    return holed, len(head) + len(indent), body[len(indent) : len(body) - len(end)]


def keystrokes(typed: str) -> list[Key]:
    """The keys that type ``typed``; a newline also inserts the next line's indentation (auto-indent)."""
    keys: list[Key] = []
    i = 0
    while i < len(typed):
        char = typed[i]
        if char == "\n":
            j = i + 1
            while j < len(typed) and typed[j] in " \t":
                j += 1
            keys.append(Key("\n" + typed[i + 1 : j], "newline"))
            i = j
            continue
        keys.append(Key(char, "space" if char == " " else None))
        i += 1
    return keys


def apply_keys(text: str, cursor: int, keys: Sequence[Key]) -> tuple[str, int]:
    """Type ``keys`` at ``cursor``; returns the new text and cursor."""
    for key in keys:
        text = text[:cursor] + key.text + text[cursor:]
        cursor += len(key.text)
    return text, cursor


def gap_after(key: Key, cps: float, newline_pause: float, space_pause: float) -> float:
    """Seconds until the next key."""
    if key.pause == "newline":
        return newline_pause
    if key.pause == "space":
        return space_pause
    return 1.0 / cps


def schedule(keys: Sequence[Key], cps: float, newline_pause: float, space_pause: float) -> list[float]:
    """When each key is pressed, in seconds from the first; one more entry: when the next would be."""
    times = [0.0]
    for key in keys:
        times.append(times[-1] + gap_after(key, cps, newline_pause, space_pause))
    return times


@dataclass(frozen=True)
class Candidate:
    path: str
    name: str
    def_line: int
    body_first: int
    body_last: int


def _relative_imports(tree: ast.Module) -> list[ast.ImportFrom]:
    return [node for node in tree.body if isinstance(node, ast.ImportFrom) and node.level >= 1]


def function_candidates(path: str, source: str, min_lines: int = 6, max_lines: int = 25) -> list[Candidate]:
    """Functions of one module worth typing: 6-25 lines, a body of >= 3 lines, ASCII, no tabs.

    Only modules that import from a sibling module qualify (so repository context matters).
    """
    tree = ast.parse(source)
    if not _relative_imports(tree):
        return []
    lines = source.split("\n")
    found: list[Candidate] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                span = child.end_lineno - child.lineno + 1
                body = child.body
                has_doc = (
                    isinstance(body[0], ast.Expr)
                    and isinstance(getattr(body[0], "value", None), ast.Constant)
                    and isinstance(body[0].value.value, str)
                )
                first = body[0].end_lineno + 1 if has_doc else body[0].lineno
                while first <= child.end_lineno and not lines[first - 1].strip():
                    first += 1
                text = "\n".join(lines[first - 1 : child.end_lineno])
                code_lines = [line for line in text.split("\n") if line.strip()]
                if (
                    min_lines <= span <= max_lines
                    and first <= child.end_lineno
                    and len(code_lines) >= 3
                    and text.isascii()
                    and "\t" not in text
                ):
                    found.append(Candidate(path, prefix + child.name, child.lineno, first, child.end_lineno))

    visit(tree, "")
    return found


def pick(candidates: Sequence[Candidate], count: int, seed: int) -> list[Candidate]:
    """``count`` candidates from distinct files, chosen by ``seed`` (the same seed, the same picks)."""
    ordered = sorted(candidates, key=lambda c: (c.path, c.def_line))
    random.Random(seed).shuffle(ordered)
    chosen: list[Candidate] = []
    for candidate in ordered:
        if len(chosen) == count:
            break
        if all(c.path != candidate.path for c in chosen):
            chosen.append(candidate)
    return chosen


def make_task(candidate: Candidate, source: str) -> Task:
    holed, cursor, typed = hole(source, candidate.body_first, candidate.body_last)
    return Task(
        path=candidate.path,
        name=candidate.name,
        def_line=candidate.def_line,
        lines=candidate.body_last - candidate.def_line + 1,
        original=source,
        holed=holed,
        cursor=cursor,
        typed=typed,
    )


# --------------------------------------------------------------------------------------------
# llama.vscode's client, ported from ggml-org/llama.vscode (src/completion.ts, src/llama-server.ts,
# src/utils.ts; settings from its package.json)


@dataclass(frozen=True)
class FimInputs:
    """What llama.vscode reads around the cursor."""

    input_prefix: str
    input_suffix: str
    prompt: str
    n_indent: int
    line_prefix: str
    line_suffix: str
    spaces_to_remove: int
    line: int
    lines: tuple[str, ...]


def fim_inputs(text: str, cursor: int) -> FimInputs:
    """Prefix lines, suffix lines and the cursor line split as getCompletionItems does (VS Code's
    lines: a final newline leaves an empty last line)."""
    lines = text.split("\n")
    line = text.count("\n", 0, cursor)
    line_text = lines[line]
    column = cursor - (text.rfind("\n", 0, cursor) + 1)
    line_prefix, line_suffix = line_text[:column], line_text[column:]
    prefix_lines = lines[max(0, line - N_PREFIX_LINES) : line]
    suffix_lines = lines[line + 1 : min(len(lines) - 1, line + N_SUFFIX_LINES) + 1]
    blank = line_prefix.strip(" \t") == ""
    return FimInputs(
        input_prefix="\n".join(prefix_lines) + "\n",
        input_suffix=line_suffix + "\n" + "\n".join(suffix_lines) + "\n",
        prompt="" if blank else line_prefix,
        n_indent=len(line_text) - len(line_text.lstrip()),
        line_prefix=line_prefix,
        line_suffix=line_suffix,
        spaces_to_remove=len(line_prefix) if blank else 0,
        line=line,
        lines=tuple(lines),
    )


def infill_body(
    input_prefix: str, input_suffix: str, prompt: str, extra: Sequence[dict[str, str]], n_indent: int
) -> dict[str, Any]:
    """createRequestPayload(noPredict=false, ...): the /infill body."""
    body: dict[str, Any] = {
        "input_prefix": input_prefix,
        "input_suffix": input_suffix,
        "input_extra": list(extra),
        "prompt": prompt,
        "n_predict": N_PREDICT,
        "top_k": 40,
        "top_p": 0.99,
        "stream": False,
        "samplers": ["top_k", "top_p", "infill"],
        "cache_prompt": True,
    }
    if n_indent:
        body["n_indent"] = n_indent
    body["t_max_prompt_ms"] = T_MAX_PROMPT_MS
    body["t_max_predict_ms"] = T_MAX_PREDICT_MS
    return body


def infill_request(text: str, cursor: int, extra: Sequence[dict[str, str]]) -> dict[str, Any]:
    """The /infill body llama.vscode sends for a cursor at ``cursor`` in ``text``."""
    inputs = fim_inputs(text, cursor)
    return infill_body(inputs.input_prefix, inputs.input_suffix, inputs.prompt, extra, inputs.n_indent)


def cache_key(input_prefix: str, input_suffix: str, prompt: str) -> str:
    return input_prefix + "|" + input_suffix + "|" + prompt


class ResultCache:
    """llama.vscode's LRU result cache (max_cache_keys 250)."""

    def __init__(self, size: int = MAX_CACHE_KEYS) -> None:
        self.size = size
        self.items: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        value = self.items.pop(key, None)
        if value is not None:
            self.items[key] = value
        return value

    def put(self, key: str, value: str) -> None:
        self.items.pop(key, None)
        self.items[key] = value
        while len(self.items) > self.size:
            del self.items[next(iter(self.items))]

    def completion(self, input_prefix: str, input_suffix: str, prompt: str) -> str | None:
        """getCachedCompletion: an exact hit, or a cached completion the typed characters run through."""
        hit = self.get(cache_key(input_prefix, input_suffix, prompt))
        if hit is not None:
            return hit
        for i in range(len(prompt), -1, -1):
            result = self.get(cache_key(input_prefix, input_suffix, prompt[:i]))
            cut = prompt[i:]
            if result is not None and cut == result[: len(cut)]:
                return result[len(prompt) - i :]
        return None


def remove_trailing_new_lines(lines: list[str]) -> list[str]:
    while lines and lines[-1].strip() == "":
        lines = lines[:-1]
    return lines


def should_discard(
    lines: Sequence[str], doc_lines: Sequence[str], line: int, line_prefix: str, line_suffix: str
) -> bool:
    """shouldDiscardSuggestion: drop suggestions that repeat the text that follows."""

    def at(index: int) -> str | None:
        return doc_lines[index] if 0 <= index < len(doc_lines) else None

    if not lines or (len(lines) == 1 and lines[0].strip() == ""):
        return True
    if line == len(doc_lines) - 1:
        return False
    if (
        len(lines) > 1
        and (lines[0].strip() == "" or lines[0].strip() == line_suffix.strip())
        and all(value == at(line + 1 + i) for i, value in enumerate(lines[1:]))
    ):
        return True
    if len(lines) == 1 and lines[0] == line_suffix:
        return True
    first = line + 1
    while first < len(doc_lines) and doc_lines[first].strip() == "":
        first += 1
    if first >= len(doc_lines):
        return False
    if line_prefix + lines[0] == doc_lines[first]:
        if len(lines) == 1:
            return True
        if len(lines) == 2 and lines[1] == (at(first + 1) or "")[: len(lines[1])]:
            return True
        if len(lines) > 2 and all(value == at(first + 1 + i) for i, value in enumerate(lines[1:])):
            return True
    return False


def update_suggestion(lines: Sequence[str], line_suffix: str) -> str:
    if line_suffix.strip() != "":
        if lines[0].endswith(line_suffix):
            return lines[0][: -len(line_suffix)]
        if len(lines) > 1:
            return lines[0]
    return "\n".join(lines)


def remove_leading_spaces(text: str, count: int) -> str:
    i = 0
    while i < len(text) and i < count and text[i] in " \t":
        i += 1
    return text[i:]


def future_requests(
    inputs: FimInputs, lines: Sequence[str]
) -> tuple[tuple[str, str, str] | None, tuple[str, str] | None]:
    """What llama.vscode prefetches after showing ``lines``: (prefix, suffix, prompt) for the text after
    accepting the whole suggestion (cacheFutureSuggestion), and (key, value) it caches for accepting
    the first line (cacheFutureAcceptLineSuggestion)."""
    prefix, suffix, prompt = inputs.input_prefix, inputs.input_suffix, inputs.prompt + lines[0]
    if len(lines) > 1:
        prefix = inputs.input_prefix + inputs.prompt + "\n".join(lines[:-1]) + "\n"
        prompt = lines[-1]
        prefix_lines = prefix[:-1].split("\n")
        if len(prefix_lines) > N_PREFIX_LINES:
            prefix = "\n".join(prefix_lines[-N_PREFIX_LINES:]) + "\n"
    accept_line = None
    if len(lines) > 1:
        accept_line = (
            cache_key(inputs.input_prefix + inputs.prompt + lines[0] + "\n", inputs.input_suffix, ""),
            "\n".join(lines[1:]),
        )
    return (prefix, suffix, prompt), accept_line


def sibling_imports(source: str, module_path: str) -> list[tuple[str, list[str]]]:
    """(sibling module path, imported names) for every relative import, in source order."""
    package = Path(module_path).parent
    out: list[tuple[str, list[str]]] = []
    for node in _relative_imports(ast.parse(source)):
        base = package
        for _ in range(node.level - 1):
            base = base.parent
        if node.module:
            target = base.joinpath(*node.module.split("."))
            out.append((target.as_posix() + ".py", [alias.name for alias in node.names]))
        else:  # from . import a, b: each name is a module
            out.extend(((base / alias.name).as_posix() + ".py", []) for alias in node.names)
    return out


def _definition_line(lines: Sequence[str], name: str) -> int | None:
    """0-based first line (decorators included) of the top-level definition of ``name``.

    Read with a pattern, not a parser: a sibling may itself be holed (not valid Python) on disk.
    """
    pattern = re.compile(rf"^(?:(?:async\s+)?def|class)\s+{re.escape(name)}\b|^{re.escape(name)}\s*[:=]")
    for number, line in enumerate(lines):
        if pattern.match(line):
            while number > 0 and lines[number - 1].startswith("@"):
                number -= 1
            return number
    return None


def candidate_chunks(
    imports: Sequence[tuple[str, list[str]]], read: Callable[[str], str | None], others: Sequence[str] = ()
) -> list[dict[str, str]]:
    """Ring-buffer chunks (64 lines each, none overlapping another): the imported names' definitions,
    then the imported modules' heads, then the heads of ``others`` (other files of the project)."""
    chunks: list[dict[str, str]] = []
    taken: dict[str, list[int]] = {}

    def add(path: str, lines: list[str], start: int) -> None:
        if any(abs(start - s) < RING_CHUNK_LINES for s in taken.get(path, [])):
            return
        taken.setdefault(path, []).append(start)
        text = "".join(line + "\n" for line in lines[start : start + RING_CHUNK_LINES])
        chunks.append({"filename": path, "text": text})

    sources: list[tuple[str, list[str]]] = []
    for path in [p for p, _ in imports] + list(others):
        if path not in dict(sources) and (source := read(path)) is not None:
            sources.append((path, source.split("\n")))
    lines_of = dict(sources)
    for path, names in imports:
        for name in names:
            line = _definition_line(lines_of.get(path, []), name)
            if line is not None:
                add(path, lines_of[path], line)
    for path, lines in sources:
        add(path, lines, 0)
    return chunks


def take_chunks(
    chunks: Sequence[dict[str, str]], tokens: Sequence[int], budget: int, limit: int = RING_CHUNKS
) -> list[dict[str, str]]:
    """Chunks in order until their tokens reach ``budget`` (at least that much context), at most ``limit``."""
    kept: list[dict[str, str]] = []
    total = 0
    for chunk, count in zip(chunks, tokens, strict=True):
        if total >= budget or len(kept) == limit:
            break
        kept.append(chunk)
        total += count
    return kept


# --------------------------------------------------------------------------------------------
# Figures


@dataclass
class Record:
    """One completion request and what became of it."""

    function: str
    index: int
    pause: str | None
    sent: float = 0.0
    next_key: float = math.inf  # when the next key was pressed (or would have been)
    answered: float | None = None
    cancel_sent: bool = False
    error: str | None = None
    text: str | None = None
    prompt_tokens: int | None = None
    evaluated_tokens: int | None = None
    generated_tokens: int | None = None
    generation: int | None = None

    @property
    def latency_ms(self) -> float | None:
        return None if self.answered is None else (self.answered - self.sent) * 1000


def summarize(records: Sequence[Record]) -> dict[str, Any]:
    """The figures for one system. A pause request that was never answered counts as infinitely
    late in ``pause_pNN_ms``; ``pause_pNN_min_ms`` counts it at the time it was given up (the next
    key), a lower bound of the true percentile."""
    pauses = [r for r in records if r.pause in PAUSE_KINDS]
    pause_latency = [r.latency_ms if r.latency_ms is not None else math.inf for r in pauses]
    censored = [(r.next_key - r.sent) * 1000 for r in pauses if r.latency_ms is None]
    bounded = [r.latency_ms if r.latency_ms is not None else (r.next_key - r.sent) * 1000 for r in pauses]
    between = [r.latency_ms for r in records if r.pause not in PAUSE_KINDS and r.latency_ms is not None]
    answered = [r for r in records if r.latency_ms is not None and r.error is None]
    in_time = [r for r in records if r.answered is not None and r.answered <= r.next_key]
    evaluated = [r.evaluated_tokens for r in answered if r.evaluated_tokens is not None]
    prompt = [r.prompt_tokens for r in answered if r.prompt_tokens is not None]
    return {
        "requests": len(records),
        "answered": len(answered),
        "cancelled": sum(1 for r in records if r.cancel_sent and r.answered is None),
        "errors": sum(1 for r in records if r.error not in (None, "cancelled")),
        "answered_before_next_key": len(in_time) / len(records) if records else math.nan,
        "pauses": len(pauses),
        "pause_p50_ms": percentile(pause_latency, 0.50),
        "pause_p95_ms": percentile(pause_latency, 0.95),
        "pause_p99_ms": percentile(pause_latency, 0.99),
        "pause_p50_min_ms": percentile(bounded, 0.50),
        "pause_p95_min_ms": percentile(bounded, 0.95),
        "pause_p99_min_ms": percentile(bounded, 0.99),
        "pause_unanswered": len(censored),
        "pause_fast_share": sum(1 for v in pause_latency if v <= FAST_MS) / len(pauses) if pauses else math.nan,
        "pause_nonempty_share": sum(1 for r in pauses if r.text) / len(pauses) if pauses else math.nan,
        "between_answered": len(between),
        "between_p50_ms": percentile(between, 0.50),
        "between_p95_ms": percentile(between, 0.95),
        "evaluated_tokens_mean": statistics.fmean(evaluated) if evaluated else math.nan,
        "evaluated_tokens_p50": percentile(evaluated, 0.50),
        "evaluated_tokens_known": len(evaluated),
        "prompt_tokens_p50": percentile(prompt, 0.50),
    }


def ratio(ours: float, ours_min: float, theirs: float, theirs_min: float) -> tuple[float, str]:
    """ours / theirs and how it is known: "=" exact, "<=" an upper bound (llama-server's percentile
    is only known to exceed ``theirs_min``), ">=" a lower bound (ours is), "" unknown."""
    values = (ours, ours_min, theirs, theirs_min)
    if any(math.isnan(v) for v in values):
        return math.nan, ""
    if math.isfinite(ours) and math.isfinite(theirs) and theirs > 0:
        return ours / theirs, "="
    if math.isfinite(ours) and theirs_min > 0 and math.isinf(theirs):
        return ours / theirs_min, "<="
    if math.isinf(ours) and math.isfinite(theirs) and theirs > 0:
        return ours_min / theirs, ">="
    return math.nan, ""


def verdict(value: float, relation: str, target: float) -> str:
    if relation == "=" or (relation == "<=" and value <= target) or (relation == ">=" and value > target):
        return "met" if value <= target else "missed"
    return "undetermined"


def fmt_ms(value: float, lower_bound: float | None = None) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return f">{lower_bound:.0f}" if lower_bound is not None and math.isfinite(lower_bound) else "inf"
    return f"{value:.0f}"


def fmt_share(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.0f}%"


def fmt_num(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}" if abs(value) < 10 and value != int(value) else f"{value:.0f}"


def table(summaries: dict[str, dict[str, Any]], rss: dict[str, float | None]) -> list[str]:
    """The printed comparison, one row per figure, one column per system."""
    names = list(summaries)
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cell: Callable[[dict[str, Any], str], str]) -> None:
        rows.append((label, [cell(summaries[n], n) for n in names]))

    row("requests (keystrokes)", lambda s, n: str(s["requests"]))
    row("latency at pauses p50 ms", lambda s, n: fmt_ms(s["pause_p50_ms"], s["pause_p50_min_ms"]))
    row("latency at pauses p95 ms", lambda s, n: fmt_ms(s["pause_p95_ms"], s["pause_p95_min_ms"]))
    row("latency at pauses p99 ms", lambda s, n: fmt_ms(s["pause_p99_ms"], s["pause_p99_min_ms"]))
    row("pauses answered <= 100 ms", lambda s, n: f"{fmt_share(s['pause_fast_share'])} of {s['pauses']}")
    row("pauses never answered", lambda s, n: str(s["pause_unanswered"]))
    row("pause answers non-empty", lambda s, n: fmt_share(s["pause_nonempty_share"]))
    row("latency between keys p50 ms", lambda s, n: fmt_ms(s["between_p50_ms"]))
    row("latency between keys p95 ms", lambda s, n: fmt_ms(s["between_p95_ms"]))
    row("answered before next key", lambda s, n: fmt_share(s["answered_before_next_key"]))
    row("requests cancelled, no answer", lambda s, n: str(s["cancelled"]))
    row("tokens evaluated/answer mean", lambda s, n: fmt_num(s["evaluated_tokens_mean"]))
    row("tokens evaluated/answer p50", lambda s, n: fmt_num(s["evaluated_tokens_p50"]))
    row("prompt tokens p50", lambda s, n: fmt_num(s["prompt_tokens_p50"]))
    row("peak RSS MB (VmHWM)", lambda s, n: "-" if rss.get(n) is None else f"{rss[n]:.0f}")
    width = max(len(label) for label, _ in rows) + 2
    lines = [" " * width + "".join(f"{n:>16}" for n in names)]
    lines += [label.ljust(width) + "".join(f"{c:>16}" for c in cells) for label, cells in rows]
    return lines


# --------------------------------------------------------------------------------------------
# Fetching and building


def fetch_project() -> Path:
    """Download and unpack the requests sdist once; return the source root."""
    return fetch_sdist(*REPO_SPEC, BENCH_DIR)


def model_path(model: str) -> Path:
    if model.endswith(".gguf") or os.sep in model:
        return Path(model).expanduser()
    from lsp_server.paths import models_dir

    return models_dir() / f"{model}.gguf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _jiffies(pid: int | str) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


def cpu_sample(pids: Sequence[int]) -> tuple[float, int, int]:
    """(time, busy jiffies of the whole machine, jiffies of ``pids`` and this process)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        busy = sum(values) - values[3] - (values[4] if len(values) > 4 else 0)  # minus idle and iowait
    except (OSError, ValueError, IndexError):
        busy = 0
    return time.perf_counter(), busy, sum(_jiffies(pid) for pid in pids) + _jiffies("self")


def other_load(before: tuple[float, int, int], after: tuple[float, int, int]) -> float | None:
    """Share of the machine's CPUs that processes other than the measured ones used in between."""
    seconds = after[0] - before[0]
    if seconds <= 0 or not before[1]:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    other = (after[1] - before[1]) - (after[2] - before[2])
    return max(0.0, other / ticks / seconds / (os.cpu_count() or 1))


def prepare_workspace(root: Path, holed: dict[str, str], prefix: str = "iquest-latency-") -> Path:
    """A copy of the project with the chosen bodies deleted on disk too (``holed``: path -> text),
    so no index sees them."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    copy = work / root.name
    shutil.copytree(root, copy)
    for path, text in holed.items():
        (copy / path).write_text(text, encoding="utf-8")
    return copy


def load_tasks(root: Path, count: int, seed: int) -> list[Task]:
    candidates: list[Candidate] = []
    sources: dict[str, str] = {}
    for path in sorted((root / PACKAGE_DIR).glob("*.py")):
        rel = path.relative_to(root).as_posix()
        sources[rel] = path.read_text(encoding="utf-8")
        candidates += function_candidates(rel, sources[rel])
    chosen = pick(candidates, count, seed)
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} modules have a function that qualifies; use --functions {len(chosen)}")
    return [make_task(c, sources[c.path]) for c in chosen]


# --------------------------------------------------------------------------------------------
# Replaying a trace


def utf16_position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset), len(text[line_start:offset].encode("utf-16-le")) // 2


class Driver:
    """What a system needs to be typed at: open a document, send a keystroke, cancel, close."""

    name = ""

    async def begin(self, task: Task) -> None: ...

    def key(self, record: Record, before: str, start: int, inserted: str, after: str, cursor: int) -> None: ...

    def pending(self, record: Record) -> bool: ...

    def cancel(self, record: Record) -> None: ...

    async def end(self, task: Task) -> None: ...


async def replay(
    driver: Driver, task: Task, keys: Sequence[Key], times: Sequence[float], settle_s: float, pause_wait_s: float = 0.0
) -> list[Record]:
    """Type ``keys`` at their times; every key is one request, the pending one cancelled first.

    At a pause the user waits for the suggestion (at most ``pause_wait_s``) before typing on, so
    every pause gets a latency: the keys after a late answer move later by the time waited.
    """
    await driver.begin(task)
    text, cursor = task.holed, task.cursor
    records: list[Record] = []
    started = time.perf_counter() + 0.05
    waited = 0.0
    for index, key in enumerate(keys):
        if records and records[-1].pause in PAUSE_KINDS and pause_wait_s > 0:
            waited += await wait_for_answer(driver, records[-1], started + waited + times[index], pause_wait_s)
        delay = started + waited + times[index] - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        now = time.perf_counter()
        if records:
            records[-1].next_key = now
            if driver.pending(records[-1]):
                driver.cancel(records[-1])
                records[-1].cancel_sent = True
        before, start = text, cursor
        text, cursor = apply_keys(text, cursor, [key])
        record = Record(task.name, index, key.pause)
        driver.key(record, before, start, key.text, text, cursor)
        records.append(record)
    last = records[-1]
    last.next_key = started + waited + times[len(keys)]  # when the user would type on
    deadline = max(last.next_key, time.perf_counter()) + settle_s
    while driver.pending(last) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    if driver.pending(last):
        driver.cancel(last)
        last.cancel_sent = True
    if text != task.original:
        raise SystemExit(f"{task.path}: the keystrokes did not reproduce the file (a harness bug)")
    await asyncio.sleep(0.2)  # let a late answer or the status reads land
    await driver.end(task)
    return records


async def wait_for_answer(driver: Driver, record: Record, next_key: float, limit_s: float) -> float:
    """Wait at a pause until ``record`` is answered (or ``limit_s`` after it was sent); the seconds
    the next key, due at ``next_key``, is delayed by the wait."""
    give_up = record.sent + limit_s
    while driver.pending(record) and time.perf_counter() < give_up:
        await asyncio.sleep(0.002)
    return max(0.0, time.perf_counter() - next_key)


class OursDriver(Driver):
    """Our server over stdio, driven as VS Code drives an inline completion provider."""

    name = "ours"

    def __init__(self, session: Any, root: Path) -> None:
        self.session = session
        self.root = root
        self.uri = ""
        self.version = 0
        self.serial = 0
        self.ids: dict[int, str] = {}
        self.background: set[asyncio.Task] = set()
        self.generations: int | None = None  # the server's generation count at the last status read

    async def begin(self, task: Task) -> None:
        path = self.root / task.path
        self.version = 1
        self.uri = self.session.open(path, task.holed, "python", version=self.version)
        warm = Record(task.name, -1, None)
        self.key(warm, task.holed, task.cursor, "", task.holed, task.cursor, send_change=False)
        started = time.perf_counter()
        while self.pending(warm) and time.perf_counter() - started < 180:
            await asyncio.sleep(0.01)
        await self._settle()

    async def _settle(self) -> None:
        """Wait for background work (a speculation after the warm-up answer) to end: no generation
        finished for 300 ms (at most 30 s), so both systems start typing on an idle model."""
        if self.background:
            await asyncio.wait(list(self.background), timeout=10)
        started = time.perf_counter()
        last = (await self.session.status()).get("generations")
        quiet = time.perf_counter()
        while time.perf_counter() - quiet < 0.3 and time.perf_counter() - started < 30:
            await asyncio.sleep(0.05)
            now = (await self.session.status()).get("generations")
            if now != last:
                last, quiet = now, time.perf_counter()
        self.generations = last

    def key(
        self, record: Record, before: str, start: int, inserted: str, after: str, cursor: int, send_change: bool = True
    ) -> None:
        from lsprotocol import types

        client = self.session.client
        if send_change:
            self.version += 1
            line, character = utf16_position(before, start)
            position = types.Position(line=line, character=character)
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
                    content_changes=[
                        types.TextDocumentContentChangePartial(
                            range=types.Range(start=position, end=position), text=inserted
                        )
                    ],
                )
            )
        line, character = utf16_position(after, cursor)
        self.serial += 1
        msg_id = f"bench-{self.serial}"
        self.ids[id(record)] = msg_id
        record.sent = time.perf_counter()
        future = client.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION,
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=self.uri),
                position=types.Position(line=line, character=character),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
            ),
            msg_id=msg_id,
        )
        future.add_done_callback(lambda done: self._answered(record, done))

    def _answered(self, record: Record, done: Any) -> None:
        from lsprotocol import types

        now = time.perf_counter()
        error = done.exception()
        if error is not None:
            record.error = (
                "cancelled"
                if "cancel" in f"{type(error).__name__} {error}".lower()
                else f"{type(error).__name__}: {error}"
            )
            return
        record.answered = now
        answer = done.result()
        items = answer.items if isinstance(answer, types.InlineCompletionList) else (answer or [])
        text = items[0].insert_text if items else ""
        record.text = text if isinstance(text, str) else getattr(text, "value", str(text))
        job = asyncio.ensure_future(self._figures(record))
        self.background.add(job)
        job.add_done_callback(self.background.discard)

    async def _figures(self, record: Record) -> None:
        """The work behind an answer, from iquest.status right after it (one cheap round trip).

        When no generation finished since the previous answer's read, the answer cost no model work
        (the server answered from what it had): 0 tokens. Otherwise the last generation is the one
        that produced the answer (a speculation started after it cannot finish within a round trip).
        """
        status = await self.session.status()
        generations = status.get("generations")
        before, self.generations = self.generations, generations
        record.generation = generations
        if before is not None and generations == before:
            record.evaluated_tokens = record.generated_tokens = 0
            return
        last = status.get("lastGeneration") or {}
        record.prompt_tokens = last.get("promptTokens")
        record.evaluated_tokens = last.get("evaluatedTokens")
        record.generated_tokens = last.get("generatedTokens")

    def pending(self, record: Record) -> bool:
        return record.answered is None and record.error is None

    def cancel(self, record: Record) -> None:
        from lsprotocol import types

        self.session.client.protocol.notify("$/cancelRequest", types.CancelParams(id=self.ids[id(record)]))

    async def end(self, task: Task) -> None:
        from lsprotocol import types

        if self.background:
            await asyncio.wait(list(self.background), timeout=10)
        self.session.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=self.uri))
        )


async def http(
    host: str, port: int, method: str, path: str, payload: Any = None, timeout: float = 600
) -> tuple[int, Any]:
    """One HTTP/1.1 request on its own connection (stdlib only). Cancelling the awaiting task closes
    the connection at once, which is how llama-server learns that a client gave up."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        body = b"" if payload is None else json.dumps(payload).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()

        async def read() -> tuple[int, bytes]:
            status = int((await reader.readline()).split()[1])
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                key, _, value = line.decode("latin-1").partition(":")
                headers[key.strip().lower()] = value.strip()
            if "content-length" in headers:
                return status, await reader.readexactly(int(headers["content-length"]))
            if headers.get("transfer-encoding", "").lower() == "chunked":
                data = b""
                while size := int((await reader.readline()).split(b";")[0], 16):
                    data += await reader.readexactly(size)
                    await reader.readline()
                return status, data
            return status, await reader.read()

        status, data = await asyncio.wait_for(read(), timeout)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, data.decode("utf-8", errors="replace")
    finally:
        writer.transport.abort()


class Token:
    """VS Code's CancellationToken for one provider call: cancelled when the next key arrives."""

    cancelled = False


class LlamaServerDriver(Driver):
    """llama-server's /infill, driven by a port of llama.vscode's completion provider.

    client "vscode" (llama.vscode as it is): one request at a time and never aborted; a newer
    keystroke waits in 150 ms steps for it to end and gives up when a still newer key cancels it;
    completions the user types through come from the result cache; after showing a suggestion it
    prefetches the one after accepting it. client "abort": every key sends its own request and
    closes the pending one's connection (llama-server drops a task whose client left).
    """

    name = "llama-server"

    def __init__(self, port: int, root: Path, extra_tokens: int, client: str) -> None:
        self.port = port
        self.root = root
        self.extra_tokens = extra_tokens
        self.client = client
        self.extra: list[dict[str, str]] = []
        self.jobs: dict[int, asyncio.Task] = {}
        self.tokens: dict[int, Token] = {}
        self.background: set[asyncio.Task] = set()
        self.cache = ResultCache()
        self.in_progress = False
        self.context: dict[str, Any] = {}
        self.counts = {"infill": 0, "prefetch": 0, "fromCache": 0}

    async def _count(self, text: str) -> int:
        status, answer = await http("127.0.0.1", self.port, "POST", "/tokenize", {"content": text})
        if status != 200:
            raise SystemExit(f"llama-server /tokenize answered {status}: {answer}")
        return len(answer["tokens"])

    async def _infill(self, body: dict[str, Any]) -> dict[str, Any]:
        status, answer = await http("127.0.0.1", self.port, "POST", "/infill", body)
        if status != 200 or not isinstance(answer, dict):
            raise RuntimeError(f"HTTP {status}: {str(answer)[:200]}")
        return answer

    async def use_ring_chunks(self, path: str, original: str) -> dict[str, Any]:
        """Fill the ring buffer (``extra``) for a file as bench_latency models it; returns what it holds."""

        def read(rel: str) -> str | None:
            file = self.root / rel
            return file.read_text(encoding="utf-8") if file.is_file() else None

        others = sorted(p.relative_to(self.root).as_posix() for p in (self.root / path).parent.glob("*.py"))
        chunks = candidate_chunks(sibling_imports(original, path), read, [p for p in others if p != path])
        counts = [await self._count(chunk["text"]) for chunk in chunks]
        self.extra = take_chunks(chunks, counts, self.extra_tokens)
        return {
            "chunks": len(self.extra),
            "tokens": sum(counts[: len(self.extra)]),
            "files": sorted({c["filename"] for c in self.extra}),
        }

    async def begin(self, task: Task) -> None:
        self.context[task.name] = await self.use_ring_chunks(task.path, task.original)
        warm = Record(task.name, -1, None)
        self.key(warm, task.holed, task.cursor, "", task.holed, task.cursor)
        await asyncio.wait([self.jobs[id(warm)]], timeout=300)
        await self._settle()
        # Prime every slot with this context too: requests that run side by side (a prefetch next to
        # a request) land on other slots, which a long session would have warmed long ago.
        status, props = await http("127.0.0.1", self.port, "GET", "/props")
        slots = props.get("total_slots", 1) if status == 200 and isinstance(props, dict) else 1
        if slots > 1:
            body = infill_request(task.holed, task.cursor, self.extra)
            await asyncio.gather(*(self._infill(body) for _ in range(slots)), return_exceptions=True)

    def key(self, record: Record, before: str, start: int, inserted: str, after: str, cursor: int) -> None:
        record.sent = time.perf_counter()
        if self.client == "abort":
            job = asyncio.ensure_future(self._abort_style(record, after, cursor))
        else:
            token = self.tokens[id(record)] = Token()
            job = asyncio.ensure_future(self._vscode_style(record, after, cursor, token))
        self.jobs[id(record)] = job

    @staticmethod
    def _figures(record: Record, answer: dict[str, Any] | None) -> None:
        if answer is None:  # from the result cache: no model work
            record.evaluated_tokens = record.generated_tokens = 0
            return
        timings = answer.get("timings") or {}
        record.prompt_tokens = answer.get("tokens_evaluated")
        record.evaluated_tokens = timings.get("prompt_n")
        record.generated_tokens = timings.get("predicted_n")

    async def _abort_style(self, record: Record, text: str, cursor: int) -> None:
        self.counts["infill"] += 1
        try:
            answer = await self._infill(infill_request(text, cursor, self.extra))
        except asyncio.CancelledError:
            record.error = "cancelled"
            raise
        except (TimeoutError, OSError, RuntimeError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            return
        record.answered = time.perf_counter()
        record.text = answer.get("content", "")
        self._figures(record, answer)

    async def _vscode_style(self, record: Record, text: str, cursor: int, token: Token) -> None:
        """getCompletionItems, step for step (minus RAG, ring-buffer updates and the status bar)."""
        while self.in_progress:
            await asyncio.sleep(WAIT_MS / 1000)
            if token.cancelled:
                record.error = "cancelled"
                return
        self.in_progress = True
        try:
            inputs = fim_inputs(text, cursor)
            if len(inputs.line_suffix) > MAX_LINE_SUFFIX:
                record.answered, record.text = time.perf_counter(), ""
                return
            key = cache_key(inputs.input_prefix, inputs.input_suffix, inputs.prompt)
            completion = self.cache.completion(inputs.input_prefix, inputs.input_suffix, inputs.prompt)
            answer: dict[str, Any] | None = None
            if completion is None:
                if token.cancelled:
                    record.error = "cancelled"
                    return
                self.counts["infill"] += 1
                try:
                    answer = await self._infill(
                        infill_body(
                            inputs.input_prefix, inputs.input_suffix, inputs.prompt, self.extra, inputs.n_indent
                        )
                    )
                except (
                    TimeoutError,
                    OSError,
                    RuntimeError,
                    asyncio.IncompleteReadError,
                    ValueError,
                    IndexError,
                ) as exc:
                    record.answered, record.text, record.error = time.perf_counter(), "", f"{type(exc).__name__}: {exc}"
                    return
                completion = answer.get("content")
            else:
                self.counts["fromCache"] += 1
            self._figures(record, answer)
            if completion is None or completion.strip() == "":
                record.answered, record.text = time.perf_counter(), ""
                return
            lines = remove_trailing_new_lines(re.split(r"\r?\n", completion))
            if should_discard(lines, inputs.lines, inputs.line, inputs.line_prefix, inputs.line_suffix):
                record.answered, record.text = time.perf_counter(), ""
                return
            shown = update_suggestion(lines, inputs.line_suffix)
            if answer is not None:
                self.cache.put(key, shown)
            record.answered, record.text = time.perf_counter(), remove_leading_spaces(shown, inputs.spaces_to_remove)
            job = asyncio.ensure_future(self._prefetch(inputs, lines, token))
            self.background.add(job)
            job.add_done_callback(self.background.discard)
        finally:
            self.in_progress = False

    async def _prefetch(self, inputs: FimInputs, lines: list[str], token: Token) -> None:
        """The setTimeout after a suggestion: cacheFutureSuggestion, then cacheFutureAcceptLineSuggestion."""
        await asyncio.sleep(0)
        if token.cancelled or inputs.line_suffix.strip() != "":
            return
        (prefix, suffix, prompt), accept_line = future_requests(inputs, lines)
        key = cache_key(prefix, suffix, prompt)
        if self.cache.get(key) is None:
            self.counts["prefetch"] += 1
            indent = len(inputs.prompt) - len(inputs.prompt.lstrip())
            try:
                answer = await self._infill(infill_body(prefix, suffix, prompt, self.extra, indent))
            except (TimeoutError, OSError, RuntimeError, asyncio.IncompleteReadError, ValueError, IndexError):
                return
            content = answer.get("content") or ""
            if content.strip():
                self.cache.put(key, "\n".join(remove_trailing_new_lines(re.split(r"\r?\n", content))))
        if accept_line is not None and self.cache.get(accept_line[0]) is None:
            self.cache.put(*accept_line)

    def pending(self, record: Record) -> bool:
        return not self.jobs[id(record)].done()

    def cancel(self, record: Record) -> None:
        if self.client == "abort":
            self.jobs[id(record)].cancel()
        else:
            self.tokens[id(record)].cancelled = True

    async def _settle(self) -> None:
        """Let the work still running (an un-aborted request, a prefetch) end before going on."""
        running = [job for job in [*self.jobs.values(), *self.background] if not job.done()]
        if running:
            await asyncio.wait(running, timeout=120)

    async def end(self, task: Task) -> None:
        for token in self.tokens.values():
            token.cancelled = True
        await self._settle()
        self.jobs.clear()
        self.tokens.clear()


# --------------------------------------------------------------------------------------------
# The two systems


@contextlib.asynccontextmanager
async def ours_session(model: str, root: Path, server_log: Path, **options: Any):
    """Our server over stdio on ``root``, its model loaded and its index built; closed on exit."""
    from lsp_server.session_client import start_session

    with server_log.open("w") as log:
        begun = time.perf_counter()
        # Nothing saved on disk by an earlier run: every run starts as a fresh install does.
        session = await start_session(
            root, {"model": model, "auditLog": False, "kvSnapshotDiskMb": 0, **options}, log=log
        )
        try:
            status = await session.status()
            while status["state"] != "ready" or status.get("index", {}).get("state") != "ready":
                if status["state"] == "failed" or time.perf_counter() - begun > 600:
                    raise SystemExit(
                        f"our server is not ready: {status.get('error') or status}; messages: {session.messages}"
                    )
                await asyncio.sleep(0.1)
                status = await session.status()
            yield session
        finally:
            await session.close()


async def run_ours(
    model: str,
    root: Path,
    tasks: Sequence[Task],
    traces: list[tuple[list[Key], list[float]]],
    settle_s: float,
    pause_wait_s: float,
    server_log: Path,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    async with ours_session(model, root, server_log, **(options or {})) as session:
        driver = OursDriver(session, root)
        driver.generations = (await session.status()).get("generations")
        records: list[Record] = []
        pid = session.client._server.pid
        before = cpu_sample([pid])
        for task, (keys, times) in zip(tasks, traces, strict=True):
            records += await replay(driver, task, keys, times, settle_s, pause_wait_s)
        load = other_load(before, cpu_sample([pid]))
        final = await session.status()
        rss = peak_rss_mb(pid)
    return {
        "records": records,
        "rss_mb": rss,
        "index": final.get("index"),
        "generations": final.get("generations"),
        "completion": final.get("completion"),
        "other_load": load,
    }


@contextlib.asynccontextmanager
async def llama_server(binary: Path, model: Path, threads: int, server_log: Path, extra_args: Sequence[str] = ()):
    """llama-server as llama.vscode's docs start it, healthy; yields (process, port, command); stopped on exit."""
    port = free_port()
    # -np 1: left to itself this build makes 4 slots that share one -c 8192 KV pool, which 2.5K-token
    # prompts overflow ("failed to find free space in the KV cache") and whose idle slots start cold.
    command = [
        str(binary),
        "-m",
        str(model),
        "-t",
        str(threads),
        "-c",
        "8192",
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--cache-reuse",
        "256",
        "-ub",
        "512",
        "-b",
        "512",
        "-np",
        "1",
        *extra_args,
    ]
    with server_log.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            begun = time.perf_counter()
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"llama-server exited with {process.returncode}: see {server_log}")
                try:
                    status, _ = await http("127.0.0.1", port, "GET", "/health", timeout=5)
                    if status == 200:
                        break
                except OSError:
                    pass
                if time.perf_counter() - begun > 300:
                    raise SystemExit(f"llama-server never became healthy: see {server_log}")
                await asyncio.sleep(0.2)
            yield process, port, " ".join(command)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


async def run_llama_server(
    binary: Path,
    model: Path,
    threads: int,
    root: Path,
    tasks: Sequence[Task],
    traces: list[tuple[list[Key], list[float]]],
    settle_s: float,
    pause_wait_s: float,
    extra_tokens: int,
    server_log: Path,
    extra_args: Sequence[str],
    client: str,
) -> dict[str, Any]:
    async with llama_server(binary, model, threads, server_log, extra_args) as (process, port, command):
        driver = LlamaServerDriver(port, root, extra_tokens, client)
        records: list[Record] = []
        before = cpu_sample([process.pid])
        for task, (keys, times) in zip(tasks, traces, strict=True):
            records += await replay(driver, task, keys, times, settle_s, pause_wait_s)
        load = other_load(before, cpu_sample([process.pid]))
        rss = peak_rss_mb(process.pid)
    return {
        "records": records,
        "rss_mb": rss,
        "command": command,
        "context": driver.context,
        "client": client,
        "counts": driver.counts,
        "other_load": load,
    }


async def main(args: argparse.Namespace) -> None:
    begun = time.perf_counter()
    project = fetch_project()
    tasks = load_tasks(project, args.functions, args.seed)
    traces = []
    for task in tasks:
        keys = keystrokes(task.typed)
        traces.append((keys, schedule(keys, args.cps, args.newline_pause, args.space_pause)))
    model = model_path(args.model)
    if not model.is_file():
        raise SystemExit(f"{model} is missing: run `.venv/bin/iquest-lsp model fetch {args.model}`")
    binary = llama_server_binary(args.llama_server) if args.only != "ours" else None
    workspace = prepare_workspace(project, {task.path: task.holed for task in tasks})
    threads = os.cpu_count() or 1
    name, version = REPO_SPEC
    typing_s = sum(times[-1] for _, times in traces)
    print(
        f"project: {name} {version} sdist; model {model.name}; {threads} threads; typing {args.cps:g} chars/s, "
        f"pause {args.newline_pause:g} s after a newline, {args.space_pause:g} s after a space "
        f"(longer while waiting for a suggestion, up to {args.pause_wait:g} s)"
    )
    for task, (keys, _) in zip(tasks, traces, strict=True):
        print(
            f"  {task.path}:{task.def_line} {task.name} ({task.lines} lines, {len(task.typed)} chars typed, "
            f"{len(keys)} keys, "
            f"{sum(k.pause == 'newline' for k in keys)} newline + {sum(k.pause == 'space' for k in keys)} space pauses)"
        )
    print(f"  {typing_s:.0f} s of typing per system, plus the waits at pauses", flush=True)
    results: dict[str, dict[str, Any]] = {}
    logs = workspace.parent
    if args.only in (None, "ours"):
        results["ours"] = await run_ours(
            args.model,
            workspace,
            tasks,
            traces,
            args.settle,
            args.pause_wait,
            logs / "ours.log",
            args.server_options,
        )
        stats = results["ours"].get("completion")
        if stats:
            print(
                "ours: "
                + ", ".join(f"{k} {v}" for k, v in stats.items())
                + " (the server's counters, warm-ups included)"
            )
    if args.only in (None, "llama-server"):
        results["llama-server"] = await run_llama_server(
            binary,
            model,
            threads,
            workspace,
            tasks,
            traces,
            args.settle,
            args.pause_wait,
            args.extra_tokens,
            logs / "llama-server.log",
            args.llama_server_arg,
            args.llama_client,
        )
        theirs = results["llama-server"]
        print(f"llama-server: {theirs['command']}")
        contexts = theirs["context"].values()
        client_kind = (
            "llama.vscode (one request at a time, never aborted; result cache; prefetch)"
            if args.llama_client == "vscode"
            else "abort the pending request on every key"
        )
        print(
            f"  client: {client_kind}; "
            f"{theirs['counts']['infill']} /infill requests + {theirs['counts']['prefetch']} prefetches, "
            f"{theirs['counts']['fromCache']} answers from its cache"
        )
        print(
            f"  input_extra: {min(c['tokens'] for c in contexts)}-{max(c['tokens'] for c in contexts)} tokens in "
            f"{min(c['chunks'] for c in contexts)}-{max(c['chunks'] for c in contexts)} chunks of "
            f"{RING_CHUNK_LINES} lines per function"
        )
    summaries = {system: summarize(result["records"]) for system, result in results.items()}
    print()
    for line in table(summaries, {system: result["rss_mb"] for system, result in results.items()}):
        print(line)
    loads = {system: result.get("other_load") for system, result in results.items()}
    print(
        "CPU used by other processes while typing: "
        + ", ".join(f"{system} {'-' if load is None else f'{100 * load:.0f}%'}" for system, load in loads.items())
    )
    if any(load is not None and load > 0.10 for load in loads.values()):
        print(
            "  WARNING: the machine was busy with other work; these figures are not comparable. "
            "Run again on a quiet machine."
        )
    ratios: dict[str, Any] = {}
    if len(summaries) == 2:
        ours, theirs = summaries["ours"], summaries["llama-server"]
        print()
        for key in ("p50", "p95"):
            value, relation = ratio(
                ours[f"pause_{key}_ms"],
                ours[f"pause_{key}_min_ms"],
                theirs[f"pause_{key}_ms"],
                theirs[f"pause_{key}_min_ms"],
            )
            ratios[key] = {"value": value, "relation": relation}
            shown = "-" if not relation else f"{'' if relation == '=' else relation + ' '}{value:.2f}x"
            print(
                f"ours/llama-server at pauses {key}: {shown}   target <= {TARGETS[key]}x   "
                f"{verdict(value, relation, TARGETS[key]) if relation else '-'}"
            )
    if "ours" in summaries:
        share = summaries["ours"]["pause_fast_share"]
        met = "-" if math.isnan(share) else ("met" if share >= TARGETS["fast_share"] else "missed")
        print(
            f"ours: pauses answered within {FAST_MS:.0f} ms: {fmt_share(share)}   "
            f"target >= {100 * TARGETS['fast_share']:.0f}%   {met}"
        )
    elapsed = time.perf_counter() - begun
    print(f"run took {elapsed:.0f} s; server logs in {logs}")
    if args.json:
        report = {
            "project": f"{name}-{version}",
            "model": str(model),
            "threads": threads,
            "options": {k: v for k, v in vars(args).items() if k != "json"},
            "tasks": [
                {"path": t.path, "name": t.name, "def_line": t.def_line, "lines": t.lines, "typed_chars": len(t.typed)}
                for t in tasks
            ],
            "summaries": summaries,
            "ratios": ratios,
            "targets": TARGETS,
            "seconds": elapsed,
            "systems": {
                system: {
                    **{k: v for k, v in result.items() if k != "records"},
                    "records": [_record_json(r) for r in result["records"]],
                }
                for system, result in results.items()
            },
        }
        Path(args.json).write_text(json.dumps(_finite(report), indent=1, default=str), encoding="utf-8")


def _record_json(record: Record) -> dict[str, Any]:
    out = asdict(record)
    out["latency_ms"] = record.latency_ms
    out["gap_ms"] = (record.next_key - record.sent) * 1000 if math.isfinite(record.next_key) else None
    return out


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model", default="qwen2.5-coder-0.5b", help="catalog name or .gguf path (both systems run this file)"
    )
    parser.add_argument("--functions", type=int, default=4)
    parser.add_argument("--cps", type=float, default=8.0, help="typing speed, characters per second")
    parser.add_argument("--newline-pause", type=float, default=1.0, help="seconds the user waits after a newline")
    parser.add_argument("--space-pause", type=float, default=0.3, help="seconds the user waits after a space")
    parser.add_argument(
        "--pause-wait",
        type=float,
        default=30.0,
        help="at a pause the user waits up to this many seconds for the suggestion before typing on (0: never waits)",
    )
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait for the last request of a function")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="write every figure and request here")
    parser.add_argument("--only", choices=["ours", "llama-server"])
    parser.add_argument(
        "--llama-server", help="llama-server binary to use instead of the cached build ($IQUEST_LLAMA_SERVER)"
    )
    parser.add_argument(
        "--llama-server-arg", action="append", default=[], help="extra llama-server argument (repeatable)"
    )
    parser.add_argument(
        "--llama-client",
        choices=["vscode", "abort"],
        default="vscode",
        help="vscode: llama.vscode's provider (default); abort: a request per key, the pending one's connection closed",
    )
    parser.add_argument(
        "--extra-tokens", type=int, default=1536, help="input_extra chunks are added until they hold this many tokens"
    )
    parser.add_argument(
        "--server-option",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="a setting of our server, e.g. nextEdit.enabled=true (repeatable)",
    )
    arguments = parser.parse_args()
    arguments.server_options = dict(server_option(parser, text) for text in arguments.server_option)
    asyncio.run(main(arguments))
