"""Context assembly cost per completion request on a real project: step change vs frozen step.

The project is the httpx 0.27.0 sdist from PyPI, fetched once into ~/.cache/iquest-lsp/bench. Cursors are
placed at random lines of its Python files (the text after the cursor kept, as in an editor); for each,
``ContextAssembler.chunks`` is timed when the cursor has just entered a new step of lines (the context is
chosen: receiver types, definitions, similar windows, summaries) and again on the next keystroke inside that
step (the frozen context is returned).

    .venv/bin/python scripts/bench_context.py [--cursors 200] [--repo httpx==0.27.0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stats import percentile
from sdist import fetch_sdist  # noqa: E402

BENCH_DIR = Path(os.environ.get("IQUEST_BENCH_DIR", Path.home() / ".cache" / "iquest-lsp" / "bench"))


def figures(values: list[float]) -> dict:
    return {
        "p50_ms": round(percentile(values, 0.5), 3),
        "p95_ms": round(percentile(values, 0.95), 3),
        "mean_ms": round(statistics.fmean(values), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cursors", type=int, default=200)
    parser.add_argument("--repo", default="httpx==0.27.0")
    parser.add_argument("--budget", type=int, default=1024, help="contextTokens")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sources", default="", help="comma-separated contextSources (default: all)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from lsp_server.context.assembly import ContextAssembler
    from lsp_server.context.files import WorkspaceFiles
    from lsp_server.context.index import WorkspaceIndex
    from lsp_server.context.recent import RecentSnippets
    from lsp_server.context.similarity import SimilarityIndex
    from lsp_server.settings import CONTEXT_SOURCES, Settings

    sources = tuple(args.sources.split(",")) if args.sources else CONTEXT_SOURCES

    name, version = args.repo.split("==")
    root = fetch_sdist(name, version, BENCH_DIR)
    started = time.perf_counter()
    index = WorkspaceIndex(WorkspaceFiles([root]), None)
    index.build()
    index_s = time.perf_counter() - started
    tracemalloc.start()
    similar = SimilarityIndex()
    started = time.perf_counter()
    for rel, _ in index.summaries().items():
        similar.update(rel, index.source(rel))
    similar_s = time.perf_counter() - started
    similar_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    index.listeners.append(similar.update)

    # What the server tells the assembler with the default maxPromptTokens (completion/layout.py): the
    # characters around the cursor its local window holds, so a long file's far windows are candidates too.
    window = Settings().max_prompt_tokens
    local = ((window - window // 4) * 4, window // 4 * 4)
    rng = random.Random(args.seed)
    python_files = sorted(
        rel for rel in index.summaries() if rel.endswith(".py") and (index.source(rel) or "").count("\n") > 20
    )
    step_change: list[float] = []
    frozen: list[float] = []
    chunk_counts: list[int] = []
    reasons: dict[str, int] = {}
    for _ in range(args.cursors):
        rel = rng.choice(python_files)
        text = index.source(rel) or ""
        lines = text.split("\n")
        line = rng.randrange(1, len(lines))
        column = rng.randrange(0, len(lines[line]) + 1)
        offset = sum(len(x) + 1 for x in lines[:line]) + column
        assembler = ContextAssembler(index, RecentSnippets(), similar)
        started = time.perf_counter()
        chunks = assembler.chunks(rel, text, offset, args.budget, sources, local)
        step_change.append((time.perf_counter() - started) * 1000)
        typed = text[:offset] + "x" + text[offset:]
        started = time.perf_counter()
        assembler.chunks(rel, typed, offset + 1, args.budget, sources, local)
        frozen.append((time.perf_counter() - started) * 1000)
        chunk_counts.append(len(chunks))
        for chunk in chunks:
            reasons[chunk.reason] = reasons.get(chunk.reason, 0) + 1
    print(
        json.dumps(
            {
                "repo": args.repo,
                "files": len(index.summaries()),
                "index_build_s": round(index_s, 2),
                "similarity_chunks": len(similar),
                "similarity_build_s": round(similar_s, 2),
                "similarity_mb": round(similar_mb, 1),
                "cursors": args.cursors,
                "budget_tokens": args.budget,
                "sources": list(sources),
                "step_change": figures(step_change),
                "frozen_step": figures(frozen),
                "chunks_per_request_mean": round(statistics.fmean(chunk_counts), 1),
                "chunks_by_reason": reasons,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
