"""The verify sandbox: a test run cannot reach a local TCP server (without the sandbox it can), the original is
read-only, CPU and memory are limited and secrets in the environment do not pass."""

import asyncio
import sys

import pytest

from lsp_server.actions import sandbox as sandbox_module
from lsp_server.actions.sandbox import Sandbox, probe, scrubbed_env
from lsp_server.actions.verify import run_tests

CONNECT = (
    f'{sys.executable} -c "import socket, sys; s = socket.socket(); s.settimeout(3); '
    "r = s.connect_ex(('127.0.0.1', int(sys.argv[1]))); print('connected' if r == 0 else f'refused {r}')\" "
)
# The test's own servers on the loopback still work inside the sandbox.
LOOPBACK = (
    f"{sys.executable} -c \"import socket; a = socket.socket(); a.bind(('127.0.0.1', 0)); a.listen(); "
    "b = socket.create_connection(a.getsockname(), timeout=3); print('own loopback ok')\""
)

needs_netns = pytest.mark.skipif(not probe().network, reason=f"no network namespace here: {probe().note}")


@pytest.fixture
async def local_server():
    """A TCP server on 127.0.0.1 of the host's network namespace; its port."""
    connections = []

    async def accept(reader, writer):
        connections.append(writer)
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1], connections
    server.close()
    await server.wait_closed()


@needs_netns
async def test_the_sandboxed_run_cannot_reach_a_local_server_but_an_unconfined_one_can(workspace, local_server):
    port, connections = local_server
    unconfined = await run_tests(workspace, [], CONNECT + str(port), timeout_s=30, confine=False)
    assert unconfined.passed and unconfined.output.strip() == "connected" and unconfined.sandbox == ""
    await asyncio.sleep(0.1)
    assert len(connections) == 1  # the server really was reachable from a plain run
    confined = await run_tests(workspace, [], CONNECT + str(port), timeout_s=30)
    assert confined.passed and confined.output.strip().startswith("refused"), confined.output
    assert len(connections) == 1
    assert confined.sandbox.startswith("sandbox: no network")
    own = await run_tests(workspace, [], LOOPBACK, timeout_s=30)
    assert own.output.strip() == "own loopback ok", own.output


async def test_secrets_in_the_environment_do_not_pass(workspace, monkeypatch):
    monkeypatch.setenv("IQUEST_API_KEY", "s3cret-value")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-value")
    monkeypatch.setenv("GITHUB_TOKEN", "gh-value")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    run = await run_tests(workspace, [], "env", timeout_s=30)
    assert "s3cret-value" not in run.output and "aws-value" not in run.output and "gh-value" not in run.output
    assert "PATH=" in run.output and "LC_ALL=C.UTF-8" in run.output
    assert scrubbed_env({"HOME": "/h", "TOKEN": "x", "PATH": "/bin", "MY_PASSWORD": "p"}) == {
        "HOME": "/h",
        "PATH": "/bin",
    }


async def test_cpu_and_memory_are_limited(workspace):
    show = "import resource as r; print(r.getrlimit(r.RLIMIT_CPU)[0], r.getrlimit(r.RLIMIT_DATA)[0])"
    limits = f'{sys.executable} -c "{show}"'
    run = await run_tests(workspace, [], limits, timeout_s=30, memory_mb=512)
    assert run.output.split() == ["61", str(512 * 2**20)]
    hog = f"{sys.executable} -c \"b = bytearray(2 * 2**30); print('allocated')\""
    starved = await run_tests(workspace, [], hog, timeout_s=30, memory_mb=256)
    assert not starved.passed and "MemoryError" in starved.output


async def test_the_original_workspace_is_read_only_and_the_copy_writable(workspace):
    jail = probe()
    if not jail.read_only:
        pytest.skip(jail.note)
    target = workspace / "shop" / "pricing.py"
    before = target.read_text()
    run = await run_tests(workspace, [], f"echo x >> {target}; echo y >> shop/pricing.py && echo copied", timeout_s=30)
    assert "Read-only file system" in run.output and "copied" in run.output
    assert target.read_text() == before


async def test_without_namespaces_the_result_says_the_network_is_reachable(workspace, monkeypatch):
    monkeypatch.setattr(sandbox_module.shutil, "which", lambda name: None)
    jail = sandbox_module.probe.__wrapped__()
    assert not jail.network and "unshare" in jail.note
    run = await run_tests(workspace, [], "echo ran", timeout_s=30, sandbox=jail)
    assert run.passed and "NETWORK REACHABLE" in run.sandbox and "unshare" in run.sandbox
    none = Sandbox((), False, False, "no namespaces")
    assert (
        none.describe()
        == "sandbox: NETWORK REACHABLE, original writable, CPU and memory limits, environment scrubbed (no namespaces)"
    )  # noqa: E501
