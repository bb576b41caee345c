"""Soak: thousands of completion requests with cancellations over a real project; RSS, tasks, p95 over time.

Types real functions of the requests 2.32.3 sdist (from PyPI, unpacked once into
~/.cache/iquest-lsp/bench) back into their files one key at a time through the real server
(SmolLM2-135M). After each key an inline request goes out; like an editor, the client either waits
for the answer (a pause) or types on and sends `$/cancelRequest` for it. Every request must be
answered (a result or -32800). Every 100 requests it samples the server's RSS, pending asyncio tasks,
the futures pygls keeps, threads and Python's allocated blocks (iquest.status); it reports the RSS and block
slopes after warm-up and p50/p95 per window.

    .venv/bin/python scripts/soak.py [--requests 5000] [--json out.json]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fuzz"))

from harness import initialize_params, wait_ready  # noqa: E402
from rpc import RawServer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stats import percentile
from sdist import fetch_sdist  # noqa: E402

REPO_SPEC = ("requests", "2.32.3")
BENCH_DIR = Path(os.environ.get("IQUEST_BENCH_DIR", Path.home() / ".cache" / "iquest-lsp" / "bench"))
WINDOW = 500
SAMPLE_EVERY = 100
# The client waits for at most one answer and cancels at most one; status and background work add a few.
MAX_PENDING = 5


def fetch_project() -> Path:
    """The unpacked sdist (downloaded once with pip)."""
    return fetch_sdist(*REPO_SPEC, BENCH_DIR)


def functions(root: Path) -> list[tuple[Path, int, int]]:
    """(file, first body line, last body line) of every function with a body of 2-30 lines (1-based)."""
    found = []
    for path in sorted((root / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
                first, last = node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno
                if 2 <= last - first + 1 <= 30:
                    found.append((path, first, last))
    return found


def slope_per_1000(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of (request number, value), per 1,000 requests."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return 1000 * sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0


class Soak:
    """The client side: typing, requests, cancels, answers, samples."""

    def __init__(self, server: RawServer, rng: random.Random, pause_share: float, key_interval_s: float) -> None:
        self.server = server
        self.rng = rng
        self.pause_share = pause_share
        self.key_interval_s = key_interval_s
        self.sent: list[int] = []
        self.latencies: list[tuple[int, float]] = []  # (request number, ms) of answers waited for
        self.samples: list[dict] = []
        self.cancels = 0
        self.answered: dict[int, dict] = {}
        self.version = 0

    def status(self) -> dict:
        return self.server.call("workspace/executeCommand", {"command": "iquest.status"}, timeout=120)["result"]

    def sample(self) -> None:
        status = self.status()
        self.samples.append({
            "requests": len(self.sent),
            "rss_mib": round(self.server.rss_kib() / 1024, 1),
            "pending_tasks": status["process"]["pendingTasks"],
            "request_futures": status["process"]["requestFutures"],
            "python_blocks": status["process"]["pythonBlocks"],
            "threads": status["process"]["threads"],
            "generations": status["generations"],
        })  # fmt: skip

    def type_function(self, path: Path, first: int, last: int, budget: int) -> None:
        """Delete a function body, then type it back key by key; stops after ``budget`` requests."""
        uri = path.as_uri()
        lines = path.read_text().split("\n")
        body = "\n".join(lines[first - 1 : last])
        indent = len(body) - len(body.lstrip(" "))
        holed = "\n".join(lines[: first - 1] + [" " * indent] + lines[last:])
        self.version += 1
        self.server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": self.version, "text": holed}},
        )
        line, column = first - 1, indent
        previous = None
        for char in body[indent:]:
            if budget <= 0:
                break
            self.version += 1
            pos = {"line": line, "character": column}
            change = {"range": {"start": pos, "end": pos}, "text": char}
            self.server.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": self.version}, "contentChanges": [change]},
            )
            line, column = (line + 1, 0) if char == "\n" else (line, column + 1)
            if previous is not None:
                self.cancels += 1
                self.server.notify("$/cancelRequest", {"id": previous})  # typed on: the editor cancels
                previous = None
            started = time.perf_counter()
            msg_id = self.server.request(
                "textDocument/inlineCompletion",
                {
                    "textDocument": {"uri": uri},
                    "position": {"line": line, "character": column},
                    "context": {"triggerKind": 2},
                },
            )
            self.sent.append(msg_id)
            budget -= 1
            if len(self.sent) % SAMPLE_EVERY == 0:
                self.sample()
            if char in " \n(" or self.rng.random() < self.pause_share:
                self.answered[msg_id] = response = self.server.wait_response(msg_id, 300)
                assert "result" in response or response["error"]["code"] == -32800, response
                self.latencies.append((len(self.sent), (time.perf_counter() - started) * 1000))
            else:
                previous = msg_id
                time.sleep(self.key_interval_s)
        self.server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def settle(self) -> dict[str, int]:
        """Wait for every request's answer; count results and cancellations."""
        outcome = {"result": 0, "cancelled": 0}
        for msg_id in self.sent:
            response = self.answered.pop(msg_id, None) or self.server.wait_response(msg_id, 300)
            if "result" in response:
                outcome["result"] += 1
            else:
                assert response["error"]["code"] == -32800, response
                outcome["cancelled"] += 1
        return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument(
        "--pause-share", type=float, default=0.35, help="share of keys after which the client waits for the answer"
    )
    parser.add_argument("--key-interval-ms", type=float, default=40.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="llama.cpp threads (1 keeps a shared machine from stalling its thread barrier)",
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--max-rss-slope", type=float, default=2.0, help="MiB per 1,000 requests after warm-up")
    parser.add_argument(
        "--max-block-slope", type=float, default=500, help="Python allocator blocks per 1,000 requests after warm-up"
    )
    args = parser.parse_args()

    from lsp_server.paths import models_dir

    project = fetch_project()
    base = Path(tempfile.mkdtemp(prefix="iquest-soak-"))
    env = {
        "IQUEST_CACHE_DIR": str(base / "cache"),
        "IQUEST_STATE_DIR": str(base / "state"),
        "IQUEST_MODEL_DIR": str(models_dir()),
        "IQUEST_LOG_LEVEL": "WARNING",
    }
    server = RawServer(env=env, stderr_path=base / "server.log")
    started = time.perf_counter()
    try:
        params = initialize_params(
            project,
            maxTokens=16,
            maxPromptTokens=512,
            contextTokens=512,
            speculate=True,
            generationTimeoutMs=5000,
            threads=args.threads,
        )
        params["initializationOptions"]["iquest"]["auditLog"] = True
        server.call("initialize", params, timeout=60)
        server.notify("initialized", {})
        assert wait_ready(server)["state"] == "ready"
        soak = Soak(server, random.Random(args.seed), args.pause_share, args.key_interval_ms / 1000)
        soak.sample()
        targets = functions(project)
        while len(soak.sent) < args.requests:
            path, first, last = soak.rng.choice(targets)
            soak.type_function(path, first, last, args.requests - len(soak.sent))
            last = soak.samples[-1]
            print(
                f"{len(soak.sent)} requests, {time.perf_counter() - started:.0f} s, RSS {last['rss_mib']} MiB, "
                f"{last['python_blocks']} Python blocks",
                flush=True,
            )
        outcome = soak.settle()
        soak.sample()
        final = soak.status()
        exit_code = server.close()
    except BaseException:
        print(f"server log: {base / 'server.log'}", file=sys.stderr)
        server.close()
        raise

    warm = [s for s in soak.samples if s["requests"] >= args.requests // 5]
    windows = []
    for start in range(0, args.requests, WINDOW):
        values = [ms for n, ms in soak.latencies if start < n <= start + WINDOW]
        windows.append(
            {
                "requests": f"{start + 1}-{start + WINDOW}",
                "answered": len(values),
                "p50_ms": round(percentile(values, 0.5)),
                "p95_ms": round(percentile(values, 0.95)),
            }
        )
    summary = {
        "project": "-".join(REPO_SPEC),
        "requests": len(soak.sent),
        "answered_results": outcome["result"],
        "answered_cancelled": outcome["cancelled"],
        "client_cancels": soak.cancels,
        "waited_for": len(soak.latencies),
        "generations": final["generations"],
        "completion_counters": final["completion"],
        "rss_mib_start_after_warmup": warm[0]["rss_mib"] if warm else None,
        "rss_mib_end": soak.samples[-1]["rss_mib"],
        "rss_slope_mib_per_1000_requests_after_warmup": round(
            slope_per_1000([(s["requests"], s["rss_mib"]) for s in warm]), 2
        ),
        "pending_tasks_max_after_warmup": max((s["pending_tasks"] for s in warm), default=None),
        "pending_tasks_end": soak.samples[-1]["pending_tasks"],
        "request_futures_max_after_warmup": max((s["request_futures"] for s in warm), default=None),
        "python_blocks_start_after_warmup": warm[0]["python_blocks"] if warm else None,
        "python_blocks_end": soak.samples[-1]["python_blocks"],
        "python_blocks_slope_per_1000_requests_after_warmup": round(
            slope_per_1000([(s["requests"], s["python_blocks"]) for s in warm])
        ),
        "threads_end": soak.samples[-1]["threads"],
        "windows": windows,
        "samples": soak.samples,
        "exit_code": exit_code,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "samples"}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    failures = leaks(summary, args.max_rss_slope, args.max_block_slope)
    lost = len(soak.sent) - outcome["result"] - outcome["cancelled"]
    if lost:
        failures.append(f"{lost} requests unanswered")
    if exit_code:
        failures.append(f"exit code {exit_code}")
    print("PASS" if not failures else "FAIL: " + "; ".join(failures))
    return 0 if not failures else 1


def leaks(summary: dict, max_rss_slope: float, max_block_slope: float) -> list[str]:
    """What grew after warm-up that should have stayed flat."""
    found = []
    if summary["rss_slope_mib_per_1000_requests_after_warmup"] > max_rss_slope:
        found.append(
            f"RSS grows {summary['rss_slope_mib_per_1000_requests_after_warmup']} MiB per 1,000 requests "
            f"(limit {max_rss_slope})"
        )
    if summary["python_blocks_slope_per_1000_requests_after_warmup"] > max_block_slope:
        found.append(
            "Python's allocated blocks grow "
            f"{summary['python_blocks_slope_per_1000_requests_after_warmup']} per 1,000 requests "
            f"(limit {max_block_slope:g})"
        )
    if (summary["pending_tasks_max_after_warmup"] or 0) > MAX_PENDING:
        found.append(f"{summary['pending_tasks_max_after_warmup']} pending asyncio tasks (limit {MAX_PENDING})")
    if (summary["request_futures_max_after_warmup"] or 0) > MAX_PENDING:
        found.append(f"{summary['request_futures_max_after_warmup']} request futures kept (limit {MAX_PENDING})")
    return found


if __name__ == "__main__":
    sys.exit(main())
