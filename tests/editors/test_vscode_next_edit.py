"""Next edit in VS Code for real: code-server with our .vsix and our server; a renamed parameter's use below is
proposed as a decoration, Tab jumps to it, Tab applies it, Esc dismisses it, and the audit log records each step."""

from __future__ import annotations

import json
from pathlib import Path

import tools
from cdp import Chromium
from test_next_edit import TEXT
from test_vscode import STATUS_ITEMS, _running_code_server, _until

# The scenario of tests/e2e/test_next_edit.py: `rate` becomes `tax_rate` in the def (line 1), its use is line 3.
SOURCE = TEXT
USE = "    tax = subtotal * rate\n"
RENAMED_USE = "    tax = subtotal * tax_rate\n"
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
    return [entry for entry in _audit(audit) if entry["kind"] == f"next_edit_{verdict}"]


async def _key(browser: Chromium, key: str, code: str, vk: int, modifiers: int = 0) -> None:
    """A key cdp.KEYS does not name (Ctrl+Home, Ctrl+S)."""
    common = {"key": key, "code": code, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk, "modifiers": modifiers}
    await browser.send("Input.dispatchKeyEvent", type="rawKeyDown", **common)
    await browser.send("Input.dispatchKeyEvent", type="keyUp", **common)


async def _rename_parameter(browser: Chromium, url: str, workspace: Path) -> list[str]:
    """Open shop.py once the model is loaded, type `tax_` before the parameter `rate`; return the next edit's hints."""
    (workspace / "shop.py").write_text(SOURCE)
    await browser.send("Page.enable")
    await browser.send("Page.navigate", url=url)
    await browser.wait_for("!!document.querySelector('.monaco-workbench .explorer-folders-view')", 120)
    await browser.click(".explorer-folders-view .monaco-list-row", "shop.py", timeout=60)
    await browser.wait_for("!!document.querySelector('.editor-instance .monaco-editor .view-lines')", 60)
    await browser.wait_for(f"{STATUS_ITEMS}.includes('iquest')", 180)
    await browser.click(".editor-instance .monaco-editor .view-lines", "total_price")
    await _key(browser, "Home", "Home", 36, 2)  # Ctrl+Home: line 1, column 1
    for _ in range(SOURCE.index("rate")):
        await browser.press("ArrowRight")
    await browser.type_text("tax_", delay=0.1)
    await browser.wait_for(f"{LINES}.includes('def total_price(items, tax_rate):')", 10)
    return await browser.wait_for(_hints_once("Tab to jump"), 240)


async def test_renamed_parameter_next_edit_tab_jumps_and_tab_applies(tmp_path: Path):
    browser = Chromium(tools.chromium(), tmp_path / "chromium-profile", tmp_path / "chromium.log")
    screenshot = tools.artifacts_dir() / "vscode-next-edit.png"
    with _running_code_server(tmp_path, workspace_settings=WORKSPACE_SETTINGS) as (url, workspace, audit):
        try:
            await browser.connect()
            hints = await _rename_parameter(browser, url, workspace)
            struck = await browser.evaluate(STRUCK)
            await browser.screenshot(screenshot)
            await browser.press("Tab")  # jump: the cursor goes to the use
            applying = await browser.wait_for(_hints_once("Tab to apply"), 30)
            cursor = await browser.wait_for(f"{STATUS_ITEMS}.filter(t => /^Ln \\d+, Col \\d+/.test(t))[0]", 10)
            await browser.press("Tab")  # apply
            await browser.wait_for(f"{LINES}.includes({json.dumps(RENAMED_USE)})", 30)
            await _until(lambda: bool(_next_edit_entries(audit, "accepted")), 30, "no acceptance recorded")
            await _key(browser, "s", "KeyS", 83, 2)  # Ctrl+S
            await _until(lambda: RENAMED_USE in (workspace / "shop.py").read_text(), 30, "not saved")
        except BaseException:
            await browser.screenshot(tools.artifacts_dir() / "vscode-next-edit-failed.png")
            raise
        finally:
            await browser.close()

    assert "rate" in "".join(struck), struck
    assert any("line 3" in hint for hint in hints), hints
    assert cursor.startswith("Ln 3,"), cursor
    assert "Tab to apply, Esc to dismiss" in applying
    text = (workspace / "shop.py").read_text()
    assert text == SOURCE.replace("rate", "tax_rate"), text
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
            await _rename_parameter(browser, url, workspace)
            await browser.press("Escape")
            await browser.wait_for(f"{AFTER_TEXTS}.length === 0 && {STRUCK}.length === 0", 10)
            await _until(lambda: bool(_next_edit_entries(audit, "rejected")), 30, "no rejection recorded")
            await _key(browser, "s", "KeyS", 83, 2)
            await _until(lambda: "tax_rate" in (workspace / "shop.py").read_text(), 30, "not saved")
        except BaseException:
            await browser.screenshot(tools.artifacts_dir() / "vscode-next-edit-dismissed-failed.png")
            raise
        finally:
            await browser.close()

    text = (workspace / "shop.py").read_text()
    assert text == SOURCE.replace("items, rate", "items, tax_rate") and USE in text, text
    rejected = _next_edit_entries(audit, "rejected")
    assert rejected[-1]["id"] in {entry["id"] for entry in _next_edit_entries(audit, "shown")}, _audit(audit)
    assert not _next_edit_entries(audit, "accepted")
