"""Build llama.cpp's llama-server once, from the llama.cpp that llama-cpp-python vendors, and cache it.

The remote-backend tests and the latency benchmark run the same llama.cpp as our in-process
backend. The binary lands in ~/.cache/iquest-lsp/llama-server/bin/llama-server (or
$IQUEST_LLAMA_SERVER_HOME); a second call, or one racing it from another process, finds it there.
Building takes several minutes on 2 cores and needs cmake and a C++ compiler.

    python scripts/llama_server_build.py        # prints the binary's path, building it if needed
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

LLAMA_CPP_PYTHON = "0.3.36"
LLAMA_SERVER_HOME = Path(
    os.environ.get("IQUEST_LLAMA_SERVER_HOME", Path.home() / ".cache" / "iquest-lsp" / "llama-server")
)
PYPI_SIMPLE = "https://pypi.org/simple/{name}/"


def cached_binary() -> Path:
    """Where the built binary lives."""
    return LLAMA_SERVER_HOME / "bin" / "llama-server"


def _stamp() -> Path:
    return LLAMA_SERVER_HOME / "bin" / "llama-server.version"


def _is_current(target: Path) -> bool:
    """A binary is current when its stamp names our llama-cpp-python (an unstamped one predates stamps)."""
    if not target.is_file():
        return False
    return not _stamp().is_file() or _stamp().read_text().strip() == LLAMA_CPP_PYTHON


def pick_sdist(index: dict[str, Any], filename: str) -> tuple[str, str]:
    """(url, sha256) of ``filename`` in a PEP 691 JSON simple index page."""
    for entry in index.get("files", []):
        if entry.get("filename") == filename:
            digest = entry.get("hashes", {}).get("sha256")
            if not digest:
                raise SystemExit(f"{filename} has no sha256 on the index")
            return entry["url"], digest
    raise SystemExit(f"{filename} is not on the package index")


def _cmake() -> str:
    found = shutil.which("cmake") or shutil.which("cmake", path=str(Path(sys.executable).parent))
    if not found:
        raise SystemExit("building llama-server needs cmake: `apt-get install cmake` or `pip install cmake`")
    return found


def build_llama_server() -> Path:
    """Build llama-server from the llama-cpp-python sdist's vendored llama.cpp into the cache."""
    target = cached_binary()
    filename = f"llama_cpp_python-{LLAMA_CPP_PYTHON}.tar.gz"
    request = urllib.request.Request(
        PYPI_SIMPLE.format(name="llama-cpp-python"), headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        url, sha256 = pick_sdist(json.load(answer), filename)
    LLAMA_SERVER_HOME.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=LLAMA_SERVER_HOME) as work:
        archive = Path(work) / filename
        print(f"downloading {url}", file=sys.stderr, flush=True)
        digest = hashlib.sha256()
        with urllib.request.urlopen(url, timeout=300) as answer, archive.open("wb") as out:
            while block := answer.read(1 << 20):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != sha256:
            raise SystemExit(f"{filename}: sha256 {digest.hexdigest()} != {sha256} from the index")
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data")
        source = Path(work) / f"llama_cpp_python-{LLAMA_CPP_PYTHON}"
        build = Path(work) / "build"
        print(f"building llama-server (several minutes on 2 cores); log: {build}.log", file=sys.stderr, flush=True)
        cmake = _cmake()
        with open(f"{build}.log", "w") as log:
            for step in (
                [
                    cmake,
                    "-S",
                    str(source / "vendor" / "llama.cpp"),
                    "-B",
                    str(build),
                    "-DCMAKE_BUILD_TYPE=Release",
                    "-DLLAMA_CURL=OFF",
                    "-DLLAMA_BUILD_TESTS=OFF",
                    "-DLLAMA_BUILD_EXAMPLES=OFF",
                    "-DLLAMA_BUILD_SERVER=ON",
                    "-DBUILD_SHARED_LIBS=OFF",
                ],
                [cmake, "--build", str(build), "--target", "llama-server", f"-j{os.cpu_count() or 2}"],
            ):
                if subprocess.run(step, stdout=log, stderr=subprocess.STDOUT).returncode != 0:
                    shutil.copy(f"{build}.log", LLAMA_SERVER_HOME / "build.log")
                    raise SystemExit(f"llama-server build failed: see {LLAMA_SERVER_HOME / 'build.log'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        shutil.copy2(build / "bin" / "llama-server", partial)
        partial.replace(target)  # atomic: a reader never sees half a binary
        _stamp().write_text(LLAMA_CPP_PYTHON + "\n")
    return target


def ensure_llama_server() -> Path:
    """The cached binary, built first if it is missing; concurrent callers build it once."""
    target = cached_binary()
    if _is_current(target):
        return target
    LLAMA_SERVER_HOME.mkdir(parents=True, exist_ok=True)
    with open(LLAMA_SERVER_HOME / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return target if _is_current(target) else build_llama_server()


def llama_server_binary(explicit: str | None = None) -> Path:
    """``explicit`` or $IQUEST_LLAMA_SERVER when given, else the cached build."""
    chosen = explicit or os.environ.get("IQUEST_LLAMA_SERVER")
    if chosen:
        return Path(chosen).expanduser()
    return ensure_llama_server()


if __name__ == "__main__":
    print(llama_server_binary())
