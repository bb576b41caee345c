"""Run the project's test command in a temporary copy of the workspace with a proposed edit applied."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lsp_server.actions.sandbox import Sandbox, confined_env, probe, sandboxed_command
from lsp_server.actions.textedit import FileEdit

# Not copied: version control, caches and build output. Dependency folders are linked instead.
_SKIPPED = (
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".tox",
    "dist",
    "build",
    "target",
)
_LINKED = (".venv", "venv", "node_modules")
_KILL_GRACE_S = 2.0


@dataclass(frozen=True)
class TestRun:
    """What the test command did in the copy."""

    __test__ = False  # not a pytest class

    passed: bool
    exit_code: int | None
    output: str  # the last ``max_output`` characters
    timed_out: bool
    seconds: float
    workdir: str
    sandbox: str = ""  # what confined the run (see actions.sandbox), '' when it was not confined


def _copy_workspace(root: Path, target: Path, max_bytes: int) -> None:
    total = 0

    def ignore(folder: str, names: list[str]) -> list[str]:
        nonlocal total
        skipped = [name for name in names if name in _SKIPPED or name in _LINKED]
        for name in names:
            if name not in skipped:
                try:
                    total += os.lstat(os.path.join(folder, name)).st_size
                except OSError:
                    pass
        if total > max_bytes:
            raise OSError(f"the workspace is larger than {max_bytes // 1_000_000} MB; not copying it for a test run")
        return skipped

    shutil.copytree(root, target, symlinks=True, ignore=ignore)
    for name in _LINKED:
        if (root / name).is_dir():
            os.symlink(root / name, target / name, target_is_directory=True)


def _signal_group(process: asyncio.subprocess.Process, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


async def _stop(process: asyncio.subprocess.Process) -> None:
    """Stop the command and everything it started (it runs in its own process group)."""
    _signal_group(process, signal.SIGTERM)
    try:
        await asyncio.wait_for(asyncio.shield(process.wait()), _KILL_GRACE_S)
    except TimeoutError:
        pass
    _signal_group(process, signal.SIGKILL)
    await process.wait()


async def _read_tail(stream: asyncio.StreamReader, limit: int) -> str:
    tail = b""
    while chunk := await stream.read(65536):
        tail = (tail + chunk)[-limit:]
    return tail.decode("utf-8", errors="replace")


async def run_tests(
    root: Path,
    edits: Sequence[FileEdit],
    command: str,
    *,
    timeout_s: float,
    max_output: int = 20_000,
    max_copy_bytes: int = 500_000_000,
    memory_mb: int = 4096,
    confine: bool = True,
    sandbox: Sandbox | None = None,
) -> TestRun:
    """Copy ``root``, apply ``edits`` to the copy, run ``command`` there; the copy is always removed.

    With ``confine`` (always, outside tests) the command runs in the sandbox: no network where the
    system allows a network namespace, the original read-only, CPU time (twice the timeout) and data
    size limits, only allow-listed environment variables. Cancelling kills its whole process group.
    """
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="iquest-verify-"))
    work = scratch / root.name
    try:
        await asyncio.to_thread(_copy_workspace, root, work, max_copy_bytes)
        for edit in edits:
            if edit.path is None:
                continue
            target = work / edit.path.resolve().relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(edit.new_text, encoding="utf-8")
        if confine:
            jail = sandbox if sandbox is not None else await asyncio.to_thread(probe)
            argv = sandboxed_command(
                command,
                root.resolve(),
                cpu_seconds=max(10, int(timeout_s * 2) + 1),
                memory_bytes=memory_mb * 2**20,
                file_bytes=max_copy_bytes * 2,
                sandbox=jail,
            )
            env: dict[str, str] | None = confined_env()
            described = jail.describe()
        else:
            argv, env, described = ["/bin/sh", "-c", command], None, ""
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=work,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        assert process.stdout is not None
        reader = asyncio.ensure_future(_read_tail(process.stdout, max_output))
        timed_out = False
        try:
            await asyncio.wait_for(process.wait(), timeout_s)
        except TimeoutError:
            timed_out = True
            await _stop(process)
        except asyncio.CancelledError:
            reader.cancel()
            await _stop(process)
            raise
        _signal_group(process, signal.SIGKILL)  # anything it left running in the background
        output = await reader
        return TestRun(
            passed=not timed_out and process.returncode == 0,
            exit_code=None if timed_out else process.returncode,
            output=output + (f"\n(timed out after {timeout_s:.0f} s)" if timed_out else ""),
            timed_out=timed_out,
            seconds=time.monotonic() - started,
            workdir=str(work),
            sandbox=described,
        )
    finally:
        await asyncio.to_thread(shutil.rmtree, scratch, True)
