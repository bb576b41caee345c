"""Security scan end to end: planted diffs through the real `iquest.proposeEdit {diff}` path of a real server.

The diff path asks no model, so the small test model is enough (the server still loads one).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest
from lsp_session import SERVER_COMMAND, initialize_params, open_document, require_model, status
from lsprotocol import types
from lsprotocol.converters import get_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from shop_project import CART, write_project

from lsp_server.paths import models_dir
from lsp_server.scan.semgrep import find_semgrep

MODEL = "smollm2-135m"
pytestmark = pytest.mark.skipif(
    find_semgrep() is None and not os.environ.get("CI"),  # in CI it must be there: the test then fails
    reason="semgrep is a dependency: pip install -e .[dev]",
)

SHELL = (
    "--- a/shop/cart.py\n+++ b/shop/cart.py\n@@ -15,2 +15,6 @@\n     def checkout(self, percent=0):\n"
    "         return total(self.prices, percent)\n+\n+    def run(self, user_cmd):\n"
    "+        import subprocess\n+        subprocess.run(user_cmd, shell=True)\n"
)
JS_EXEC = (
    "--- /dev/null\n+++ b/web/list.js\n@@ -0,0 +1,5 @@\n+const child_process = require('child_process');\n"
    "+\n+function list(dir) {\n+  return child_process.exec(`ls ${dir}`);\n+}\n"
)
HARMLESS = (
    "--- a/shop/cart.py\n+++ b/shop/cart.py\n@@ -12,2 +12,3 @@\n     def add(self, price):\n"
    '+        """Put a price in the cart."""\n         self.prices.append(price)\n'
)


async def start(root: Path, tmp: Path) -> LanguageClient:
    env = {
        **os.environ,
        "IQUEST_CACHE_DIR": str(tmp / "cache"),
        "IQUEST_MODEL_DIR": str(models_dir()),
        "IQUEST_STATE_DIR": str(tmp / "state"),
    }
    client = await ClientServerConfig(server_command=SERVER_COMMAND, server_env=env).start()
    params = initialize_params(
        root, model=MODEL, auditLogPath=str(tmp / "audit.jsonl"), warmUp=False, repoContext=False
    )
    await client.initialize_session(params)
    deadline = time.monotonic() + 180
    while (await status(client))["state"] not in ("ready", "failed"):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    return client


async def propose(client: LanguageClient, diff: str) -> dict:
    request = client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="iquest.proposeEdit", arguments=[{"diff": diff}])
    )
    return await asyncio.wait_for(request, 120)


async def diagnostics_for(client: LanguageClient, uri: str, present: bool) -> list[types.Diagnostic]:
    deadline = time.monotonic() + 10
    while bool(client.diagnostics.get(uri)) != present:
        assert time.monotonic() < deadline, client.diagnostics
        await asyncio.sleep(0.05)
    return list(client.diagnostics.get(uri) or [])


async def test_an_introduced_shell_is_flagged_with_diagnostics_and_audited_and_a_harmless_edit_is_clean(tmp_path):
    require_model(MODEL)
    root = write_project(tmp_path / "repo")
    cart = (root / "shop" / "cart.py").as_uri()
    client = await start(root, tmp_path)
    try:
        open_document(client, root / "shop" / "cart.py", CART, "python")
        flagged = await propose(client, SHELL)
        assert flagged["title"].startswith("⚠ Security: a shell runs a command") and "line 20" in flagged["title"]
        assert flagged["scan"]["outcome"] == "flagged" and flagged["scan"]["engine"].startswith("semgrep ")
        assert flagged["scan"]["seconds"] < 30
        scan_status = (await status(client))["scan"]
        assert scan_status["engine"].startswith("semgrep ") and 0 < scan_status["lastSeconds"] < 30
        assert scan_status["unavailable"] is None
        (finding,) = flagged["scan"]["findings"]
        assert finding["rule"] == "python.command-injection.shell-true" and finding["severity"] == "high"
        edit = get_converter().structure(flagged["edit"], types.WorkspaceEdit)
        annotation = edit.change_annotations["iquest.proposal"]
        assert annotation.needs_confirmation is True and annotation.label == flagged["title"]
        assert "subprocess.run(user_cmd, shell=True)" in annotation.description
        (diagnostic,) = await diagnostics_for(client, cart, present=True)
        assert diagnostic.source == "iquest-scan" and diagnostic.code == "python.command-injection.shell-true"
        assert diagnostic.severity == types.DiagnosticSeverity.Error and diagnostic.range.start.line == 16

        js = await propose(client, JS_EXEC)
        assert js["title"].startswith("⚠ Security:") and js["scan"]["findings"][0]["rule"] == (
            "javascript.command-injection.child-process"
        )
        js_uri = (root / "web" / "list.js").as_uri()
        (js_diagnostic,) = await diagnostics_for(client, js_uri, present=True)
        assert js_diagnostic.source == "iquest-scan"

        clean = await propose(client, HARMLESS)
        assert clean["title"] == "edit from a diff" and clean["scan"]["outcome"] == "clean"
        assert clean["scan"]["findings"] == []
        assert await diagnostics_for(client, cart, present=False) == []  # the clean proposal cleared them

        # applied: the finding moves to the flagged line of the new text
        await propose(client, SHELL)
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command="iquest.accepted",
                arguments=[{"id": (await propose(client, SHELL))["id"], "action": "propose_edit", "uri": cart}],
            )
        )
        deadline = time.monotonic() + 10
        while not any(d.range.start.line == 19 for d in client.diagnostics.get(cart) or []):
            assert time.monotonic() < deadline, client.diagnostics.get(cart)
            await asyncio.sleep(0.05)

        # closed: its findings leave the editor's problems
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=cart)))
        assert await diagnostics_for(client, cart, present=False) == []
    finally:
        await client.shutdown_session()
        await client.stop()
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    proposed = [e for e in entries if e["kind"] == "edit_proposed"]
    assert [e["outcome"] for e in proposed] == ["flagged", "flagged", "clean", "flagged", "flagged"]
    assert proposed[0]["scan"]["findings"][0]["text"] == "subprocess.run(user_cmd, shell=True)"
    assert proposed[0]["title"].startswith("⚠ Security")
    assert any(e["kind"] == "accepted" for e in entries)
