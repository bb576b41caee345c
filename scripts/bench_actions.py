"""Latency of code actions: the menu (no model) and each resolve/command (model). Real server over stdio, real model.

A small two-module project is written to a temporary folder; the script asks for the code action
menu (``--menus`` times), then resolves "Add doc comment", "Fix with AI" and "Generate unit tests",
and runs iquest.explain and iquest.refactorPlan, ``--trials`` times each, reading the server's own
figures of the last generation (iquest.status) after each.

    .venv/bin/python scripts/bench_actions.py [--model qwen2.5-coder-0.5b] [--trials 1] [--menus 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

from lsp_server.session_client import Session, start_session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from bench_stats import percentile
from shop_project import PRICING, write_project  # noqa: E402  (the e2e tests' project)


async def menu(session: Session, uri: str, diagnostics: list[types.Diagnostic]) -> list[Any]:
    position = types.Position(line=5, character=8)
    return await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=position, end=position),
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )


async def timed(session: Session, label: str, work) -> dict[str, Any]:
    before = (await session.status())["generations"]
    started = time.perf_counter()
    await work
    wall = (time.perf_counter() - started) * 1000
    status = await session.status()
    last = status.get("lastGeneration") or {}
    scan = status.get("scan") or {}
    scan_ms = round(1000 * scan["lastSeconds"]) if scan.get("lastSeconds") is not None else None
    row = {"action": label, "wallMs": round(wall), "generations": status["generations"] - before, **last}
    return {**row, "scanMs": scan_ms, "scanEngine": scan.get("engine")}


async def main(model: str, trials: int, menus: int, out: Path | None) -> None:
    root = Path(tempfile.mkdtemp(prefix="iquest-bench-actions-")) / "shop-repo"
    write_project(root)
    # No warm-up: its background pre-fill would count as a generation between the menu checks.
    options = {
        "model": model,
        "auditLog": False,
        "warmUp": False,
        "actionMaxTokens": 160,
        "planMaxTokens": 320,
        "actionTimeoutMs": 600000,
    }
    session = await start_session(root, options)
    if session.messages:
        raise SystemExit(session.messages[0])
    try:
        uri = session.open(root / "shop" / "pricing.py", PRICING, "python")
        diagnostic = types.Diagnostic(
            range=types.Range(start=types.Position(line=6, character=11), end=types.Position(line=6, character=16)),
            message="Use integer division: prices are in cents",
        )
        generations = (await session.status())["generations"]
        menu_ms = []
        for _ in range(menus):
            started = time.perf_counter()
            actions = await menu(session, uri, [diagnostic])
            menu_ms.append((time.perf_counter() - started) * 1000)
        assert (await session.status())["generations"] == generations, "the menu ran the model"
        by_kind = {a.kind: a for a in actions if isinstance(a, types.CodeAction)}
        rows: list[dict[str, Any]] = []
        span = {"start": {"line": 5, "character": 8}, "end": {"line": 5, "character": 8}}
        for _ in range(trials):
            for kind in ("refactor.rewrite.iquest.docstring", "quickfix.iquest.fix", "refactor.iquest.tests"):
                rows.append(
                    await timed(session, kind.split(".")[-1], session.client.code_action_resolve_async(by_kind[kind]))
                )
            explain = session.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="iquest.explain", arguments=[{"uri": uri, "range": span}])
            )
            rows.append(await timed(session, "explain", explain))
            plan = session.client.workspace_execute_command_async(
                types.ExecuteCommandParams(
                    command="iquest.refactorPlan",
                    arguments=[
                        {"goal": "Replace the percent argument with a Discount class", "focus": ["shop/pricing.py"]}
                    ],
                )
            )
            rows.append(await timed(session, "refactorPlan", plan))
    finally:
        await session.close()
    print(
        f"menu (codeAction, no model): n={len(menu_ms)} p50 {statistics.median(menu_ms):.1f} ms, "
        f"p95 {percentile(menu_ms, 0.95):.1f} ms"
    )
    print(
        f"{'action':<14}{'wall ms':>9}{'gens':>6}{'prompt tok':>12}"
        f"{'evaluated':>11}{'generated':>11}{'prompt ms':>11}{'last gen ms':>13}{'scan ms':>9}"
    )
    for row in rows:
        print(
            f"{row['action']:<14}{row['wallMs']:>9}{row['generations']:>6}{row.get('promptTokens', 0):>12}"
            f"{row.get('evaluatedTokens', 0):>11}{row.get('generatedTokens', 0):>11}"
            f"{row.get('promptMs', 0):>11.0f}{row.get('totalMs', 0):>13.0f}"
            f"{'-' if row['scanMs'] is None or row['action'] in ('explain', 'refactorPlan') else row['scanMs']:>9}"
        )
    if out is not None:
        out.write_text(json.dumps({"menuMs": menu_ms, "rows": rows}, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--trials", type=int, default=1)
    parser.add_argument("--menus", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    asyncio.run(main(args.model, args.trials, args.menus, args.json))
