"""VS Code for real: code-server with our .vsix, driven by headless Chromium, shows ghost text from our server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import tools
from cdp import Chromium, free_port
from lsp_session import require_model

SOURCE = '''"""Geometry."""

import math


def circle_area(radius: float) -> float:
    """Area of a circle."""
    return math.pi * radius ** 2
'''
TYPED = "\n\ndef circle_circumference(radius: float) -> float:\n"
GHOST = (
    "Array.from(document.querySelectorAll('.ghost-text-decoration, .ghost-text')).map(e => e.textContent).join('\\n')"
)
STATUS_ITEMS = "Array.from(document.querySelectorAll('.statusbar-item')).map(e => e.textContent.trim()).filter(Boolean)"
USER_SETTINGS = {
    "workbench.startupEditor": "none",
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "update.mode": "none",
    "chat.disableAIFeatures": True,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "editor.inlineSuggest.enabled": True,
    "editor.quickSuggestions": {"other": False, "comments": False, "strings": False},
    # The workspace links the repository's .venv (the extension finds the server there); keep it out of sight.
    "files.exclude": {"**/.venv": True},
    "iquest.model": "qwen2.5-coder-0.5b",
    "iquest.generationTimeoutMs": 120000,
}


def _tools() -> tuple[Path, Path, Path, str]:
    node, entry, vsix, chromium = tools.node24(), tools.code_server(), tools.vsix(), tools.chromium()
    if node is None or entry is None:
        tools.missing("Node 24 / code-server")
    if vsix is None:
        tools.missing("vscode-extension/iquest-lsp.vsix")
    if chromium is None:
        tools.missing("chromium", "run `bash scripts/editors.sh` or `apt-get install chromium`")
    return node, entry, vsix, chromium


def _wait_http(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"code-server did not answer on {url}") from exc
            time.sleep(0.2)


@contextlib.contextmanager
def _running_code_server(tmp_path: Path, *, trust: bool = False, workspace_settings: dict | None = None):
    """code-server with our extension and a workspace holding one Python file; yields (url, workspace, audit).

    trust=True turns workspace trust on (the folder then opens untrusted, in Restricted Mode, without a prompt).
    """
    require_model("qwen2.5-coder-0.5b")
    node, entry, vsix, _ = _tools()
    venv = Path(os.environ.get("VIRTUAL_ENV") or tools.REPO / ".venv")
    if not (venv / "bin" / "iquest-lsp").is_file():
        tools.missing(f"{venv}/bin/iquest-lsp", "run `scripts/dev.sh test`")
    workspace, user_data, extensions = tmp_path / "project", tmp_path / "user-data", tmp_path / "extensions"
    (workspace / ".git").mkdir(parents=True)
    (workspace / ".venv").symlink_to(venv)
    (workspace / "geometry.py").write_text(SOURCE)
    if workspace_settings:
        (workspace / ".vscode").mkdir()
        (workspace / ".vscode" / "settings.json").write_text(json.dumps(workspace_settings, indent=2))
    (user_data / "User").mkdir(parents=True)
    audit = tmp_path / "audit.jsonl"
    settings = {**USER_SETTINGS, "iquest.auditLogPath": str(audit)}
    if trust:
        settings.update({"security.workspace.trust.enabled": True, "security.workspace.trust.startupPrompt": "never"})
    (user_data / "User" / "settings.json").write_text(json.dumps(settings, indent=2))
    # Machine-scoped settings live in the "remote" settings on code-server.
    server_env = {"IQUEST_LOG_LEVEL": "DEBUG"}
    (user_data / "Machine").mkdir()
    (user_data / "Machine" / "settings.json").write_text(json.dumps({"iquest.server.env": server_env}))
    base = [str(node), str(entry), "--user-data-dir", str(user_data), "--extensions-dir", str(extensions)]
    subprocess.run([*base, "--install-extension", str(vsix)], check=True, capture_output=True, timeout=120)
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(f"bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\n")
    log = open(tmp_path / "code-server.log", "wb")
    process = subprocess.Popen(
        [
            *base,
            "--config",
            str(config),
            "--disable-telemetry",
            "--disable-update-check",
            *([] if trust else ["--disable-workspace-trust"]),
            "--disable-getting-started-override",
            str(workspace),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz", process, 60)
        yield f"http://127.0.0.1:{port}/?folder={workspace}", workspace, audit
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # code-server, its extension host and our server
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        for found in user_data.glob("logs/*/exthost*/iquest.iquest-lsp/*.log"):
            shutil.copy(found, tools.artifacts_dir() / "vscode-iquest-output.log")


async def _at_the_end_of_geometry(browser: Chromium, url: str) -> None:
    """Open geometry.py in code-server once the model is loaded, and put the cursor at its end."""
    await browser.connect()
    await browser.send("Page.enable")
    await browser.send("Page.navigate", url=url)
    await browser.wait_for("!!document.querySelector('.monaco-workbench .explorer-folders-view')", 120)
    await browser.click(".explorer-folders-view .monaco-list-row", "geometry.py", timeout=60)
    await browser.wait_for("!!document.querySelector('.editor-instance .monaco-editor .view-lines')", 60)
    # Type once the model is loaded: the status bar item reads "iquest" (ready) rather than "iquest: ...".
    await browser.wait_for(f"{STATUS_ITEMS}.includes('iquest')", 180)
    # Focus the text (the explorer click leaves focus there), then go to the end.
    await browser.click(".editor-instance .monaco-editor .view-lines", "circle_area")
    await browser.press("End", "Control")


async def _settled_ghost_text(browser: Chromium, timeout: float = 240, quiet_s: float = 2.0) -> str:
    """The ghost text once it has stayed the same for ``quiet_s`` (a block shown with its first lines grows)."""
    deadline = time.monotonic() + timeout
    shown = await browser.wait_for(GHOST, timeout)
    while time.monotonic() < deadline:
        await asyncio.sleep(quiet_s)
        now = await browser.evaluate(GHOST)
        if now == shown:
            return shown
        shown = now or await browser.wait_for(GHOST, max(1.0, deadline - time.monotonic()))
    raise TimeoutError(f"the ghost text did not settle in {timeout} s")


async def _ghost_text_then_other(
    browser: Chromium, url: str, typed: str, screenshot_name: str, between: Callable[[], Awaitable] | None = None
) -> tuple[str, str]:
    """Type ``typed`` at the end of geometry.py; the ghost text, then (after ``between``) the next, other one.

    With ``between`` the first is the settled one, so that the change is ``between``'s and not a block growing.
    """
    screenshot = tools.artifacts_dir() / screenshot_name
    try:
        await _at_the_end_of_geometry(browser, url)
        await browser.type_text(typed, delay=0.08)
        first = await (browser.wait_for(GHOST, 240) if between is None else _settled_ghost_text(browser))
        if between is not None:
            await between()
        changed = f"(() => {{ const g = {GHOST}; return g && g !== {json.dumps(first)} && g; }})()"
        second = await browser.wait_for(changed, 240)
        await browser.screenshot(screenshot)
    except BaseException:
        await browser.screenshot(screenshot)
        raise
    finally:
        await browser.close()
    return first, second


@pytest.fixture
def code_server(tmp_path: Path):
    """code-server with our extension installed and a workspace holding one Python file; yields (url, workspace)."""
    with _running_code_server(tmp_path) as running:
        yield running


async def test_code_server_shows_ghost_text_from_our_server(code_server, tmp_path: Path):
    url, workspace, audit = code_server
    browser = Chromium(tools.chromium(), tmp_path / "chromium-profile", tmp_path / "chromium.log")
    screenshot = tools.artifacts_dir() / "vscode-ghost-text.png"
    try:
        await _at_the_end_of_geometry(browser, url)
        await browser.type_text(TYPED, delay=0.08)
        ghost = await browser.wait_for(GHOST, 240)
        status = await browser.wait_for(f"{STATUS_ITEMS}.filter(t => /iquest \\d+ ms/.test(t))[0]", 30)
        await browser.screenshot(screenshot)
        document = await browser.evaluate(
            "Array.from(document.querySelectorAll('.editor-instance .view-line')).map(e => e.textContent).join('\\n')"
        )
    except BaseException:
        await browser.screenshot(screenshot)
        await asyncio.sleep(5)  # VS Code writes the output channel's log file lazily; keep it for the artifacts
        raise
    finally:
        await browser.close()

    ghost = ghost.replace("\xa0", " ").strip()
    assert ghost, "no ghost text"
    assert "def circle_circumference(radius: float) -> float:" in document.replace("\xa0", " ")
    assert re.fullmatch(r"iquest \d+ ms", status.strip()), status
    # Our server logs every suggestion it shows: the ghost text must be one of them (and no other provider's).
    outputs = [json.loads(line)["output"] for line in audit.read_text().splitlines()]
    first_line = ghost.splitlines()[0].strip()
    assert any(first_line in output for output in outputs), (ghost, outputs)
    assert screenshot.stat().st_size > 10_000


ACTIVATED = "ExtensionService#_doActivateExtension iquest.iquest-lsp,"


def _activations(user_data: Path) -> list[str]:
    """The extension host's log lines that record our extension's activation."""
    lines = []
    for log_file in user_data.glob("logs/**/*exthost*.log"):
        lines += [line for line in log_file.read_text(errors="replace").splitlines() if ACTIVATED in line]
    return lines


async def test_code_server_activates_the_extension_only_for_a_supported_file(code_server, tmp_path: Path):
    url, workspace, _ = code_server
    (workspace / "notes.txt").write_text("Plain text: no language the server completes.\n")
    user_data = tmp_path / "user-data"
    browser = Chromium(tools.chromium(), tmp_path / "chromium-profile", tmp_path / "chromium.log")
    screenshot = tools.artifacts_dir() / "vscode-activation.png"
    try:
        await browser.connect()
        await browser.send("Page.enable")
        await browser.send("Page.navigate", url=url)
        await browser.wait_for("!!document.querySelector('.monaco-workbench .explorer-folders-view')", 120)
        await browser.click(".explorer-folders-view .monaco-list-row", "notes.txt", timeout=60)
        await browser.wait_for("!!document.querySelector('.editor-instance .monaco-editor .view-lines')", 60)
        # onStartupFinished would have fired by now; a language event has nothing to fire on.
        await asyncio.sleep(15)
        items_before = await browser.evaluate(STATUS_ITEMS)
        activations_before = _activations(user_data)
        await browser.click(".explorer-folders-view .monaco-list-row", "geometry.py", timeout=60)
        await browser.wait_for(f"{STATUS_ITEMS}.some(t => t.startsWith('iquest'))", 120)
        await asyncio.sleep(2)  # the extension host writes its log a moment later
        activations_after = _activations(user_data)
        await browser.screenshot(screenshot)
    except BaseException:
        await browser.screenshot(screenshot)
        raise
    finally:
        await browser.close()

    assert not [item for item in items_before if item.startswith("iquest")], items_before
    assert activations_before == [], activations_before
    assert any("onLanguage:python" in line for line in activations_after), activations_after


async def test_code_server_restricted_mode_ignores_the_workspace_server_and_venv(tmp_path: Path):
    marker = tmp_path / "workspace-command-ran"
    evil = tmp_path / "workspace-server.sh"
    evil.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    evil.chmod(0o755)
    workspace_settings = {"iquest.server.command": [str(evil)], "iquest.selfVerify": True, "iquest.testCommand": "true"}
    user_data = tmp_path / "user-data"
    browser = Chromium(tools.chromium(), tmp_path / "chromium-profile", tmp_path / "chromium.log")
    screenshot = tools.artifacts_dir() / "vscode-restricted-mode.png"
    with _running_code_server(tmp_path, trust=True, workspace_settings=workspace_settings) as (url, _, _):
        try:
            await browser.connect()
            await browser.send("Page.enable")
            await browser.send("Page.navigate", url=url)
            await browser.wait_for("!!document.querySelector('.monaco-workbench .explorer-folders-view')", 120)
            restricted = await browser.wait_for(f"{STATUS_ITEMS}.filter(t => t.includes('Restricted Mode'))[0]", 60)
            await browser.click(".explorer-folders-view .monaco-list-row", "geometry.py", timeout=60)
            await browser.wait_for(f"{STATUS_ITEMS}.some(t => t.startsWith('iquest'))", 120)
            deadline = time.monotonic() + 60
            started: list[str] = []
            while not started and time.monotonic() < deadline:
                await asyncio.sleep(1)
                for output in user_data.glob("logs/*/exthost*/iquest.iquest-lsp/*.log"):
                    started += [line for line in output.read_text().splitlines() if "starting " in line]
            await browser.screenshot(screenshot)
        except BaseException:
            await browser.screenshot(screenshot)
            raise
        finally:
            await browser.close()

    assert "Restricted Mode" in restricted
    assert started, "the extension logged no server start"
    # Neither the workspace's iquest.server.command nor its .venv: the user's PATH or python3 -m lsp_server.
    assert re.search(r"serve --stdio \(from (PATH|fallback)\)$", started[0]), started
    assert not marker.exists()


def _audit_kinds(audit: Path) -> list[str]:
    return [json.loads(line)["kind"] for line in audit.read_text().splitlines()] if audit.is_file() else []


async def _until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.25)


async def test_accepting_ghost_text_by_word_and_with_tab_is_recorded(code_server, tmp_path: Path):
    url, workspace, audit = code_server
    browser = Chromium(tools.chromium(), tmp_path / "chromium-profile", tmp_path / "chromium.log")
    screenshot = tools.artifacts_dir() / "vscode-accept.png"
    try:
        await _at_the_end_of_geometry(browser, url)
        await browser.type_text(TYPED, delay=0.08)
        first = (await _settled_ghost_text(browser)).replace("\xa0", " ")
        # Ctrl+Right while ghost text shows: our keybinding runs VS Code's accept-next-word and reports it.
        await browser.press("ArrowRight", "Control")
        await _until(lambda: "inline_partially_accepted" in _audit_kinds(audit), 60, "no partial acceptance recorded")
        rest = (await browser.wait_for(GHOST, 60)).replace("\xa0", " ")
        await browser.screenshot(screenshot)
        await browser.press("Tab")
        await _until(lambda: "inline_accepted" in _audit_kinds(audit), 60, "no acceptance recorded after Tab")
    except BaseException:
        await browser.screenshot(screenshot)
        raise
    finally:
        await browser.close()

    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    shown = {e["id"]: e["output"] for e in entries if e["kind"] == "inline_completion"}
    partial = next(e for e in entries if e["kind"] == "inline_partially_accepted")
    assert shown[partial["id"]].startswith(partial["output"]) and partial["output"].strip(), partial
    assert partial["output"].strip() in first, (first, partial)
    # The rest stays offered: VS Code keeps showing the item's remainder, and when it asks again the server answers
    # from the typing-through cache (never a new generation).
    index = entries.index(partial)
    later = [e for e in entries[index:] if e["kind"] == "inline_completion"]
    assert all(e["source"] in ("cache", "speculation") for e in later), later
    first_lines = [re.sub(r"\s", "", text.split("\n")[0]) for text in [shown[partial["id"]][len(partial["output"]) :]]]
    first_lines += [re.sub(r"\s", "", e["output"].split("\n")[0]) for e in later]
    assert any(line and line in re.sub(r"\s", "", rest) for line in first_lines), (rest, first_lines)
    accepted = next(e for e in entries if e["kind"] == "inline_accepted")
    assert accepted["id"] in shown
    stats = subprocess.run(
        [sys.executable, "-m", "lsp_server", "stats", "--json", "--path", str(audit)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    figures = json.loads(stats.stdout)
    # Each suggestion taken counts once: whole when Tab took the item the word came from, else whole + partial.
    taken = {e["id"] for e in entries if e["kind"] in ("inline_accepted", "inline_partially_accepted")}
    assert figures["accepted"] >= 1 and figures["accepted"] + figures["partiallyAccepted"] == len(taken), figures
    assert figures["acceptedChars"] >= len(accepted["output"]) and figures["shown"] == len(shown)


async def test_cycling_shows_a_second_candidate(code_server, tmp_path: Path):
    url, workspace, audit = code_server
    browser = Chromium(tools.chromium(), tmp_path / "chromium-profile", tmp_path / "chromium.log")
    # A body the model is unsure of; Alt+] is VS Code's "show next inline suggestion".
    first, second = await _ghost_text_then_other(
        browser, url, "\n\ndef main():\n", "vscode-cycle.png", lambda: browser.press("]", "Alt")
    )

    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    alternatives = [e for e in entries if e["kind"] == "inline_completion" and e.get("candidate")]
    assert alternatives, entries
    # What shows now comes from the answer that carried the alternative: every piece of ghost text on screen is
    # part of one of its candidates (whitespace aside; VS Code draws the cursor line's part and the lines below as
    # separate elements), and it is not what showed before the key.
    pieces = [re.sub(r"\s", "", piece) for piece in second.split("\n") if piece.strip("\xa0 ")]
    at = alternatives[-1]["offset"]
    answer = [e for e in entries if e["kind"] == "inline_completion" and e["offset"] == at]
    offered = [re.sub(r"\s", "", e["output"]) for e in answer]
    assert pieces and any(all(piece in text for piece in pieces) for text in offered), (pieces, offered)
    assert re.sub(r"\s", "", second) != re.sub(r"\s", "", first)


async def test_a_block_shown_with_its_first_lines_grows_in_place(tmp_path: Path):
    # 1 ms: the first answer is the block's first line; the rest must come without a key pressed.
    settings = {"iquest.firstLinesMs": 1, "iquest.speculate": False}
    with _running_code_server(tmp_path, workspace_settings=settings) as (url, workspace, audit):
        browser = Chromium(tools.chromium(), tmp_path / "chromium-profile", tmp_path / "chromium.log")
        first, grown = await _ghost_text_then_other(browser, url, TYPED, "vscode-grown-block.png")

    answers = [json.loads(line) for line in audit.read_text().splitlines()]
    answers = [a for a in answers if a["kind"] == "inline_completion" and not a.get("candidate")]
    # Two first items at the cursor: the first lines, then the whole block they begin (from the cache).
    assert len(answers) >= 2 and answers[-1]["offset"] == answers[0]["offset"], answers
    shown, whole = answers[0]["output"], answers[-1]["output"]
    assert whole.startswith(shown.rstrip()) and whole.count("\n") > shown.count("\n"), (shown, whole)
    # What shows now is that whole block, line by line (VS Code draws each line of ghost text as its own element).
    pieces = [re.sub(r"\s", "", piece) for piece in grown.split("\n") if piece.strip("\xa0 ")]
    assert len(pieces) > len([p for p in first.split("\n") if p.strip("\xa0 ")]), (first, grown)
    assert all(piece in re.sub(r"\s", "", whole) for piece in pieces), (pieces, whole)
