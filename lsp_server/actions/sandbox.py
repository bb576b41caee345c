"""The sandbox of a self-verification test run: no network, the original read-only, rlimits, a scrubbed environment.

Linux user and network namespaces via util-linux ``unshare`` (no root needed where the kernel allows
unprivileged user namespaces). What this system allows is probed once; what it does not is said in
the run's result (``Sandbox.note``), never silently assumed.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Environment variables the test command sees (values from the server's environment); nothing else passes,
# so API keys, tokens and cloud credentials in the server's environment stay out of the run.
ALLOWED_ENV = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TERM",
    "TZ",
    "TMPDIR",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "JAVA_HOME",
    "GOROOT",
    "GOPATH",
    "GOCACHE",
    "GOMODCACHE",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "NODE_PATH",
    "NVM_DIR",
    "PYTHONPATH",
    "PYTHONDONTWRITEBYTECODE",
    "CC",
    "CXX",
)
_ALLOWED_PATTERNS = re.compile(r"LC_[A-Z_]+")
_SECRET_NAME = re.compile(r"(?i)(secret|token|passw|api_?key|credential|private)")
_PROBE_TIMEOUT_S = 10.0

# Run inside the namespaces: bring up the loopback (the test's own local servers work, nothing outside
# is reachable), make the original workspace read-only, set the rlimits, then exec the command.
_WRAPPER = r"""
import fcntl, os, resource, socket, struct, subprocess, sys
cpu, data, fsize, readonly, net, command = sys.argv[1:7]
if net == "1":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH", b"lo", 0)))[1]
    fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", flags | 1))
    s.close()
if readonly:
    subprocess.run(["mount", "--bind", readonly, readonly], check=True, stderr=subprocess.DEVNULL)
    subprocess.run(["mount", "-o", "remount,bind,ro", readonly], check=True, stderr=subprocess.DEVNULL)
for limit, value, grace in ((resource.RLIMIT_CPU, int(cpu), 5), (resource.RLIMIT_DATA, int(data), 0),
                            (resource.RLIMIT_FSIZE, int(fsize), 0), (resource.RLIMIT_CORE, 0, 0)):
    hard = resource.getrlimit(limit)[1]
    cap = lambda v: v if hard == resource.RLIM_INFINITY else min(v, hard)
    resource.setrlimit(limit, (cap(value), cap(value + grace)))
os.execv("/bin/sh", ["/bin/sh", "-c", command])
"""

_CANDIDATES: tuple[tuple[tuple[str, ...], bool], ...] = (
    (("--user", "--map-current-user", "--net", "--mount"), True),
    (("--user", "--map-root-user", "--net", "--mount"), True),
    (("--net", "--mount"), True),
    (("--user", "--map-current-user", "--net"), False),
    (("--user", "--map-root-user", "--net"), False),
    (("--net",), False),
)


@dataclass(frozen=True)
class Sandbox:
    """How test runs are confined on this system."""

    unshare: tuple[str, ...]  # the unshare command line prefix, () when none works
    network: bool  # a network namespace of its own: nothing outside the run is reachable
    read_only: bool  # the original workspace is mounted read-only for the run
    note: str  # what is not confined and why ('' when all is)

    def describe(self) -> str:
        """One line for the result: what confined the run."""
        parts = ["no network" if self.network else "NETWORK REACHABLE"]
        parts.append("original read-only" if self.read_only else "original writable")
        parts.append("CPU and memory limits, environment scrubbed")
        text = "sandbox: " + ", ".join(parts)
        return f"{text} ({self.note})" if self.note else text


def _try(prefix: Sequence[str], read_only: bool, scratch: Path) -> bool:
    command = [*prefix, "--", sys.executable, "-I", "-S", "-c", _WRAPPER, "60", str(2**30), str(2**30)]
    command += [str(scratch) if read_only else "", "1", "exit 0"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=_PROBE_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@functools.cache
def probe() -> Sandbox:
    """What this system allows (probed once per process)."""
    unshare = shutil.which("unshare")
    if unshare is None or not sys.platform.startswith("linux"):
        return Sandbox(
            (), False, False, "`unshare` (util-linux) is not available here, so the test run can use the network"
        )
    scratch = Path(tempfile.mkdtemp(prefix="iquest-sandbox-probe-"))
    try:
        for flags, read_only in _CANDIDATES:
            if _try((unshare, *flags), read_only, scratch):
                note = "" if read_only else "mount namespaces are not allowed here, so the original stays writable"
                return Sandbox((unshare, *flags), True, read_only, note)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Sandbox(
        (),
        False,
        False,
        "this system does not allow unprivileged network namespaces (e.g. kernel.unprivileged_userns_clone=0 "
        "or an AppArmor restriction), so the test run can use the network",
    )


def scrubbed_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The allow-listed variables, less any whose name looks like a secret."""
    return {
        name: value
        for name, value in environ.items()
        if (name in ALLOWED_ENV or _ALLOWED_PATTERNS.fullmatch(name)) and not _SECRET_NAME.search(name)
    }


def sandboxed_command(
    command: str, original: Path, *, cpu_seconds: int, memory_bytes: int, file_bytes: int, sandbox: Sandbox
) -> list[str]:
    """The argv that runs ``command`` with /bin/sh -c inside the sandbox."""
    read_only = str(original) if sandbox.read_only else ""
    wrapped = [sys.executable, "-I", "-S", "-c", _WRAPPER, str(cpu_seconds), str(memory_bytes), str(file_bytes)]
    wrapped += [read_only, "1" if sandbox.network else "0", command]
    return [*sandbox.unshare, "--", *wrapped] if sandbox.unshare else wrapped


def confined_env() -> dict[str, str]:
    """The test run's environment: the allow-list of the server's."""
    return scrubbed_env(os.environ)
