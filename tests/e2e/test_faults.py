"""Faults: damaged models, a broken cache, the watch limit, a full disk, a vanished client.

Each fault must give one clear message, leave the rest of the server working and leave nothing
half-written. Missing models and unsupported architectures are covered by test_model_errors.py,
interrupted or mismatched downloads by tests/unit/model/test_fetch.py.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "fuzz"))
from harness import initialize_params, server_env, wait_ready, write_workspace  # noqa: E402
from lsp_session import require_model  # noqa: E402
from rpc import SERVER_COMMAND, RawServer  # noqa: E402

from lsp_server.context.files import FilePolicy  # noqa: E402
from lsp_server.context.workspace import WorkspaceContext  # noqa: E402
from lsp_server.model.catalog import load_catalog  # noqa: E402
from lsp_server.model.fetch import model_file  # noqa: E402

SMOLLM = "smollm2-135m"
CODE = "from pkg.shapes import Circle\n\n\ndef area(c: Circle):\n    return"


def start(
    tmp_path: Path, *, env: dict[str, str] | None = None, command=SERVER_COMMAND, **options
) -> tuple[RawServer, Path]:
    """An initialized server over the small workspace, its model load settled."""
    root = tmp_path / "ws" if (tmp_path / "ws").is_dir() else write_workspace(tmp_path)[0]
    server = RawServer(
        env={**server_env(tmp_path), **(env or {})}, command=command, stderr_path=tmp_path / "server.log"
    )
    server.call("initialize", initialize_params(root, **options), timeout=60)
    server.notify("initialized", {})
    wait_ready(server)
    return server, root


def status(server: RawServer) -> dict:
    return server.call("workspace/executeCommand", {"command": "iquest.status"})["result"]


def wait_index(server: RawServer, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while (current := status(server))["index"]["state"] not in (
        "ready",
        "failed",
        "off",
    ) and time.monotonic() < deadline:
        time.sleep(0.1)
    return current


def complete(server: RawServer, root: Path, name: str = "use.py", text: str = CODE) -> dict:
    """Open a document and ask for ghost text at its end; the JSON-RPC response."""
    uri = (root / name).as_uri()
    server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
    )
    lines = text.split("\n")
    params = {
        "textDocument": {"uri": uri},
        "position": {"line": len(lines) - 1, "character": len(lines[-1])},
        "context": {"triggerKind": 1},
    }
    return server.call("textDocument/inlineCompletion", params, timeout=120)


def shown(server: RawServer, wait_s: float = 2.0) -> list[str]:
    """window/showMessage texts so far (after a moment for late ones)."""
    time.sleep(wait_s)
    return [m["params"]["message"] for m in server.messages("window/showMessage")]


# -- models -------------------------------------------------------------------------------------


def _damaged_copy(models: Path, how: str) -> Path:
    source = model_file(load_catalog().get(SMOLLM))
    target = models / source.name
    models.mkdir()
    if how == "truncated":
        with open(source, "rb") as src, open(target, "wb") as dst:
            dst.write(src.read(source.stat().st_size // 2))
    else:  # same size, one byte different: only the sha256 can tell
        shutil.copyfile(source, target)
        with open(target, "r+b") as handle:
            handle.seek(source.stat().st_size // 2)
            byte = handle.read(1)
            handle.seek(-1, os.SEEK_CUR)
            handle.write(bytes([byte[0] ^ 0xFF]))
    return target


@pytest.mark.parametrize("how", ["truncated", "wrong-sha256"])
def test_a_damaged_catalog_model_is_refused_once_with_the_fetch_command(tmp_path, how):
    require_model(SMOLLM)
    models = tmp_path / "models"
    damaged = _damaged_copy(models, how)
    size = damaged.stat().st_size
    server, root = start(tmp_path, env={"IQUEST_MODEL_DIR": str(models)}, model=SMOLLM)
    try:
        assert status(server)["state"] == "failed"
        assert complete(server, root)["result"] == {"items": []}  # the server answers, with nothing
        assert complete(server, root, "other.py")["result"] == {"items": []}
        messages = shown(server)
        assert len(messages) == 1, messages
        assert (
            "does not match the catalog's sha256" in messages[0] and f"iquest-lsp model fetch {SMOLLM}" in messages[0]
        )
    finally:
        assert server.close() == 0
    assert sorted(p.name for p in models.iterdir()) == [damaged.name]  # no stamp, no .part, nothing else
    assert damaged.stat().st_size == size  # and the file was not touched


def test_a_truncated_local_gguf_is_reported_with_its_name(tmp_path):
    require_model(SMOLLM)
    source = model_file(load_catalog().get(SMOLLM))
    truncated = tmp_path / "mine.gguf"
    with open(source, "rb") as src, open(truncated, "wb") as dst:
        dst.write(src.read(20_000_000))  # the header parses, the tensors are cut off
    server, root = start(tmp_path, model=str(truncated))
    try:
        assert status(server)["state"] == "failed"
        assert complete(server, root)["result"] == {"items": []}
        messages = shown(server)
        assert len(messages) == 1 and "mine.gguf" in messages[0] and "could not load" in messages[0], messages
    finally:
        assert server.close() == 0


# -- the summary cache --------------------------------------------------------------------------


def _context_reaches_the_prompt(tmp_path: Path, server: RawServer, root: Path) -> None:
    """The index works without its cache: Circle's definition from pkg/shapes.py is in the prompt."""
    assert "result" in complete(server, root)
    prompts = [json.loads(line)["prompt"] for line in (tmp_path / "prompts.jsonl").read_text().splitlines()]
    assert any("class Circle" in prompt for prompt in prompts), prompts


def test_an_unwritable_cache_directory_is_reported_once_and_indexing_goes_on(tmp_path):
    require_model(SMOLLM)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be\n")
    env = {"IQUEST_CACHE_DIR": str(blocker / "cache"), "IQUEST_PROMPT_LOG": str(tmp_path / "prompts.jsonl")}
    server, root = start(tmp_path, env=env)
    try:
        index = wait_index(server)["index"]
        assert index["state"] == "ready" and index["files"] == 3, index
        _context_reaches_the_prompt(tmp_path, server, root)
        messages = shown(server)
        assert len([m for m in messages if "summary cache" in m]) == 1, messages
    finally:
        assert server.close() == 0


def test_garbage_in_the_cache_files_is_reported_once_and_the_index_rebuilt(tmp_path):
    require_model(SMOLLM)
    env = {"IQUEST_PROMPT_LOG": str(tmp_path / "prompts.jsonl")}
    first, root = start(tmp_path, env=env)
    assert wait_index(first)["index"]["parsed"] == 3
    assert first.close() == 0
    cache_files = [p for p in (tmp_path / "cache" / "index").rglob("*") if p.is_file()]
    assert cache_files
    for path in cache_files:
        path.write_bytes(os.urandom(4096))
    server, _ = start(tmp_path, env=env)
    try:
        index = wait_index(server)["index"]
        assert index["state"] == "ready" and index["files"] == 3 and index["fromCache"] == 0, index
        _context_reaches_the_prompt(tmp_path, server, root)
        messages = shown(server)
        assert len([m for m in messages if "summary cache" in m]) == 1, messages
    finally:
        assert server.close() == 0


# -- the file watcher ---------------------------------------------------------------------------


def test_a_watcher_that_cannot_start_leaves_an_index_that_works(tmp_path, monkeypatch):
    from watchdog.observers import Observer

    def refuse(*args, **kwargs):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(Observer, "schedule", refuse)
    root, _ = write_workspace(tmp_path)
    context = WorkspaceContext([root], FilePolicy(), None)
    try:
        warnings = context.start()
        assert len(warnings) == 1 and "file watching is off" in warnings[0] and "max_user_watches" in warnings[0]
        assert context.status()["state"] == "ready" and context.status()["watching"] is False
        assert context.index.definitions("Circle")
    finally:
        context.stop()


def _unshare_works(*args: str) -> bool:
    try:
        return subprocess.run(["unshare", *args, "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not _unshare_works("-Ur"), reason="needs user namespaces (unshare -Ur)")
def test_a_real_inotify_watch_limit_gives_one_message_and_completions_go_on(tmp_path):
    require_model(SMOLLM)
    # In its own user namespace the server gets a limit of 1 watch (the workspace has 2 folders);
    # the machine's limit is untouched.
    command = [
        "unshare",
        "-Ur",
        "sh",
        "-c",
        'echo 1 > /proc/sys/user/max_inotify_watches && exec "$@"',
        "sh",
        *SERVER_COMMAND,
    ]
    server, root = start(tmp_path, command=command)
    try:
        index = wait_index(server)["index"]
        assert index["state"] == "ready" and index["watching"] is False, index
        assert "result" in complete(server, root)
        messages = shown(server)
        assert len(messages) == 1 and "inotify watch limit" in messages[0] and "max_user_watches" in messages[0], (
            messages
        )
    finally:
        assert server.close() == 0


# -- the audit log on a full disk ---------------------------------------------------------------


def _completions_until(server: RawServer, root: Path, done, limit: int = 40) -> int:
    """Ask for ghost text in fresh documents until ``done()``; returns how many were answered."""
    for number in range(limit):
        text = f'def function_{number}(values):\n    """Sum of the values."""\n    return'
        assert "result" in complete(server, root, f"f{number}.py", text)
        if done():
            return number + 1
    return limit


def test_an_audit_log_on_a_full_device_is_reported_once_and_suggestions_go_on(tmp_path):
    require_model(SMOLLM)
    server, root = start(tmp_path, auditLog=True, auditLogPath="/dev/full")
    try:
        answered = _completions_until(server, root, lambda: False, limit=4)
        assert answered == 4
        messages = shown(server)
        assert len(messages) == 1 and "audit log" in messages[0] and "/dev/full" in messages[0], messages
    finally:
        assert server.close() == 0


@pytest.mark.skipif(not _unshare_works("-Urm"), reason="needs user and mount namespaces (unshare -Urm)")
def test_an_audit_log_on_a_filling_disk_never_keeps_half_a_line(tmp_path):
    require_model(SMOLLM)
    disk = tmp_path / "disk"
    disk.mkdir()
    # A 16 KiB tmpfs private to the server's namespaces: three pages hold a filler, the fourth the log,
    # already 3,800 bytes long, so one of the next lines crosses into a page the disk does not have.
    setup = (
        'mount -t tmpfs -o size=16k tmpfs "$1" && head -c 12288 /dev/zero > "$1/filler" && '
        'printf \'{"kind": "inline_completion", "pad": "%s"}\\n\' '
        '"$(head -c 3760 /dev/zero | tr "\\0" x)" > "$1/audit.jsonl" && '
        'shift && exec "$@"'
    )
    command = ["unshare", "-Urm", "sh", "-c", setup, "sh", str(disk), *SERVER_COMMAND]
    server, root = start(tmp_path, command=command, auditLog=True, auditLogPath=str(disk / "audit.jsonl"))
    try:
        log = Path(f"/proc/{server.process.pid}/root") / str(disk).lstrip("/") / "audit.jsonl"
        _completions_until(server, root, lambda: bool(server.messages("window/showMessage")))
        messages = shown(server)
        assert len(messages) == 1 and "audit log" in messages[0], messages
        data = log.read_bytes()
        assert data.endswith(b"\n")
        entries = [json.loads(line) for line in data.splitlines()]  # every line whole
        assert entries and all(entry["kind"] == "inline_completion" for entry in entries)
        assert "result" in complete(server, root, "after.py")  # and the server goes on
    finally:
        assert server.close() == 0


# -- the client goes away -----------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("how", ["pipes closed", "client killed"])
def test_the_server_exits_when_its_client_disappears_mid_request(tmp_path, how):
    require_model(SMOLLM)
    if how == "pipes closed":
        server, root = start(tmp_path, maxTokens=64)
        process = server.process
    else:
        # A client process that starts the server, asks for a completion and is killed mid-request.
        root, _ = write_workspace(tmp_path)
        fuzz_dir = str(Path(__file__).parents[1] / "fuzz")
        env = server_env(tmp_path)
        root_dir = str(root)
        use_uri = (root / "use.py").as_uri()
        script = (
            f"import sys, time; sys.path.insert(0, {fuzz_dir!r})\n"
            "from harness import initialize_params, wait_ready\nfrom rpc import RawServer\n"
            f"s = RawServer(env={env!r})\n"
            f"s.call('initialize', initialize_params(__import__('pathlib').Path({root_dir!r}), maxTokens=64))\n"
            "s.notify('initialized', {}); wait_ready(s)\nprint(s.process.pid, flush=True)\n"
            "s.notify('textDocument/didOpen', "
            f"{{'textDocument': {{'uri': {use_uri!r}, 'languageId': 'python', 'version': 1, 'text': {CODE!r}}}}})\n"
            "s.request('textDocument/inlineCompletion', "
            f"{{'textDocument': {{'uri': {use_uri!r}}}, 'position': {{'line': 4, 'character': 10}}, "
            "'context': {'triggerKind': 1}})\n"
            "time.sleep(600)\n"
        )
        client = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        pid = int(client.stdout.readline())
    if how == "pipes closed":
        uri = (root / "use.py").as_uri()
        server.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": CODE}}
        )
        server.request(
            "textDocument/inlineCompletion",
            {"textDocument": {"uri": uri}, "position": {"line": 4, "character": 10}, "context": {"triggerKind": 1}},
        )
        process.stdin.close()
        process.stdout.close()
        try:
            assert process.wait(timeout=30) in (0, 1)
        finally:
            if process.poll() is None:
                process.kill()
        return
    time.sleep(0.2)  # the request is in flight
    client.send_signal(signal.SIGKILL)
    client.wait()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        status_line = next(
            (line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State:")), ""
        )
        if "Z" in status_line.split(":")[1]:
            break  # exited; a zombie until init reaps it
        time.sleep(0.2)
    alive = Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/status").read_text().split("State:")[1][:4]
    if alive:
        spent = _cpu_seconds(pid)
        time.sleep(2)
        busy = _cpu_seconds(pid) - spent
        os.kill(pid, signal.SIGKILL)
        pytest.fail(f"the server outlived its client by 30 s (using {busy:.1f} s of CPU in 2 s)")
