"""The VS Code extension's own checks: its unit tests, its settings against the server's, its package."""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile

import tools

from lsp_server.settings import _FIELDS, Settings

EXTENSION = tools.REPO / "vscode-extension"
EXTENSION_ONLY = {"server.command", "server.pythonPath", "server.env", "inlineSuggestions.enable", "trace.server"}


def _contributed() -> dict[str, dict]:
    manifest = json.loads((EXTENSION / "package.json").read_text())
    return {
        key.removeprefix("iquest."): value
        for key, value in manifest["contributes"]["configuration"]["properties"].items()
    }


def test_contributed_settings_are_the_servers_with_the_same_defaults():
    server_side = set(_contributed()) - EXTENSION_ONLY
    contributed = _contributed()
    assert server_side <= set(_FIELDS), f"not server settings: {server_side - set(_FIELDS)}"
    # The core settings of the README's table at least (the server may gain more before the extension does).
    assert {
        "model",
        "contextSize",
        "threads",
        "gpuLayers",
        "modelsDir",
        "debounceMs",
        "multiline",
        "repoContext",
        "exclude",
        "auditLog",
        "auditLogPath",
    } <= server_side
    defaults = Settings()
    for name in server_side:
        field = _FIELDS[name]
        expected = getattr(defaults, field.attr)
        expected = list(expected) if isinstance(expected, tuple) else expected
        assert contributed[name]["default"] == expected, name
        if field.choices:
            schema = (
                contributed[name]["items"] if field.kind is list else contributed[name]
            )  # a list's choices are its items'
            assert schema["enum"] == list(field.choices), name
        if field.minimum is not None:
            assert (contributed[name]["minimum"], contributed[name]["maximum"]) == (field.minimum, field.maximum), name


def test_every_contributed_server_setting_is_sent_to_the_server():
    source = (EXTENSION / "src" / "settings.ts").read_text()
    listed = source[source.index("SERVER_SETTINGS = [") : source.index("] as const")]
    sent = set(re.findall(r'"(\w+)"', listed))
    assert sent == set(_contributed()) - EXTENSION_ONLY


def test_extension_unit_tests_pass():
    node = tools.node24()
    if node is None or not (EXTENSION / "node_modules").is_dir():
        tools.missing("Node 24 / vscode-extension/node_modules")
    env = {**os.environ, "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(
        ["npm", "test", "--silent"], cwd=EXTENSION, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    counts = dict(re.findall(r"^ℹ (pass|fail) (\d+)$", run.stdout, re.MULTILINE))
    assert counts.get("fail") == "0" and int(counts.get("pass", 0)) >= 15, run.stdout


def test_vsix_holds_the_bundle_and_manifest_only():
    vsix = tools.vsix()
    if vsix is None:
        tools.missing("vscode-extension/iquest-lsp.vsix")
    names = zipfile.ZipFile(vsix).namelist()
    assert "extension/dist/extension.js" in names
    manifest = json.loads(zipfile.ZipFile(vsix).read("extension/package.json"))
    assert manifest["main"] == "./dist/extension.js"
    assert manifest["engines"]["vscode"] == "^1.91.0"
    assert not [name for name in names if "node_modules" in name or name.endswith(".ts")], names
