"""The most context or a re-ranking could win on cross-file lines: the server's own prompts, replayed with help.

First run the eval with the prompt log on, then this on its results:

    IQUEST_PROMPT_LOG=prompts.jsonl .venv/bin/python scripts/eval_fim.py --kinds cross-file --modes on \
        --generation-timeout-ms 600000 --json results.json
    .venv/bin/python scripts/eval_oracle_context.py results.json prompts.jsonl [--top-k 5] [--json oracle.json]

For every task whose prompt is in the log (found by its middle part, which ends with the document before the
cursor), the model (Qwen2.5-Coder-0.5B Q4_K_M, in process) writes the first line greedily with the same token
healing, three ways:

    as-is       the logged prompt again: checks that the replay gives the server's answer
    definition  with the definition of the name the expected line starts with (the workspace index's, rendered
                as the `definitions` source renders it) put last in the context, right before the document's own
                window: what context could add if it always knew which name comes next
    usages      with up to 5 lines of other files that use that name (`name(`, `name.`, `name::`, `name {`)
                put last in the context instead: what examples of the name in use could add; with
                `--usages-of near`, 2 lines each for the 3 names around the cursor that another file defines
                (what a context source could know), replayed on every task
    top-k       the k most likely first tokens, each continued greedily: exact when any of them is, the most a
                re-ranking of first tokens (by a check of the names in scope, say) could win
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from fim_eval.projects import ALL_PROJECTS, fetch_project
from fim_eval.tasks import Task, load_cases

FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE = "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"
STOP_MARKERS = ("<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE, "<|repo_name|>")
MAX_TOKENS = 48
_NAME = re.compile(r"[A-Za-z_$][\w$]*")
_MIN_MIDDLE = 20  # shorter middles could match many places
MAX_USAGES = 5


def leading_name(expected: str) -> str | None:
    """The identifier the expected text starts with (a cross-file line starts with the imported name)."""
    match = _NAME.match(expected)
    return match.group() if match else None


def logged_prompt(before_cursor: str, entries: Sequence[dict]) -> dict | None:
    """The log entry whose middle part (with the healed text) ends the document before the cursor."""
    for entry in entries:
        middle = entry["prompt"].rsplit(FIM_MIDDLE, 1)[-1] + entry.get("healed", "")
        if len(middle) >= _MIN_MIDDLE and before_cursor.endswith(middle):
            return entry
    return None


def with_definition(prompt: str, own_path: str, comment: str, chunk_path: str, chunk_text: str) -> str:
    """``prompt`` with one more context chunk, last, right before the document's own header (added if absent)."""
    head, rest = prompt.split(FIM_SUFFIX, 1)
    chunk = f"{comment} {chunk_path}\n{chunk_text.rstrip(chr(10))}\n\n"
    own = f"\n{comment} {own_path}\n"
    at = head.rfind(own)
    if at >= 0:
        head = head[: at + 1] + chunk + head[at + 1 :]
    else:
        start = head.index(FIM_PREFIX) + len(FIM_PREFIX)
        head = head[:start] + chunk + own[1:] + head[start:]
    return head + FIM_SUFFIX + rest


def usage_lines(names: Sequence[str], sources: dict[str, str], own_path: str, each: int) -> tuple[str, str] | None:
    """The first file's path and up to ``each`` distinct lines per name, of other files than ``own_path``, using
    each of ``names`` (at most MAX_USAGES lines in all)."""
    found: dict[str, str] = {}
    for name in names:
        use = re.compile(rf"(?<![\w$]){re.escape(name)}\s*(\(|\.|::|\{{)")
        of_name = 0
        for path, text in sorted(sources.items()):
            if path == own_path or of_name == each:
                continue
            for line in text.split("\n"):
                if use.search(line) and not line.lstrip().startswith(("import ", "from ", "use ", "//", "#")):
                    of_name += line.strip() not in found
                    found.setdefault(line.strip(), path)
                    if of_name == each or len(found) == MAX_USAGES:
                        break
            if len(found) == MAX_USAGES:
                return next(iter(found.values())), "\n".join(found)
    return (next(iter(found.values())), "\n".join(found)) if found else None


def names_near(document: str, offset: int, own_path: str, index, count: int) -> list[str]:
    """The first ``count`` names around the cursor that another file defines (as the definitions source finds them)."""
    from lsp_server.context.assembly import identifiers_near

    names = []
    for name in identifiers_near(document, offset):
        if any(d.path != own_path and d.symbol.kind != "attribute" for d in index.definitions(name)):
            names.append(name)
            if len(names) == count:
                break
    return names


def first_line(text: str) -> str:
    return text.lstrip("\n").split("\n", 1)[0].rstrip()


class Replayer:
    """Greedy first lines from a text prompt, the prompt's healed text spelled again first."""

    def __init__(self, model_path: Path) -> None:
        import llama_cpp
        import numpy as np

        from lsp_server.model.healing import TokenHealer
        from lsp_server.model.llama_loading import vocab_pieces

        self._np = np
        self._llm = llama_cpp.Llama(str(model_path), n_ctx=8192, n_threads=2, verbose=False)
        self._healer = TokenHealer(vocab_pieces(self._llm))
        ids = (self._llm.tokenize(m.encode(), add_bos=False, special=True) for m in STOP_MARKERS)
        self._stops = {self._llm.token_eos()} | {i[0] for i in ids if len(i) == 1}

    def _logits(self):
        return self._np.ctypeslib.as_array(self._llm._ctx.get_logits(), shape=(self._llm.n_vocab(),))

    def lines(self, prompt: str, healed: str, top_k: int = 1) -> list[str]:
        """The first line after each of the ``top_k`` most likely first tokens (the greedy one first)."""
        tokens = self._llm.tokenize(prompt.encode(), add_bos=False, special=True)
        self._llm.reset()
        self._llm.eval(tokens)
        logits = self._logits()
        pending = healed.encode()
        allowed = self._healer.allowed(pending) if pending else self._np.arange(len(logits))
        firsts = allowed[self._np.argsort(-logits[allowed])][:top_k]
        return [self._continue(len(tokens), int(first), pending) for first in firsts]

    def _continue(self, at: int, token: int, healed: bytes) -> str:
        self._llm.n_tokens = at  # the next eval overwrites the KV from here
        out, pending = b"", healed
        for _ in range(MAX_TOKENS):
            if token in self._stops:
                break
            piece = self._healer.piece(token)
            out += piece
            pending = self._healer.still_pending(pending, piece) if pending else b""
            if b"\n" in out.lstrip(b"\n"):
                break
            self._llm.eval([token])
            logits = self._logits()
            token = self._healer.choose(logits, pending) if pending else int(self._np.argmax(logits))
        return first_line(out[len(healed) :].decode("utf-8", errors="replace"))


def main(args: argparse.Namespace) -> None:
    from lsp_server.context.assembly import ContextAssembler
    from lsp_server.context.files import WorkspaceFiles
    from lsp_server.context.index import WorkspaceIndex
    from lsp_server.context.recent import RecentSnippets
    from lsp_server.model.catalog import load_catalog
    from lsp_server.model.fetch import resolve_model

    rows = [r for r in json.loads(args.results.read_text()) if r["mode"] == "on" and r["kind"] == "cross-file"]
    entries = [json.loads(line) for line in args.prompts.read_text().splitlines() if line.strip()]
    entries = [e for e in entries if e.get("kind") == "request"]
    replayer = Replayer(resolve_model(args.model, load_catalog()).path)
    fields = ("project", "version", "language", "kind", "path", "line", "character", "end_line", "sha256")
    out, counts = [], {"tasks": 0, "server": 0, "as-is": 0, "definition": 0, "usages": 0, f"top-{args.top_k}": 0}
    for name in dict.fromkeys(r["project"] for r in rows):
        workspace = fetch_project(ALL_PROJECTS[name])
        index = WorkspaceIndex(WorkspaceFiles([workspace]), None)
        index.build()
        assembler = ContextAssembler(index, RecentSnippets())
        sources = {path: index.source(path) or "" for path in index.summaries()}
        for row in (r for r in rows if r["project"] == name):
            case = load_cases([Task(**{f: row[f] for f in fields})], workspace)[0]
            task = case.task
            lines = case.document.split("\n")
            before = "\n".join([*lines[: task.line], lines[task.line][: task.character]])
            entry = logged_prompt(before, entries)
            name_used = leading_name(case.expected)
            found = [
                d for d in index.definitions(name_used or "") if d.path != task.path and d.symbol.kind != "attribute"
            ]
            chunk = assembler.definition_chunk(found[0], "definition") if found else None
            if entry is None or (chunk is None and not args.usages_only):
                continue
            comment = "#" if task.language == "python" else "//"
            expected = first_line(case.expected)
            server = first_line(row["suggestion"] or "")
            if args.wrong_only and server == expected:
                continue
            if args.usages_of == "expected":
                usages = usage_lines([name_used or ""], sources, task.path, MAX_USAGES)
            else:
                offset = len(before)
                near = names_near(case.document, offset, task.path, index, 3)
                usages = usage_lines(near, sources, task.path, 2)
            if args.usages_only:
                as_is, helped = [server], [server]
            else:
                as_is = replayer.lines(entry["prompt"], entry["healed"], args.top_k)
                if chunk is not None:
                    helped_prompt = with_definition(entry["prompt"], task.path, comment, chunk.path, chunk.text)
                    helped = replayer.lines(helped_prompt, entry["healed"])
                else:
                    helped = as_is
            used = server
            if usages:
                used_prompt = with_definition(entry["prompt"], task.path, comment, *usages)
                used = replayer.lines(used_prompt, entry["healed"])[0]
            result = {
                **{f: row[f] for f in fields},
                "expected": expected,
                "server": first_line(row["suggestion"] or ""),
                "as-is": as_is[0],
                "definition": helped[0],
                "usages": used,
                "top": as_is,
            }
            out.append(result)
            counts["tasks"] += 1
            counts["server"] += result["server"] == expected
            counts["as-is"] += as_is[0] == expected
            counts["definition"] += helped[0] == expected
            counts["usages"] += used == expected
            counts[f"top-{args.top_k}"] += expected in as_is
            print(
                f"{task.path}:{task.line} {expected[:40]!r} -> {as_is[0][:40]!r} / {helped[0][:40]!r} / {used[:40]!r}",
                file=sys.stderr,
            )
    print(" ".join(f"{k} {v}" for k, v in counts.items()))
    if counts["tasks"]:
        shares = (f"{k} {100 * v / counts['tasks']:.1f}" for k, v in counts.items() if k != "tasks")
        print("exact first line %: " + ", ".join(shares))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", type=Path, help="scripts/eval_fim.py --json output of an `on` run")
    parser.add_argument("prompts", type=Path, help="the $IQUEST_PROMPT_LOG of that run")
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--json", help="write every task's lines here")
    parser.add_argument("--wrong-only", action="store_true", help="only the tasks whose server answer was not exact")
    parser.add_argument(
        "--usages-only", action="store_true", help="replay only the usages variant (as-is and definition: the server's)"
    )
    parser.add_argument(
        "--usages-of",
        choices=("expected", "near"),
        default="expected",
        help="the expected line's name (an oracle), or the 3 names around the cursor that another file defines",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    main(parse_args())
