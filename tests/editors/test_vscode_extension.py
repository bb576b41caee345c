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
    sent = set(re.findall(r'"([\w.]+)"', listed))  # dotted names: nextEdit.enabled
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
    # The icon, the changelog and the walkthrough's media travel in the package.
    assert f"extension/{manifest['icon']}" in names, names
    assert "extension/changelog.md" in [name.lower() for name in names], names
    for step in manifest["contributes"]["walkthroughs"][0]["steps"]:
        assert f"extension/{step['media']['markdown']}" in names, (step["id"], names)


def _manifest() -> dict:
    return json.loads((EXTENSION / "package.json").read_text())


def _listed_strings(ts_file: str, start: str) -> list[str]:
    """The string literals of the array that follows `start` in a TypeScript source file."""
    source = (EXTENSION / "src" / ts_file).read_text()
    body = source[source.index(start) + len(start) :]
    return re.findall(r'"([^"]+)"', body[: body.index("]")])


def test_activation_is_lazy_by_language():
    events = _manifest()["activationEvents"]
    assert "*" not in events and "onStartupFinished" not in events, events
    languages = _listed_strings("languages.ts", "LANGUAGES = [")
    assert len(languages) >= 9, languages
    # Exactly the languages the client serves (its documentSelector), nothing that starts it elsewhere.
    assert events == [f"onLanguage:{language}" for language in languages]


def test_every_command_activates_the_extension():
    manifest = _manifest()
    # VS Code >= 1.74 activates an extension on its contributed commands without onCommand events.
    engine = tuple(int(part) for part in manifest["engines"]["vscode"].lstrip("^>=~").split("."))
    assert engine >= (1, 74, 0), engine
    contributed = {command["command"] for command in manifest["contributes"]["commands"]}
    source = (EXTENSION / "src" / "commands.ts").read_text()
    registered = set(re.findall(r'^\s+"(iquest\.\w+)": ', source, re.MULTILINE))
    assert registered and registered == contributed, (registered, contributed)


def test_untrusted_workspaces_cannot_set_what_runs_code_or_leaves_the_machine():
    trust = _manifest()["capabilities"]["untrustedWorkspaces"]
    assert trust["supported"] == "limited" and trust["description"]
    restricted = set(trust["restrictedConfigurations"])
    settings = {f"iquest.{name}" for name in _contributed()}
    assert restricted <= settings, f"not settings: {restricted - settings}"
    must = {f"iquest.{name}" for name in _contributed() if name.startswith("server.")} | {
        "iquest.testCommand",
        "iquest.selfVerify",
        "iquest.model",
        "iquest.modelsDir",
        "iquest.auditLogPath",
        "iquest.backend",
        "iquest.serverUrl",
        "iquest.apiKeyEnv",
    }
    assert must <= restricted, f"unrestricted: {must - restricted}"
    # That the workspace's .venv is not run and no tests run when untrusted: test/launch.test.ts, test/settings.test.ts.


def _walkthrough_links(text: str) -> list[str]:
    return re.findall(r"\(command:([\w.]+)", text)


def test_walkthrough_steps_use_real_commands_and_packaged_media():
    manifest = _manifest()
    contributed = {command["command"] for command in manifest["contributes"]["commands"]}
    ignore = (EXTENSION / ".vscodeignore").read_text().splitlines()
    (walkthrough,) = manifest["contributes"]["walkthroughs"]
    steps = {step["id"]: step for step in walkthrough["steps"]}
    assert {"fetchModel", "firstSuggestion", "acceptParts"} <= set(steps)
    assert "iquest.fetchModel" in _walkthrough_links(steps["fetchModel"]["description"])
    for step in walkthrough["steps"]:
        for command in _walkthrough_links(step["description"]):
            assert command in contributed or command.startswith("workbench."), (step["id"], command)
        for event in step.get("completionEvents", []):
            kind, _, name = event.partition(":")
            if kind == "onCommand" and name.startswith("iquest."):
                assert name in contributed, (step["id"], event)
        media = EXTENSION / step["media"]["markdown"]
        assert media.is_file(), media
        assert f"!{media.parent.relative_to(EXTENSION)}/*.md" in ignore, "the walkthrough's media is not packaged"
    accept = (EXTENSION / steps["acceptParts"]["media"]["markdown"]).read_text()
    assert "editor.action.inlineSuggest.acceptNextWord" in accept
    assert "editor.action.inlineSuggest.acceptNextLine" in accept


def test_icon_and_changelog():
    manifest = _manifest()
    icon = (EXTENSION / manifest["icon"]).read_bytes()
    assert icon[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(icon[16:20], "big"), int.from_bytes(icon[20:24], "big")
    assert width == height >= 128, (width, height)
    changelog = (EXTENSION / "CHANGELOG.md").read_text()
    assert f"## {manifest['version']}" in changelog


def test_readmes_document_accepting_a_word_or_a_line():
    for readme in (EXTENSION / "README.md", tools.REPO / "README.md"):
        text = readme.read_text()
        for command in ("editor.action.inlineSuggest.acceptNextWord", "editor.action.inlineSuggest.acceptNextLine"):
            assert command in text, (readme, command)
