"""Code actions, refactor plans, diff proposals and the verify loop end to end: real server, real model."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from lsp_session import SERVER_COMMAND, initialize_params, open_document, require_model, status
from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient
from shop_project import CART, PRICING, write_project

from lsp_server.actions.syntax import error_count
from lsp_server.paths import models_dir

MODEL = "qwen2.5-coder-0.5b"


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


async def start(root: Path, tmp: Path, show_documents: bool = False, **options) -> LanguageClient:
    """A session on the 0.5B coder; with ``show_documents`` the client advertises window/showDocument
    (pytest-lsp records them)."""
    env = {
        **os.environ,
        "IQUEST_CACHE_DIR": str(tmp / "cache"),
        "IQUEST_MODEL_DIR": str(models_dir()),
        "IQUEST_STATE_DIR": str(tmp / "state"),
    }
    client = await ClientServerConfig(server_command=SERVER_COMMAND, server_env=env).start()
    options.setdefault("auditLogPath", str(tmp / "audit.jsonl"))
    options.setdefault("warmUp", False)  # no background pre-fill between the generation counts we compare
    params = initialize_params(root, model=MODEL, **options)
    if show_documents:
        params.capabilities.window.show_document = types.ShowDocumentClientCapabilities(support=True)
    await client.initialize_session(params)
    deadline = time.monotonic() + 180
    while True:
        current = await status(client)
        if current["state"] in ("ready", "failed") and current["index"]["state"] in ("ready", "failed", "off"):
            break
        assert time.monotonic() < deadline, current
        await asyncio.sleep(0.1)
    assert current["state"] == "ready", current
    return client


async def stop(client: LanguageClient) -> None:
    await client.shutdown_session()
    await client.stop()


async def command(client: LanguageClient, name: str, argument: dict, timeout: float = 300):
    request = client.workspace_execute_command_async(types.ExecuteCommandParams(command=name, arguments=[argument]))
    return await asyncio.wait_for(request, timeout)


def apply_edit(texts: dict[str, str], edit: types.WorkspaceEdit) -> dict[str, str]:
    """Apply document changes the way a client does (edits of one document against its old text)."""
    out = dict(texts)
    for change in edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            out.setdefault(change.uri, "")
            continue
        assert isinstance(change, types.TextDocumentEdit)
        text = out[change.text_document.uri]
        lines = text.split("\n")

        def offset(position: types.Position, lines: list[str] = lines) -> int:
            return sum(len(line) + 1 for line in lines[: position.line]) + position.character

        for item in sorted(change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            text = text[: offset(item.range.start)] + item.new_text + text[offset(item.range.end) :]
        out[change.text_document.uri] = text
    return out


def audit_entries(tmp: Path) -> list[dict]:
    path = tmp / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def code_actions(client: LanguageClient, uri: str, line: int, character: int, diagnostics=(), only=None):
    position = types.Position(line=line, character=character)
    return client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=position, end=position),
            context=types.CodeActionContext(diagnostics=list(diagnostics), only=only),
        )
    )


@pytest.mark.slow
async def test_menu_is_instant_and_resolve_returns_edits_that_parse(tmp_path):
    require_model(MODEL)
    root = write_project(tmp_path / "repo")
    before = snapshot(root)
    client = await start(root, tmp_path, actionMaxTokens=100)
    latencies = {}
    try:
        uri = open_document(client, root / "shop" / "pricing.py", PRICING, "python")
        generations = (await status(client))["generations"]
        diagnostic = types.Diagnostic(
            range=types.Range(start=types.Position(line=6, character=11), end=types.Position(line=6, character=16)),
            message="Use integer division: prices are in cents",
            severity=types.DiagnosticSeverity.Warning,
        )
        started = time.perf_counter()
        actions = await code_actions(client, uri, 5, 8, [diagnostic])
        latencies["menu"] = time.perf_counter() - started
        assert (await status(client))["generations"] == generations  # the menu never runs the model
        # lsprotocol's client-side parser reads a code action that carries a command as a bare Command.
        by_kind = {action.kind: action for action in actions if isinstance(action, types.CodeAction)}
        commands = [action.command for action in actions if isinstance(action, types.Command)]
        assert {"refactor.rewrite.iquest.docstring", "quickfix.iquest.fix", "refactor.iquest.tests"} <= set(by_kind), (
            actions
        )
        assert len(commands) == 1 and "'command': 'iquest.explain'" in commands[0], actions
        assert list(by_kind["quickfix.iquest.fix"].diagnostics) == [diagnostic]
        assert all(action.edit is None for action in by_kind.values())
        quick = await code_actions(client, uri, 5, 8, [diagnostic], only=[types.CodeActionKind.QuickFix])
        assert [action.kind for action in quick] == ["quickfix.iquest.fix"]

        for kind in ("refactor.rewrite.iquest.docstring", "refactor.iquest.tests"):
            started = time.perf_counter()
            resolved = await asyncio.wait_for(client.code_action_resolve_async(by_kind[kind]), 300)
            latencies[kind] = time.perf_counter() - started
            assert resolved.edit is not None and resolved.command.command == "iquest.accepted"
            texts = {uri: PRICING}
            applied = apply_edit(texts, resolved.edit)
            for _changed_uri, text in applied.items():
                assert error_count(text, "python") == 0, text
            if kind.endswith("docstring"):
                assert (
                    applied[uri] != PRICING
                    and '"""' in applied[uri].split("def apply_discount", 1)[1].split("raise", 1)[0]
                )
                edits = resolved.edit.document_changes[0].edits
                assert all(
                    e.range.end.line - e.range.start.line <= 1 for e in edits
                )  # an insertion, not the whole file
            else:
                test_uri = (root / "tests" / "test_pricing.py").as_uri()
                assert isinstance(resolved.edit.document_changes[0], types.CreateFile)
                assert resolved.edit.document_changes[0].uri == test_uri
                assert (
                    "from shop.pricing import apply_discount" in applied[test_uri]
                    or "apply_discount" in applied[test_uri]
                )
            await command(client, "iquest.accepted", resolved.command.arguments[0])
        assert (await status(client))["generations"] >= generations + 2

        # $/cancelRequest on a resolve stops the generation; the client gets an error, the server stays up.
        pending = set(client.protocol._request_futures)
        resolving = asyncio.ensure_future(client.code_action_resolve_async(by_kind["quickfix.iquest.fix"]))
        await asyncio.sleep(1.0)
        (request_id,) = [key for key in client.protocol._request_futures if key not in pending]
        client.protocol.notify("$/cancelRequest", types.CancelParams(id=request_id))
        with pytest.raises((JsonRpcException, asyncio.CancelledError)):
            await asyncio.wait_for(resolving, 60)
        for _ in range(300):
            current = await status(client)
            if "lastCancelMs" in current:
                break
            await asyncio.sleep(0.1)
        assert current["lastCancelMs"] < 5000, current

        # Bad input: an unknown document and a line past the end are errors; the server keeps running.
        with pytest.raises(Exception, match="neither open nor"):
            await code_actions(client, (tmp_path / "elsewhere.py").as_uri(), 0, 0)
        with pytest.raises(Exception, match="outside the document"):
            await code_actions(client, uri, 500, 0)
        assert (await status(client))["state"] == "ready"
    finally:
        await stop(client)
    print(f"\nlatencies: {json.dumps({k: round(v * 1000) for k, v in latencies.items()})} ms")
    assert snapshot(root) == before  # the server never writes the user's files
    entries = audit_entries(tmp_path)
    kinds = [entry["kind"] for entry in entries]
    assert kinds.count("edit_proposed") == 2 and kinds.count("accepted") == 2, kinds
    proposed = [e for e in entries if e["kind"] == "edit_proposed"]
    assert all(
        e["model"] == MODEL and len(e["prompt_sha256"]) == 64 and e["range"]["start"] == [5, 8] for e in proposed
    )
    cli = subprocess.run(
        [sys.executable, "-m", "lsp_server", "audit", "--path", str(tmp_path / "audit.jsonl")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0 and cli.stdout.count("\n") == len(entries) and "edit_proposed/docstring" in cli.stdout


@pytest.mark.slow
async def test_explain_and_a_refactor_plan_with_its_three_sections_and_streamed_progress(tmp_path):
    require_model(MODEL)
    root = write_project(tmp_path / "repo")
    client = await start(root, tmp_path, show_documents=True, planMaxTokens=160, actionMaxTokens=64)
    try:
        uri = open_document(client, root / "shop" / "cart.py", CART, "python")
        span = {"start": {"line": 12, "character": 8}, "end": {"line": 12, "character": 8}}
        explained = await command(client, "iquest.explain", {"uri": uri, "range": span})
        assert explained["markdown"].startswith("# shop/cart.py:12\n\n") and len(explained["markdown"]) > 30
        # Clients with window/showDocument are asked to open it from the server's state folder, not the workspace.
        for _ in range(100):
            if client.shown_documents:
                break
            await asyncio.sleep(0.05)
        assert [shown.uri for shown in client.shown_documents] == [explained["uri"]] and explained["uri"].startswith(
            (tmp_path / "state" / "documents").as_uri()
        )
        assert Path(explained["uri"].removeprefix("file://")).read_text() == explained["markdown"]
        started = time.perf_counter()
        plan = await command(
            client,
            "iquest.refactorPlan",
            {"goal": "Replace the percent argument with a Discount class", "focus": ["shop/pricing.py"]},
        )
        print(f"\nrefactor plan: {(time.perf_counter() - started) * 1000:.0f} ms")
        for _ in range(100):  # the server asks to show it alongside its answer; the order is not fixed
            if len(client.shown_documents) == 2:
                break
            await asyncio.sleep(0.05)
        shown = [document.uri for document in client.shown_documents]
        reports = [
            value.message
            for values in client.progress_reports.values()
            for value in values
            if isinstance(value, types.WorkDoneProgressReport)
            and value.message
            and value.message.startswith("Planning")
        ]
    finally:
        await stop(client)
    markdown = plan["markdown"]
    assert plan["uri"] in shown and len(shown) == 2
    positions = [markdown.find(f"## {title}") for title in ("Impact Analysis", "Migration Steps", "Risk Assessment")]
    assert all(p > 0 for p in positions) and positions == sorted(positions), markdown
    assert set(plan["sections"]) == {"Impact Analysis", "Migration Steps", "Risk Assessment"}
    assert any(plan["sections"].values())  # the model wrote at least one section itself
    assert reports, "no streamed progress"
    kinds = [e["kind"] for e in audit_entries(tmp_path)]
    assert kinds.count("refactor_plan_shown") == 1 and kinds.count("explanation_shown") == 1


@pytest.mark.slow
async def test_invalid_diffs_are_rejected_and_valid_ones_need_confirmation(tmp_path):
    require_model(MODEL)
    root = write_project(tmp_path / "repo")
    (tmp_path / "outside.py").write_text("x = 1\n")
    before = snapshot(root)
    client = await start(root, tmp_path, repoContext=False)
    try:
        stale = (
            "--- a/shop/pricing.py\n+++ b/shop/pricing.py\n@@ -4,3 +4,3 @@\n"
            " def apply_discount(price, rate):\n-    return price\n+    return price * rate\n"
        )
        rejected = await command(client, "iquest.proposeEdit", {"diff": stale})
        assert (
            rejected["edit"] is None
            and "rejected" in rejected["message"]
            and "hunk 1 of shop/pricing.py" in rejected["message"]
        )
        escaping = "--- a/../outside.py\n+++ b/../outside.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
        outside = await command(client, "iquest.proposeEdit", {"diff": escaping})
        assert outside["edit"] is None and "outside the workspace" in outside["message"]
        broken = (
            "--- a/shop/cart.py\n+++ b/shop/cart.py\n@@ -12,2 +12,2 @@\n     def add(self, price):\n"
            "-        self.prices.append(price)\n+        self.prices.append(price\n"
        )
        unparsable = await command(client, "iquest.proposeEdit", {"diff": broken})
        assert unparsable["edit"] is None and "does not parse" in unparsable["message"]
        good = (
            "--- a/shop/cart.py\n+++ b/shop/cart.py\n@@ -12,2 +12,3 @@\n     def add(self, price):\n"
            '+        """Put a price in the cart."""\n         self.prices.append(price)\n'
            "--- /dev/null\n+++ b/shop/coupons.py\n@@ -0,0 +1,2 @@\n+def coupon(code):\n+    return code.upper()\n"
        )
        accepted = await command(client, "iquest.proposeEdit", {"diff": good})
        edit = get_converter().structure(accepted["edit"], types.WorkspaceEdit)
        assert edit.change_annotations["iquest.proposal"].needs_confirmation is True
        annotated = [
            e for change in edit.document_changes if isinstance(change, types.TextDocumentEdit) for e in change.edits
        ]
        assert annotated and all(isinstance(e, types.AnnotatedTextEdit) for e in annotated)
        applied = apply_edit({(root / "shop" / "cart.py").as_uri(): CART}, edit)
        assert '"""Put a price in the cart."""' in applied[(root / "shop" / "cart.py").as_uri()]
        assert applied[(root / "shop" / "coupons.py").as_uri()] == "def coupon(code):\n    return code.upper()\n"
    finally:
        await stop(client)
    assert snapshot(root) == before  # nothing applied server-side
    kinds = [e["kind"] for e in audit_entries(tmp_path)]
    assert kinds.count("edit_rejected") == 3 and kinds.count("edit_proposed") == 1


@pytest.mark.slow
async def test_verify_loop_runs_the_tests_in_a_copy_until_they_pass(tmp_path):
    require_model(MODEL)
    root = write_project(tmp_path / "repo")
    before = snapshot(root)
    runs = tmp_path / "runs.jsonl"
    checker = tmp_path / "check.py"
    # Fails the first time, passes the second; records where it ran and what it saw.
    checker.write_text(
        textwrap.dedent(f"""\
        import json, os, pathlib, sys
        runs = pathlib.Path({str(runs)!r})
        count = len(runs.read_text().splitlines()) if runs.exists() else 0
        text = pathlib.Path("shop/pricing.py").read_text()
        with runs.open("a") as handle:
            handle.write(json.dumps({{"cwd": os.getcwd(), "pricing": text}}) + "\\n")
        print("FAILED test_apply_discount: expected 90, got 90.0" if count == 0 else "1 passed")
        sys.exit(1 if count == 0 else 0)
        """)
    )
    client = await start(
        root,
        tmp_path,
        repoContext=False,
        actionMaxTokens=96,
        selfVerify=True,
        testCommand=f"{sys.executable} {checker}",
    )
    try:
        uri = open_document(client, root / "shop" / "pricing.py", PRICING, "python")
        result = await command(
            client,
            "iquest.fixAndVerify",
            {
                "uri": uri,
                "range": {"start": {"line": 6, "character": 8}, "end": {"line": 6, "character": 8}},
                "problem": "apply_discount should return an int (use integer division)",
            },
        )
    finally:
        await stop(client)
    seen = [json.loads(line) for line in runs.read_text().splitlines()]
    assert len(seen) == 2 and result["rounds"] == 2
    assert result["tests"]["passed"] is True and "1 passed" in result["tests"]["output"]
    for run in seen:
        assert not Path(run["cwd"]).resolve().is_relative_to(root.resolve())  # a copy, never the user's tree
        assert not Path(run["cwd"]).exists()  # and the copy is gone
        assert run["pricing"] != PRICING  # the proposed edit was applied to the copy
    assert result["edit"] is not None
    assert snapshot(root) == before
