"""A real headless Neovim with editors/nvim's config talks to our server and gets a suggestion."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tools
from lsp_session import require_model

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("nvim_complete.lua")
SOURCE = '''"""Geometry."""

import math


def circle_area(radius: float) -> float:
    """Area of a circle."""
    return math.pi * radius ** 2


def circle_circumference(radius: float) -> float:
    """Length of a circle's boundary."""
    '''


def test_neovim_gets_a_suggestion_from_the_server(nvim: str, tmp_path: Path):
    require_model("qwen2.5-coder-0.5b")
    workspace = tmp_path / "project"
    (workspace / ".git").mkdir(parents=True)
    source = workspace / "geometry.py"
    source.write_text(SOURCE)
    result_file = tmp_path / "result.json"
    settings = {
        "model": "qwen2.5-coder-0.5b",
        "maxTokens": 24,
        "generationTimeoutMs": 120000,
        "firstLinesMs": 0,
        "candidates": 1,  # one item each: an alternative sampled between the two requests would vary the count
        "auditLogPath": str(tmp_path / "audit.jsonl"),
    }
    env = {
        **os.environ,
        "IQUEST_NVIM_CONFIG": str(REPO / "editors" / "nvim"),
        "IQUEST_NVIM_CMD": json.dumps([sys.executable, "-m", "lsp_server", "serve", "--stdio"]),
        "IQUEST_NVIM_SETTINGS": json.dumps(settings),
        "IQUEST_NVIM_FILE": str(source),
        "IQUEST_NVIM_RESULT": str(result_file),
    }
    run = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-l", str(SCRIPT)],
        env=env,
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert result_file.is_file(), f"nvim wrote no result (rc {run.returncode}): {run.stdout}\n{run.stderr}"
    result = json.loads(result_file.read_text())
    assert result.get("error") is None, result

    assert result["serverInfo"]["name"] == "iquest-lsp"
    assert result["filetype"] == "python"
    assert Path(result["rootDir"]) == workspace
    assert result["status"]["state"] == "ready", result["status"]

    items = result["completion"]["items"]
    assert len(items) == 1, result["completion"]
    item = items[0]
    assert item["detail"] == "iquest-lsp"
    assert "radius" in item["textEdit"]["newText"], item

    inline = result["inline"]["items"]
    assert len(inline) == 1 and inline[0]["insertText"].strip(), result["inline"]
    assert run.returncode == 0, run.stderr


COMMANDS_SCRIPT = Path(__file__).with_name("nvim_commands.lua")
SUBCOMMANDS = ["status", "reload", "toggle", "plan"]


def _run_nvim(
    nvim: str,
    script: Path,
    cwd: Path,
    timeout: float,
    env: dict[str, str],
    *,
    main_loop: bool = False,
    **variables: str,
) -> dict:
    """Run a driver script in headless Neovim (-u NONE) with IQUEST_NVIM_* inputs; return the JSON it wrote.

    A script that types keys needs ``main_loop`` (sourced with -S, not run with -l, where no key is processed).
    """
    result_file = cwd.parent / f"{script.stem}.json"
    env = {
        **os.environ,
        "IQUEST_NVIM_CONFIG": str(REPO / "editors" / "nvim"),
        "IQUEST_NVIM_RESULT": str(result_file),
        **env,
        **{f"IQUEST_NVIM_{name.upper()}": value for name, value in variables.items()},
    }
    run = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-S" if main_loop else "-l", str(script)],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result_file.is_file(), f"nvim wrote no result (rc {run.returncode}): {run.stdout}\n{run.stderr}"
    result = json.loads(result_file.read_text())
    assert result.get("error") is None, result
    assert run.returncode == 0, run.stderr
    return result


def _error(note: dict) -> str:
    """The text of a notification sent at ERROR level (vim.log.levels.ERROR == 4)."""
    assert note.get("level") == 4, note
    return note["message"]


def test_neovim_enable_and_iquest_commands(nvim: str, tmp_path: Path):
    require_model("smollm2-135m")
    workspace = tmp_path / "project"
    (workspace / ".git").mkdir(parents=True)
    source = workspace / "geometry.py"
    source.write_text(SOURCE)
    settings = {
        "model": "smollm2-135m",
        "maxTokens": 8,
        "planMaxTokens": 64,
        "generationTimeoutMs": 120000,
        "firstLinesMs": 0,
        "speculate": False,
        "auditLogPath": str(tmp_path / "audit.jsonl"),
    }
    result = _run_nvim(
        nvim,
        COMMANDS_SCRIPT,
        workspace,
        600,
        {"IQUEST_STATE_DIR": str(tmp_path / "state")},
        cmd=json.dumps([sys.executable, "-m", "lsp_server", "serve", "--stdio"]),
        settings=json.dumps(settings),
        file=str(source),
    )

    # vim.lsp.enable("iquest") with lsp/iquest.lua attached a client to the Python buffer.
    assert result["filetype"] == "python"
    assert result["client"]["serverInfo"]["name"] == "iquest-lsp"
    assert Path(result["client"]["rootDir"]) == workspace
    assert result["status"]["state"] == "ready", result["status"]

    status = result["statusNote"]["message"]
    assert status.startswith("iquest: iquest-lsp "), status
    assert "model ready (smollm2-135m" in status, status
    assert "suggestions: on in this buffer" in status, status

    # Suggestions on: each request reaches the server. Off (buffer or global): none does, the client gets [].
    assert result["suggestOn"]["serverRequests"] == 2, result["suggestOn"]
    assert result["toggleOff"]["message"] == "iquest: suggestions off in this buffer"
    assert result["suggestOffBuffer"] == {"completionItems": 0, "inlineItems": 0, "serverRequests": 0}
    assert result["toggleOn"]["message"] == "iquest: suggestions on in this buffer"
    assert result["suggestOnAgain"]["serverRequests"] == 2, result["suggestOnAgain"]
    assert result["toggleGlobalOff"]["message"] == "iquest: suggestions off everywhere"
    assert result["suggestOffGlobal"] == {"completionItems": 0, "inlineItems": 0, "serverRequests": 0}
    assert "suggestions: off in this buffer (globally off)" in result["statusWhileOff"]["message"]
    assert result["toggleGlobalOn"]["message"] == "iquest: suggestions on everywhere"

    # Bad input says what exists.
    for note in (result["unknown"], result["bare"]):
        assert all(name in _error(note) for name in SUBCOMMANDS), note
    assert "frobnicate" in result["unknown"]["message"]
    assert "buffer" in _error(result["badScope"]) and "global" in result["badScope"]["message"]
    assert "plan needs a goal" in _error(result["planWithoutGoal"])
    assert sorted(result["completions"]) == sorted(SUBCOMMANDS)

    # :Iquest plan runs the server's iquest.refactorPlan, which shows its markdown in Neovim.
    assert result["planStarted"]["message"] == "iquest: writing a refactor plan…"
    plan = result.get("plan")
    assert plan, result["notes"]
    assert Path(plan["name"]).parent == tmp_path / "state" / "documents", plan["name"]
    assert plan["text"].strip(), plan

    # :Iquest reload: the old client stopped, a new one serves the same buffer.
    assert result["reloadNote"]["message"] == "iquest: restarted 1 client(s) for 1 buffer(s)"
    reloaded = result["reloaded"]
    assert reloaded and reloaded["id"] != result["client"]["id"], result
    assert reloaded["oldStopped"] is True and reloaded["running"] == 1
    assert reloaded["serverInfo"]["name"] == "iquest-lsp"


HEALTH_SCRIPT = Path(__file__).with_name("nvim_health.lua")


def _section(report: str, title: str) -> str:
    """One section of a :checkhealth report: from its title line to the next title."""
    match = re.search(rf"^{re.escape(title)} ~\n(.*?)(?=^\S[^\n]* ~\n|\Z)", report, re.MULTILINE | re.DOTALL)
    assert match, f"no section {title!r} in:\n{report}"
    return match.group(1)


def test_neovim_help_and_checkhealth(nvim: str, tmp_path: Path):
    require_model("smollm2-135m")
    plugin = tmp_path / "plugin"
    shutil.copytree(REPO / "editors" / "nvim", plugin, ignore=shutil.ignore_patterns("tags"))
    workspace = tmp_path / "project"
    (workspace / ".git").mkdir(parents=True)
    source = workspace / "geometry.py"
    source.write_text(SOURCE)
    (tmp_path / "no-models").mkdir()
    result = _run_nvim(
        nvim,
        HEALTH_SCRIPT,
        workspace,
        300,
        {"IQUEST_NVIM_CONFIG": str(plugin), "IQUEST_STATE_DIR": str(tmp_path / "state")},
        cmd=json.dumps([sys.executable, "-m", "lsp_server", "serve", "--stdio"]),
        settings=json.dumps({"model": "smollm2-135m", "auditLogPath": str(tmp_path / "audit.jsonl")}),
        file=str(source),
        missing_exe=str(tmp_path / "nowhere" / "iquest-lsp"),
        empty_dir=str(tmp_path / "no-models"),
    )

    # :helptags made tags for the doc, and :help finds each of them in iquest.txt.
    assert (plugin / "doc" / "tags").is_file()
    for opened in result["help"]:
        assert opened["file"] == "iquest.txt", opened
        assert f"*{opened['tag']}*" in opened["line"], opened

    missing_server = _section(result["health"]["missingServer"], "iquest-lsp server")
    assert f"ERROR server executable not found: {tmp_path / 'nowhere' / 'iquest-lsp'}" in missing_server
    assert "scripts/dev.sh demo" in missing_server  # the fix
    assert "Neovim 0.11" in _section(result["health"]["missingServer"], "Neovim")

    missing_model = result["health"]["missingModel"]
    assert re.search(r"OK iquest-lsp \d+\.\d+", _section(missing_model, "iquest-lsp server")), missing_model
    model = _section(missing_model, "Model")
    assert f"ERROR model file missing: {tmp_path / 'no-models' / 'smollm2-135m.gguf'}" in model, model
    assert "run `iquest-lsp model fetch smollm2-135m`" in model, model
    assert "WARNING no iquest client is running" in _section(missing_model, "LSP client")
    # :Iquest status, reload and plan without a client say so instead of failing somewhere inside.
    assert len(result["withoutClient"]) == 3, result["withoutClient"]
    for note in result["withoutClient"]:
        assert "no iquest client is running" in _error(note), note

    attached = result["health"]["attached"]
    assert "OK model verified" in _section(attached, "Model"), attached
    client = _section(attached, "LSP client")
    attached_line = rf"OK client \d+ \(iquest-lsp \S+, root {re.escape(str(workspace))}\) attached to geometry.py"
    assert re.search(attached_line, client), client
    assert "OK server model state: " in client, client
    assert "ERROR" not in attached, attached


def test_neovim_accept_handler_records_a_partial_then_a_whole_acceptance(nvim: str, tmp_path: Path):
    require_model("qwen2.5-coder-0.5b")
    workspace = tmp_path / "project"
    (workspace / ".git").mkdir(parents=True)
    source = workspace / "geometry.py"
    source.write_text(SOURCE)
    result_file, audit = tmp_path / "result.json", tmp_path / "audit.jsonl"
    settings = {"model": "qwen2.5-coder-0.5b", "maxTokens": 24, "generationTimeoutMs": 120000, "firstLinesMs": 0}
    env = {
        **os.environ,
        "IQUEST_NVIM_CONFIG": str(REPO / "editors" / "nvim"),
        "IQUEST_NVIM_CMD": json.dumps([sys.executable, "-m", "lsp_server", "serve", "--stdio"]),
        "IQUEST_NVIM_SETTINGS": json.dumps({**settings, "auditLogPath": str(audit)}),
        "IQUEST_NVIM_FILE": str(source),
        "IQUEST_NVIM_RESULT": str(result_file),
    }
    run = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-l", str(SCRIPT.with_name("nvim_accept.lua"))],
        env=env,
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert result_file.is_file(), f"nvim wrote no result (rc {run.returncode}): {run.stdout}\n{run.stderr}"
    result = json.loads(result_file.read_text())
    assert result.get("error") is None, result

    word, first, rest = result["word"], result["first"], result["rest"]
    assert word.strip() and len(word) < len(first) and first.startswith(word), result
    assert first[len(word) :].startswith(rest) and rest.strip(), result  # the rest, from the typing-through cache
    assert result["buffer"].endswith(SOURCE.rsplit("\n", 1)[1] + word + rest), result["buffer"]
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    shown = [e for e in entries if e["kind"] == "inline_completion"]
    partial = [e for e in entries if e["kind"] == "inline_partially_accepted"]
    accepted = [e for e in entries if e["kind"] == "inline_accepted"]
    assert [(e["id"], e["output"]) for e in partial] == [(shown[0]["id"], word)]
    assert [(e["id"], e["output"]) for e in accepted] == [(shown[-1]["id"], rest)] and shown[-1]["source"] == "cache"
    assert result["acceptance"]["accepted"] == 1 and result["acceptance"]["partiallyAccepted"] == 1
    assert result["acceptance"]["acceptedChars"] == len(word) + len(rest)
    assert run.returncode == 0, run.stderr


NEXT_EDIT_SOURCE = (
    "def total_price(items, rate):\n"
    "    subtotal = sum(item.price for item in items)\n"
    "    tax = subtotal * rate\n"
    "    return round(subtotal + tax, 2)\n"
)


def test_neovim_applies_the_next_edit_copilots_request_returns(nvim: str, tmp_path: Path):
    require_model("qwen2.5-coder-0.5b")
    workspace = tmp_path / "project"
    (workspace / ".git").mkdir(parents=True)
    source = workspace / "shop.py"
    source.write_text(NEXT_EDIT_SOURCE)
    audit = tmp_path / "audit.jsonl"
    settings = {
        "model": "qwen2.5-coder-0.5b",
        "warmUp": False,
        "auditLogPath": str(audit),
        "nextEdit": {"enabled": True, "idleMs": 100},
    }
    result = _run_nvim(
        nvim,
        SCRIPT.with_name("nvim_next_edit.lua"),
        workspace,
        500,
        {},
        cmd=json.dumps([sys.executable, "-m", "lsp_server", "serve", "--stdio"]),
        settings=json.dumps(settings),
        file=str(source),
    )
    edit = result["edit"]
    assert edit["textDocument"]["version"] == result["version"] and edit["range"]["start"]["line"] == 2, result
    renamed = NEXT_EDIT_SOURCE.replace("rate", "tax_rate")
    assert result["buffer"] == renamed.rstrip("\n"), result["buffer"]
    assert result["accepted"] == {"recorded": True}
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    kinds = [(e["kind"], e["id"]) for e in entries if e["kind"].startswith("next_edit_")]
    ident = edit["iquest"]["id"]
    assert kinds == [("next_edit_predicted", ident), ("next_edit_shown", ident), ("next_edit_accepted", ident)]


INLINE_SCRIPT = Path(__file__).with_name("nvim_inline.lua")


def test_neovim_012_ghost_text_word_cycle_and_accept(tmp_path: Path):
    nvim = tools.nvim_012() or pytest.skip(
        "Neovim >= 0.12 not found: set IQUEST_NVIM_012 or build /opt/nvim-0.12 with scripts/build_nvim_012.sh"
    )
    require_model("smollm2-135m")
    workspace = tmp_path / "project"
    (workspace / ".git").mkdir(parents=True)
    source = workspace / "geometry.py"
    source.write_text(SOURCE)
    audit = tmp_path / "audit.jsonl"
    settings = {
        "model": "smollm2-135m",
        "maxTokens": 16,
        "generationTimeoutMs": 120000,
        "firstLinesMs": 0,
        "auditLogPath": str(audit),
    }
    result = _run_nvim(
        nvim,
        INLINE_SCRIPT,
        workspace,
        600,
        {"IQUEST_STATE_DIR": str(tmp_path / "state")},
        main_loop=True,
        cmd=json.dumps([sys.executable, "-m", "lsp_server", "serve", "--stdio"]),
        settings=json.dumps(settings),
        file=str(source),
    )
    assert result["inlineEnabled"] is True  # setup() turned 0.12's inline completion on

    # In Insert mode at the end of the function body, 0.12 asked by itself and shows ghost text at the cursor.
    last_line = SOURCE.rsplit("\n", 1)[1]
    first = result["first"]
    assert first["marks"] == 1 and first["text"].strip(), first
    assert (first["row"], first["col"]) == (SOURCE.count("\n"), len(last_line)), first
    assert result["cursor"] == [SOURCE.count("\n") + 1, len(last_line)]

    # <M-Right> inserted the suggestion's first word; the rest of it showed at once, after the word.
    word = result["afterWord"].removeprefix(last_line)
    assert word.strip() and len(word) < len(first["text"]) and first["text"].startswith(word), result
    rest = result["rest"]
    assert rest["text"].strip() and first["text"][len(word) :].startswith(rest["text"]), result
    assert (rest["row"], rest["col"]) == (first["row"], first["col"] + len(word)), rest

    # <M-]> (select) shows the answer's second candidate: other text, index 2 of at least 2.
    before, after = result["before"], result["after"]
    assert "hint" not in before and before["text"].strip(), before
    hint = re.fullmatch(r" \(2/(\d+)\)", after["hint"])
    assert hint and int(hint.group(1)) >= 2, after
    assert after["text"].strip() and after["text"] != before["text"], result

    # <Tab> inserted that candidate; the server recorded the word as a partial acceptance and the candidate (the
    # alternative's id, its text) as a whole one.
    assert result["buffer"] == SOURCE + word + after["text"], result["buffer"]
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    shown = {e["id"]: e for e in entries if e["kind"] == "inline_completion"}
    partial = [e for e in entries if e["kind"] == "inline_partially_accepted"]
    assert [e["output"] for e in partial] == [word] and partial[0]["id"] in shown, partial
    accepted = [e for e in entries if e["kind"] == "inline_accepted"]
    assert [e["output"] for e in accepted] == [after["text"]], accepted
    assert shown[accepted[0]["id"]].get("candidate") == 1, shown[accepted[0]["id"]]
    acceptance = result["acceptance"]
    assert (acceptance["accepted"], acceptance["partiallyAccepted"]) == (1, 1), acceptance

    neovim = _section(result["health"], "Neovim")
    assert re.search(r"OK Neovim 0\.1[2-9]\.\d+", neovim), neovim
    assert "OK native inline ghost text (vim.lsp.inline_completion)" in neovim, neovim
    assert "ERROR" not in result["health"] and "WARNING" not in result["health"], result["health"]
