"""Index benchmark on a real repository: cold index, warm restart, update after a save, peak RSS.

The repository is the Django 5.2.8 sdist from PyPI (2,818 Python files plus the admin's JavaScript),
fetched once into ~/.cache/iquest-lsp/bench. Each phase runs in a fresh process, as a restart would.

    .venv/bin/python scripts/bench_index.py [--updates 50]

Targets on a 2-core machine: cold <= 60 s, warm restart <= 3 s, update after a save <= 50 ms p95.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stats import percentile
from sdist import fetch_sdist  # noqa: E402

REPO_SPEC = ("Django", "5.2.8")
BENCH_DIR = Path(os.environ.get("IQUEST_BENCH_DIR", Path.home() / ".cache" / "iquest-lsp" / "bench"))


def fetch_repository() -> Path:
    """Download and unpack the sdist once; return the source root."""
    return fetch_sdist(*REPO_SPEC, BENCH_DIR)


def phase_build(root: Path, cache: Path) -> dict:
    """One process: build the index with this cache directory."""
    import resource

    from lsp_server.context.files import WorkspaceFiles
    from lsp_server.context.index import WorkspaceIndex

    index = WorkspaceIndex(WorkspaceFiles([root]), cache)
    stats = index.build()
    return {
        "files": stats.files,
        "from_cache": stats.from_cache,
        "parsed": stats.parsed,
        "seconds": stats.seconds,
        "symbols": sum(len(s.symbols) for s in index.summaries().values()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def phase_updates(root: Path, cache: Path, count: int, seed: int) -> dict:
    """One process: warm index, then edit files on disk and time the index catching up."""
    from lsp_server.context.files import WorkspaceFiles
    from lsp_server.context.index import WorkspaceIndex
    from lsp_server.context.watcher import WorkspaceWatcher

    index = WorkspaceIndex(WorkspaceFiles([root]), cache)
    index.build()
    rng = random.Random(seed)
    paths = sorted(p for p in root.rglob("*.py") if p.stat().st_size > 2000)
    direct: list[float] = []
    watched: list[float] = []
    originals: dict[Path, str] = {}
    watcher = WorkspaceWatcher([root], lambda batch: [index.update_path(p) for p in batch])
    watcher.start()
    try:
        for number in range(count):
            path = rng.choice(paths)
            originals.setdefault(path, path.read_text(encoding="utf-8"))
            name = f"bench_added_{number}"
            path.write_text(originals[path] + f"\n\ndef {name}():\n    return {number}\n", encoding="utf-8")
            started = time.perf_counter()
            while not index.definitions(name):  # via the watcher: inotify + 100 ms debounce + re-summarize
                if time.perf_counter() - started > 10:
                    break
                time.sleep(0.002)
            watched.append((time.perf_counter() - started) * 1000)
            path.write_text(originals[path] + f"\n\ndef {name}_direct():\n    return {number}\n", encoding="utf-8")
            started = time.perf_counter()
            index.update_path(path)  # the work itself, as the watcher's thread does it after a save
            direct.append((time.perf_counter() - started) * 1000)
            time.sleep(0.15)  # let the watcher's own event for this write pass
    finally:
        watcher.stop()
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
    return {"direct_ms": direct, "watched_ms": watched}


def run_phase(args: list[str]) -> dict:
    output = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--phase", choices=["build", "updates"], help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "build":
        print(json.dumps(phase_build(Path(args.root), Path(args.cache))))
        return
    if args.phase == "updates":
        print(json.dumps(phase_updates(Path(args.root), Path(args.cache), args.updates, args.seed)))
        return

    root = fetch_repository()
    with tempfile.TemporaryDirectory(prefix="iquest-index-cache-") as cache:
        cold = run_phase(["--phase", "build", "--root", str(root), "--cache", cache])
        warm = run_phase(["--phase", "build", "--root", str(root), "--cache", cache])
        updates = run_phase(
            [
                "--phase",
                "updates",
                "--root",
                str(root),
                "--cache",
                cache,
                "--updates",
                str(args.updates),
                "--seed",
                str(args.seed),
            ]
        )
    direct, watched = updates["direct_ms"], updates["watched_ms"]
    name, version = REPO_SPEC
    print(f"repository: {name} {version} sdist, {cold['files']} indexed source files, {cold['symbols']} symbols")
    print(
        f"cold index:    {cold['seconds']:.2f} s  ({cold['parsed']} parsed)       "
        f"peak RSS {cold['peak_rss_mb']:.0f} MB   target <= 60 s"
    )
    print(
        f"warm restart:  {warm['seconds']:.2f} s  ({warm['from_cache']} from cache)  "
        f"peak RSS {warm['peak_rss_mb']:.0f} MB   target <= 3 s"
    )
    print(
        f"update after a save (re-summarize + symbol table), {len(direct)} saves: "
        f"p50 {statistics.median(direct):.1f} ms  p95 {percentile(direct, 0.95):.1f} ms  "
        f"max {max(direct):.1f} ms   target <= 50 ms p95"
    )
    print(
        f"save -> visible in the index via the watcher (incl. 100 ms debounce): "
        f"p50 {statistics.median(watched):.0f} ms  p95 {percentile(watched, 0.95):.0f} ms"
    )


if __name__ == "__main__":
    main()
