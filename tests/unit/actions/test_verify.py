"""The test command runs in a throwaway copy with the edit applied; time, output and cancel are bounded."""

import asyncio
import os
import sys

import pytest

from lsp_server.actions.textedit import FileEdit, line_changes
from lsp_server.actions.verify import run_tests


def _running(pid: int) -> bool:
    """Alive and not a zombie: a killed orphan stays a zombie until whatever adopted it reaps it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _edit(root, rel, new):
    path = root / rel
    old = path.read_text()
    return FileEdit(path.as_uri(), path, old, line_changes(old, new))


async def test_runs_in_a_copy_with_the_edit_and_removes_it(workspace):
    (workspace / ".git").mkdir()
    (workspace / ".git" / "HEAD").write_text("ref\n")
    edit = _edit(workspace, "shop/pricing.py", "VALUE = 42\n")
    command = (
        f'{sys.executable} -c "import os, pathlib; print(os.getcwd()); '
        "print(pathlib.Path('shop/pricing.py').read_text().strip()); print(os.path.exists('.git'))\""
    )
    run = await run_tests(workspace, [edit], command, timeout_s=30)
    assert run.passed and run.exit_code == 0
    cwd, text, git = run.output.split("\n")[:3]
    assert cwd == run.workdir and not cwd.startswith(str(workspace)) and text == "VALUE = 42" and git == "False"
    assert not os.path.exists(run.workdir)
    assert (workspace / "shop" / "pricing.py").read_text() != "VALUE = 42\n"


async def test_failure_timeout_and_output_limit(workspace):
    failed = await run_tests(workspace, [], "echo boom; exit 3", timeout_s=30)
    assert not failed.passed and failed.exit_code == 3 and "boom" in failed.output
    slow = await run_tests(workspace, [], "sleep 30", timeout_s=0.5)
    assert slow.timed_out and not slow.passed and slow.seconds < 10
    loud = await run_tests(workspace, [], "yes x | head -c 100000", timeout_s=30, max_output=1000)
    assert len(loud.output) <= 1000


async def test_cancel_kills_the_whole_process_group(workspace, tmp_path):
    pids = tmp_path / "pids"
    task = asyncio.ensure_future(run_tests(workspace, [], f"sleep 60 & echo $! > {pids}; sleep 60", timeout_s=120))
    for _ in range(1500):  # generous: the machine may be busy
        if pids.exists() and pids.read_text().strip():
            break
        await asyncio.sleep(0.02)
    child = int(pids.read_text())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(300):
        if not _running(child):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the background child survived the cancel")
