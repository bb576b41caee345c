"""How fast does a cancelled completion stop? Real server over stdio, real model.

Each trial opens a document whose prompt is new to the KV cache (so the cancel can land during prompt
evaluation as well as during generation), sends an inline completion, cancels it after a delay, and
reads back the server's own measurement (iquest.status lastCancelMs: from the cancel reaching the
server to the worker thread being free again).

    .venv/bin/python scripts/bench_cancel.py [--model qwen2.5-coder-0.5b] [--trials 20]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench_stats import percentile
from lsprotocol import types

from lsp_server.session_client import start_session

SOURCE = Path(__file__).resolve().parents[1] / "lsp_server" / "model" / "llama_backend.py"


async def main(model: str, trials: int, seed: int) -> None:
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="iquest-bench-"))
    session = await start_session(
        root,
        {
            "model": model,
            "maxTokens": 512,
            "multiline": "always",
            "maxLines": 200,
            "generationTimeoutMs": 120000,
            "auditLog": False,
        },
    )
    if session.messages:
        raise SystemExit(session.messages[0])
    body = SOURCE.read_text(encoding="utf-8")
    cut = body.index("    def complete(")
    server_ms: list[float] = []
    client_ms: list[float] = []  # includes the status round trips, so an upper bound
    phases = {"prompt": 0, "generation": 0}
    for trial in range(trials):
        text = f"# trial {trial} {rng.random()}\n" + body[:cut]
        uri = session.open(root / f"t{trial}.py", text, "python")
        lines = text.split("\n")
        before = set(session.client.protocol._request_futures)
        request = asyncio.ensure_future(session.inline(uri, len(lines) - 1, len(lines[-1])))
        delay = rng.uniform(0.1, 3.0)
        await asyncio.sleep(delay)
        done_before = (await session.status())["generations"]
        ids = [key for key in session.client.protocol._request_futures if key not in before]
        if not ids:
            continue  # finished before the cancel: nothing to measure
        sent = time.perf_counter()
        session.client.protocol.notify("$/cancelRequest", types.CancelParams(id=ids[0]))
        try:
            await request
        except Exception:
            pass
        status = await session.status()
        while status["generations"] == done_before:  # the worker is still stopping
            await asyncio.sleep(0.005)
            status = await session.status()
        client_ms.append((time.perf_counter() - sent) * 1000)
        server_ms.append(status.get("lastCancelMs", float("nan")))
        phases["prompt" if status["lastGeneration"]["generatedTokens"] == 0 else "generation"] += 1
    await session.close()
    print(
        f"model {model}, {len(server_ms)} cancelled requests ({phases['prompt']} during prompt evaluation, "
        f"{phases['generation']} during generation)"
    )
    print(
        f"server: cancel -> worker free   p50 {statistics.median(server_ms):.1f} ms  "
        f"p95 {percentile(server_ms, 0.95):.1f} ms  max {max(server_ms):.1f} ms"
    )
    print(
        f"client: cancel -> worker seen free  p50 {statistics.median(client_ms):.1f} ms  "
        f"p95 {percentile(client_ms, 0.95):.1f} ms  max {max(client_ms):.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.model, args.trials, args.seed))
