"""Run Semgrep offline on files with the rules shipped in this package; no registry, no metrics, bounded time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lsp_server.scan.findings import Finding, normalise, severity_of

RULES_PACKAGE = "lsp_server.scan"
RULES_FOLDER = "rules"
# Environment that keeps Semgrep offline and quiet whatever the user's settings are.
_OFFLINE_ENV = {
    "SEMGREP_ENABLE_VERSION_CHECK": "0",
    "SEMGREP_SEND_METRICS": "off",
    "SEMGREP_APP_TOKEN": "",
    "NO_COLOR": "1",
}
_PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


class SemgrepUnavailable(Exception):
    """Semgrep is missing or broken; the message says which and what to do."""


@dataclass(frozen=True)
class SemgrepRun:
    """What one Semgrep run found, per scanned path, and how long it took."""

    findings: Mapping[str, list[Finding]]  # by the target path given
    seconds: float
    version: str = ""
    errors: tuple[str, ...] = ()


def rules_dir() -> Path:
    """The folder of YAML rules shipped in the package."""
    return Path(str(resources.files(RULES_PACKAGE).joinpath(RULES_FOLDER)))


def find_semgrep() -> str | None:
    """IQUEST_SEMGREP, else the ``semgrep`` next to this Python (the installed dependency), else on PATH."""
    configured = os.environ.get("IQUEST_SEMGREP")
    if configured is not None:
        return configured or None
    beside = Path(sys.executable).parent / "semgrep"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("semgrep")


def command(semgrep: str, targets: Sequence[str], *, rule_timeout_s: int = 5, max_memory_mb: int = 1500) -> list[str]:
    """The Semgrep command line: the OCaml engine directly (--experimental: no Python CLI start-up), offline."""
    return [
        semgrep,
        "scan",
        "--experimental",
        "--metrics",
        "off",
        "--disable-version-check",
        "--config",
        str(rules_dir()),
        "--json",
        "--quiet",
        "--disable-nosem",  # a model cannot silence a rule with a comment
        "--no-git-ignore",
        "--timeout",
        str(rule_timeout_s),
        "--jobs",
        "1",
        "--max-memory",
        str(max_memory_mb),
        *targets,
    ]


def _environment(home: Path) -> dict[str, str]:
    env = {name: os.environ[name] for name in _PASSED_ENV if name in os.environ}
    env.update(_OFFLINE_ENV)
    env["HOME"] = str(home)  # no login token, no settings or logs written to the user's home
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    return env


def _finding(result: Mapping[str, Any], texts: Mapping[str, str], names: Mapping[str, str]) -> Finding | None:
    try:
        target = str(result["path"])
        start = int(result["start"]["line"]) - 1
        end = int(result["end"]["line"]) - 1
        extra = result.get("extra") or {}
    except (KeyError, TypeError, ValueError):
        return None
    text = texts.get(target)
    if text is None:
        return None
    lines = text.split("\n")
    metadata = extra.get("metadata") or {}
    return Finding(
        rule=str(result.get("check_id", "")),
        severity=severity_of(str(extra.get("severity", ""))),
        message=str(extra.get("message", "")).strip(),
        path=names.get(target, target),
        line=start,
        end_line=end,
        text=normalise("\n".join(lines[start : end + 1])),
        category=str(metadata.get("category", "")),
        cwe=str(metadata.get("cwe", "")),
    )


async def run_semgrep(
    semgrep: str, workdir: Path, targets: Mapping[str, str], names: Mapping[str, str], *, timeout_s: float
) -> SemgrepRun:
    """Scan the files ``targets`` (path relative to ``workdir`` -> its text, already written there).

    ``names`` maps a target to the name findings carry. SemgrepUnavailable when it cannot run or
    answers nonsense; the process group is killed at ``timeout_s``.
    """
    started = time.monotonic()
    home = workdir / ".semgrep-home"
    home.mkdir(exist_ok=True)
    # Output to files, not pipes: a process that outlives Semgrep (its engine, cut off from a cancelled spawn) would
    # hold pipes open, and asyncio waits for every holder before a spawn or wait() ends (a server's exit did, ~20 s).
    out_path, err_path = home / "out.json", home / "err.txt"
    with out_path.open("wb") as out_file, err_path.open("wb") as err_file:
        try:
            process = await asyncio.create_subprocess_exec(
                *command(semgrep, sorted(targets)),
                cwd=workdir,
                env=_environment(home),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out_file,
                stderr=err_file,
                start_new_session=True,
            )
        except OSError as exc:
            raise SemgrepUnavailable(f"semgrep could not be started ({semgrep}: {exc.strerror or exc})") from exc
    try:
        await asyncio.wait_for(process.wait(), timeout_s)
    except (TimeoutError, asyncio.CancelledError) as exc:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        if isinstance(exc, asyncio.CancelledError):
            raise
        raise SemgrepUnavailable(f"semgrep did not finish within {timeout_s:.0f} s") from exc
    out, err = out_path.read_bytes(), err_path.read_bytes()
    seconds = time.monotonic() - started
    try:
        answer = json.loads(out.decode("utf-8", errors="replace"))
        results = answer["results"]
    except (ValueError, KeyError, TypeError) as exc:
        tail = err.decode("utf-8", errors="replace").strip().splitlines()[-3:]
        raise SemgrepUnavailable(
            f"semgrep failed (exit {process.returncode}): {' '.join(tail) or 'no JSON answer'}"
        ) from exc
    found: dict[str, list[Finding]] = {target: [] for target in targets}
    for result in results:
        finding = _finding(result, targets, names)
        if finding is not None:
            found.setdefault(str(result["path"]), []).append(finding)
    errors = tuple(
        str(error.get("message", error))[:300]
        for error in answer.get("errors") or []
        if isinstance(error, dict) and error.get("level") == "error"
    )
    return SemgrepRun(found, seconds, str(answer.get("version", "")), errors)
