"""Next edit in VS Code for real: code-server with our .vsix and our server; a renamed parameter's use below is
proposed as a decoration, Tab jumps to it, Tab applies it, Esc dismisses it, and the audit log records each step."""

from __future__ import annotations

import json
from pathlib import Path

import tools
from cdp import Chromium
from test_vscode import STATUS_ITEMS, _running_code_server, _until

# The workspace's geometry.py (test_vscode.SOURCE): the parameter is renamed on line 6, its use is on line 8.
USE = "    return math.pi * radius ** 2"
RENAMED_USE = "    return math.pi * r ** 2"
WORKSPACE_SETTINGS = {
    "iquest.nextEdit.enabled": True,
    # No ghost text: Tab is then ours whenever the next edit shows (with ghost text on screen Tab is VS Code's).
    "editor.inlineSuggest.enabled": False,
}
LINES = (
    "Array.from(document.querySelectorAll('.editor-instance .view-line'))"
    ".sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))"
    ".map(e => e.textContent.replace(/\\u00a0/g, ' ')).join('\\n')"
)
# Decoration `after` texts are CSS ::after content of the decoration spans; struck text has line-through.
AFTER_TEXTS = (
    "Array.from(document.querySelectorAll('.editor-instance .view-line span[class*=\"TextEditorDecorationType\"]'))"
    ".map(e => getComputedStyle(e, '::after').content).filter(c => c && c !== 'none' && c !== 'normal')"
    ".map(c => JSON.parse(c))"
)
STRUCK = (
    "Array.from(document.querySelectorAll('.editor-instance .view-line span[class*=\"TextEditorDecorationType\"]'))"
    ".filter(e => getComputedStyle(e).textDecorationLine.includes('line-through')).map(e => e.textContent)"
)


def _hints_once(start: str) -> str:
    """An expression: the decorations' texts once one of them starts with `start`, else false."""
    return f"(() => {{ const t = {AFTER_TEXTS}; return t.some(h => h.startsWith({json.dumps(start)})) && t; }})()"


def _audit(audit: Path) -> list[dict]:
    return [json.loads(line) for line in audit.read_text().splitlines()] if audit.is_file() else []


def _next_edit_entries(audit: Path, verdict: str) -> list[dict]:
    return [entry for entry in _audit(audit) if "next_edit" in entry["kind"] and entry["kind"].endswith(verdict)]


async def _key(browser: Chromium, key: str, code: str, vk: int, modifiers: int = 0) -> None:
    """A key cdp.KEYS does not name (Ctrl+S)."""
    common = {"key": key, "code": code, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk, "modifiers": modifiers}
    await browser.send("Input.dispatchKeyEvent", type="rawKeyDown", **common)
    await browser.send("Input.dispatchKeyEvent", type="keyUp", **common)


async def _rename_parameter(browser: Chromium, url: str) -> list[str]:
    """Open geometry.py once the model is loaded, rename `radius` to `r` in the def; return the next edit's hints."""
    await browser.send("Page.enable")
    await browser.send("Page.navigate", url=url)
    await browser.wait_for("!!document.querySelector('.monaco-workbench .explorer-folders-view')", 120)
    await browser.click(".explorer-folders-view .monaco-list-row", "geometry.py", timeout=60)
    await browser.wait_for("!!document.querySelector('.editor-instance .monaco-editor .view-lines')", 60)
    await browser.wait_for(f"{STATUS_ITEMS}.includes('iquest')", 180)
    parameter = (
        "(() => { const line = Array.from(document.querySelectorAll('.editor-instance .view-line'))"
        ".find(e => e.textContent.replace(/\\u00a0/g, ' ').includes('def circle_area('));"
        "const token = line && Array.from(line.querySelectorAll('span span')).find(s => s.textContent === 'radius');"
        "if (!token) return null; const r = token.getBoundingClientRect();"
        "return [r.x + r.width / 2, r.y + r.height / 2]; })()"
    )
    x, y = await browser.wait_for(parameter, 30)
    for count in (1, 2):  # a double click selects the word
        for kind in ("mousePressed", "mouseReleased"):
            await browser.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=count)
    await browser.type_text("r", delay=0.1)
    await browser.wait_for(f"{LINES}.includes('def circle_area(r: float)')", 10)
    return await browser.wait_for(_hints_once("Tab to jump"), 240)


async def test_renamed_parameter_next_edit_tab_jumps_and_tab_applies(tmp_path: Path):
    browser = Chromium(tools.chromium(), tmp_path / "chromium-profile", tmp_path / "chromium.log")
    screenshot = tools.artifacts_dir() / "vscode-next-edit.png"
    with _running_code_server(tmp_path, workspace_settings=WORKSPACE_SETTINGS) as (url, workspace, audit):
        try:
            await browser.connect()
            hints = await _rename_parameter(browser, url)
            struck = await browser.evaluate(STRUCK)
            await browser.screenshot(screenshot)
            await browser.press("Tab")  # jump: the cursor goes to the use
            applying = await browser.wait_for(_hints_once("Tab to apply"), 30)
            cursor = await browser.wait_for(f"{STATUS_ITEMS}.filter(t => /^Ln \\d+, Col \\d+/.test(t))[0]", 10)
            await browser.press("Tab")  # apply
            await browser.wait_for(f"{LINES}.includes({json.dumps(RENAMED_USE)})", 30)
            await _until(lambda: bool(_next_edit_entries(audit, "accepted")), 30, "no acceptance recorded")
            await _key(browser, "s", "KeyS", 83, 2)  # Ctrl+S
            await _until(lambda: RENAMED_USE in (workspace / "geometry.py").read_text(), 30, "not saved")
        except BaseException:
            await browser.screenshot(tools.artifacts_dir() / "vscode-next-edit-failed.png")
            raise
        finally:
            await browser.close()

    assert "radius" in "".join(struck), struck
    assert any("line 8" in hint for hint in hints), hints
    assert cursor.startswith("Ln 8,"), cursor
    assert "Tab to apply, Esc to dismiss" in applying
    text = (workspace / "geometry.py").read_text()
    assert "def circle_area(r: float) -> float:" in text and RENAMED_USE in text and USE not in text, text
    shown = _next_edit_entries(audit, "shown")
    accepted = _next_edit_entries(audit, "accepted")
    assert shown and accepted, _audit(audit)
    assert accepted[-1]["id"] in {entry["id"] for entry in shown}, (shown, accepted)
    assert not _next_edit_entries(audit, "rejected")
    assert screenshot.stat().st_size > 10_000


async def test_escape_dismisses_the_next_edit_and_records_the_rejection(tmp_path: Path):
    browser = Chromium(tools.chromium(), tmp_path / "chromium-profile", tmp_path / "chromium.log")
    with _running_code_server(tmp_path, workspace_settings=WORKSPACE_SETTINGS) as (url, workspace, audit):
        try:
            await browser.connect()
            await _rename_parameter(browser, url)
            await browser.press("Escape")
            await browser.wait_for(f"{AFTER_TEXTS}.length === 0 && {STRUCK}.length === 0", 10)
            await _until(lambda: bool(_next_edit_entries(audit, "rejected")), 30, "no rejection recorded")
            await _key(browser, "s", "KeyS", 83, 2)
            await _until(lambda: "circle_area(r" in (workspace / "geometry.py").read_text(), 30, "not saved")
        except BaseException:
            await browser.screenshot(tools.artifacts_dir() / "vscode-next-edit-dismissed-failed.png")
            raise
        finally:
            await browser.close()

    text = (workspace / "geometry.py").read_text()
    assert USE in text and RENAMED_USE not in text, text
    rejected = _next_edit_entries(audit, "rejected")
    assert rejected[-1]["id"] in {entry["id"] for entry in _next_edit_entries(audit, "shown")}, _audit(audit)
    assert not _next_edit_entries(audit, "accepted")
