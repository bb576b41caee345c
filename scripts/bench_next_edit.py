"""Next-edit latency as a user waits for it: the end of a parameter rename to the prediction shown, real server.

Real code, not ours: --renames functions of the requests 2.32.3 sdist from PyPI (fetched once into
~/.cache/iquest-lsp/bench, as scripts/bench_latency.py does) whose parameter is used in the body. For each,
the module is opened as it is, and the parameter in the ``def`` line is renamed by typing at --cps
characters per second, one incremental didChange a key: a prefix typed before the name, a suffix after
it, or the name selected and a new one typed over it (the kind and the new name from --seed). Before the
first key, one inline completion at the parameter is answered (the cursor came there) and a second passes.
Then the client does what the VS Code extension does: it waits iquest.nextEdit.idleMs after the last key and asks
``textDocument/copilotInlineEdit`` (the server started its prediction at the same moment and the request
joins it). The latency is from the last key to the answer, so it holds the idle wait.

With --with-completions every key also asks for an inline completion as VS Code does (the pending one
cancelled), so the prediction waits for the model worker as it would in the editor.

    hit    the predicted edit renames uses of the old name to the new one and changes nothing else
    empty  no edit came back

The first rename is a warm-up and not counted (the model is loaded, the first prompt is evaluated cold).

    .venv/bin/python scripts/bench_next_edit.py [--model qwen2.5-coder-0.5b] [--renames 12] [--seed 18]
        [--cps 8] [--with-completions] [--json PATH] [--server-option NAME=JSON]
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_latency import cpu_sample, fetch_project, other_load, utf16_position  # noqa: E402
from bench_stats import percentile, server_option  # noqa: E402
from lsprotocol import types  # noqa: E402

from lsp_server.positions import clamped_offset_at  # noqa: E402
from lsp_server.session_client import Session, as_json, start_session  # noqa: E402

PACKAGE_DIR = "src/requests"
KINDS = ("prefix", "suffix", "replace")
PREFIXES = ("new_", "raw_", "the_", "given_")
SUFFIXES = ("_value", "_arg", "_in", "_obj")
NAMES = ("value", "target", "source", "payload", "entry", "subject")


@dataclass(frozen=True)
class Rename:
    """One parameter rename: the module, the parameter's offset in the def line, the old and new names."""

    path: str
    function: str
    offset: int
    old: str
    new: str
    kind: str


@dataclass
class Outcome:
    """What one rename got: the latency from the last key to the answer, and whether the edit was the rename."""

    rename: Rename
    latency_ms: float
    verdict: str  # hit, miss, empty
    edit: str
    replaced: str = ""


def renames_in(path: str, source: str) -> list[tuple[str, int, str, int]]:
    """(function, offset of the parameter in its def line, name, uses in the body) for every renameable parameter."""
    tree = ast.parse(source)
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or not node.body:
            continue
        if not node.args.args or node.args.args[-1].lineno != node.lineno:
            continue  # only parameters on the def line: the rename is typed there
        body_start = node.body[0].lineno
        body = "".join(source.splitlines(keepends=True)[body_start - 1 : node.end_lineno])
        for arg in node.args.args:
            if arg.arg in ("self", "cls") or len(arg.arg) < 2:
                continue
            uses = len(re.findall(rf"(?<![\w.]){re.escape(arg.arg)}\b", body))  # not as an attribute
            if uses:
                found.append((node.name, offsets[arg.lineno - 1] + arg.col_offset, arg.arg, uses))
    return found


def pick_renames(sources: dict[str, str], count: int, seed: int) -> list[Rename]:
    """``count`` renames of different functions, spread over the modules, chosen and named with ``seed``."""
    rng = random.Random(seed)
    candidates = [(path, *found) for path, source in sorted(sources.items()) for found in renames_in(path, source)]
    rng.shuffle(candidates)
    chosen: list[Rename] = []
    seen: set[tuple[str, str]] = set()
    for path, function, offset, name, _ in candidates:
        if (path, function) in seen:
            continue
        seen.add((path, function))
        kind = KINDS[len(chosen) % len(KINDS)]
        if kind == "prefix":
            new = rng.choice(PREFIXES) + name
        elif kind == "suffix":
            new = name + rng.choice(SUFFIXES)
        else:
            new = rng.choice([n for n in NAMES if not re.search(rf"\b{n}\b", sources[path])] or ["renamed"])
        chosen.append(Rename(path, function, offset, name, new, kind))
        if len(chosen) == count:
            break
    return chosen


def keystrokes(rename: Rename) -> list[tuple[int, int, str]]:
    """The changes the user makes, as (start, end, text) on the text at that moment."""
    at, old, new = rename.offset, rename.old, rename.new
    if rename.kind == "prefix":
        typed = new[: len(new) - len(old)]
        return [(at + i, at + i, ch) for i, ch in enumerate(typed)]
    if rename.kind == "suffix":
        end = at + len(old)
        return [(end + i, end + i, ch) for i, ch in enumerate(new[len(old) :])]
    return [(at, at + len(old), new[0])] + [(at + i, at + i, ch) for i, ch in enumerate(new[1:], 1)]


def apply_change(text: str, start: int, end: int, new_text: str) -> str:
    """``text`` with ``[start, end)`` replaced."""
    return text[:start] + new_text + text[end:]


def judge(renamed: str, edited: str | None, rename: Rename) -> str:
    """hit: ``edited`` is ``renamed`` with some uses of the old name (and nothing else) renamed; miss; empty.

    A use is the name as a word, not an attribute (``os.path`` is no use of ``path``)."""
    if edited is None:
        return "empty"
    if edited == renamed:
        return "miss"
    old_lines, new_lines = renamed.split("\n"), edited.split("\n")
    if len(old_lines) != len(new_lines):
        return "miss"
    for before, after in zip(old_lines, new_lines, strict=True):
        if before != after and not _renames_uses(before, after, rename.old, rename.new):
            return "miss"
    return "hit"


def _renames_uses(before: str, after: str, old: str, new: str) -> bool:
    """True when ``after`` is ``before`` with one or more uses of ``old`` spelled ``new``."""
    words_before, words_after = _WORD.split(before), _WORD.split(after)
    if len(words_before) != len(words_after):
        return False
    renamed = False
    for index, (a, b) in enumerate(zip(words_before, words_after, strict=True)):
        if a == b:
            continue
        is_use = index % 2 == 1 and a == old and b == new and not words_before[index - 1].endswith(".")
        if not is_use:
            return False
        renamed = True
    return renamed


_WORD = re.compile(r"([A-Za-z_$][\w$]*)")


def ask_inline(session: Session, uri: str, text: str, cursor: int, pending: str | None, msg_id: str) -> str:
    """An Automatic inlineCompletion at ``cursor``, the pending one cancelled first, as VS Code's LSP client does."""
    if pending is not None:
        session.client.protocol.notify("$/cancelRequest", types.CancelParams(id=pending))
    line, character = utf16_position(text, cursor)
    future = session.client.protocol.send_request(
        types.TEXT_DOCUMENT_INLINE_COMPLETION,
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
        ),
        msg_id=msg_id,
    )
    future.add_done_callback(lambda done: done.exception())  # a cancelled request's error is expected
    return msg_id


async def run_rename(session: Session, root: Path, rename: Rename, source: str, number: int, args) -> Outcome:
    """Open the module, type the rename, wait idleMs like the VS Code extension, ask for the next edit."""
    path = root / f"{number:02d}_{Path(rename.path).name}"
    uri = session.open(path, source, "python")
    # The user has the module open and the cursor at the parameter: one answered completion there first.
    line, character = utf16_position(source, rename.offset)
    await asyncio.wait_for(session.inline(uri, line, character), 300)
    await asyncio.sleep(1.0)
    text, version = source, 1
    pending: str | None = None
    for start, end, typed in keystrokes(rename):
        version += 1
        (sl, sc), (el, ec) = utf16_position(text, start), utf16_position(text, end)
        span = types.Range(start=types.Position(line=sl, character=sc), end=types.Position(line=el, character=ec))
        session.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangePartial(range=span, text=typed)],
            )
        )
        text = apply_change(text, start, end, typed)
        last_key = time.perf_counter()
        if args.with_completions:
            pending = ask_inline(session, uri, text, start + len(typed), pending, f"n{number}-{version}")
        await asyncio.sleep(1 / args.cps)
    await asyncio.sleep(max(0.0, args.idle_ms / 1000 - (time.perf_counter() - last_key)))
    params = {"textDocument": {"uri": uri, "version": version}, "position": {"line": 0, "character": 0}}
    answer = await asyncio.wait_for(
        session.client.protocol.send_request_async("textDocument/copilotInlineEdit", params), 300
    )
    latency = (time.perf_counter() - last_key) * 1000
    edits = as_json(answer)["edits"]
    session.client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    if not edits:
        return Outcome(rename, latency, "empty", "")
    edit = edits[0]
    span = edit["range"]
    start = clamped_offset_at(text, span["start"]["line"], span["start"]["character"])
    end = clamped_offset_at(text, span["end"]["line"], span["end"]["character"])
    edited = apply_change(text, start, end, edit["text"])
    return Outcome(rename, latency, judge(text, edited, rename), edit["text"], text[start:end])


def summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Latency percentiles over every answer and over the shown ones (an edit came back), and the verdicts' shares."""
    count = len(outcomes) or 1

    def figures(latencies: list[float]) -> dict[str, float | None]:
        return {
            "p50_ms": round(percentile(latencies, 0.5), 1) if latencies else None,
            "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        }

    return {
        "renames": len(outcomes),
        "all": figures([o.latency_ms for o in outcomes]),
        "shown": figures([o.latency_ms for o in outcomes if o.verdict != "empty"]),
        **{f"{v}_pct": round(100 * sum(o.verdict == v for o in outcomes) / count, 1) for v in ("hit", "miss", "empty")},
    }


async def main(args: argparse.Namespace) -> None:
    project = fetch_project()
    sources = {
        p.relative_to(project).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted((project / PACKAGE_DIR).glob("*.py"))
    }
    renames = pick_renames(sources, args.renames + 1, args.seed)
    root = Path(tempfile.mkdtemp(prefix="iquest-bench-next-edit-"))
    options = {
        "model": args.model,
        "auditLog": False,
        "nextEdit": {"enabled": True, "idleMs": args.idle_ms},
        **dict(args.server_option),
    }
    log_path = root / "server.log"
    with log_path.open("w") as log:
        session = await start_session(root, options, log=log)
        try:
            pid = session.client._server.pid
            outcomes: list[Outcome] = []
            before = cpu_sample([pid])
            for number, rename in enumerate(renames):
                outcome = await run_rename(session, root, rename, sources[rename.path], number, args)
                label = "warm-up" if number == 0 else f"{number:2d}"
                print(
                    f"{label} {rename.path.rsplit('/', 1)[-1]}:{rename.function} {rename.old}->{rename.new} "
                    f"({rename.kind}): {outcome.latency_ms:.0f} ms, {outcome.verdict} {outcome.edit.strip()[:60]!r}",
                    flush=True,
                )
                if number:
                    outcomes.append(outcome)
            load = other_load(before, cpu_sample([pid]))
        finally:
            await session.close()
    figures = summary(outcomes)
    flag = "" if load is None or load <= 0.10 else f"  (other processes took {load:.0%} of the CPU: not comparable)"
    typing = "with an inline completion a key" if args.with_completions else "no inline completions"
    print(f"\nmodel {args.model}, idleMs {args.idle_ms}, {figures['renames']} renames, {typing}{flag}")
    for label in ("shown", "all"):
        row = figures[label]
        print(f"end of edit -> answer ({label}): p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms (target p50 <= 1.5 s)")
    print(f"hit {figures['hit_pct']}%, miss {figures['miss_pct']}%, empty {figures['empty_pct']}%")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"summary": figures, "other_load": load, "outcomes": [asdict(o) for o in outcomes]}, indent=1)
        )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--renames", type=int, default=12)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--cps", type=float, default=8.0)
    parser.add_argument("--idle-ms", type=int, default=400, help="iquest.nextEdit.idleMs (the server's default)")
    parser.add_argument(
        "--with-completions",
        action="store_true",
        help="each key also asks for an inline completion (Automatic, the pending one cancelled), as VS Code does",
    )
    parser.add_argument("--json")
    parser.add_argument("--server-option", action="append", default=[], metavar="NAME=JSON")
    args = parser.parse_args(argv)
    args.server_option = [server_option(parser, text) for text in args.server_option]
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
