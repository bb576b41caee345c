"""A real headless Neovim with editors/nvim's config talks to our server and gets a suggestion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
