"""The pinned mmap threshold: after a big free, a 1 MiB block still comes from mmap, not the heap."""

import subprocess
import sys

import pytest

from lsp_server.heap import pin_mmap_threshold

# Run in a fresh interpreter: mallopt changes the whole process.
_PROBE = """
import ctypes, sys
from lsp_server.heap import pin_mmap_threshold

class MallInfo2(ctypes.Structure):
    _names = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
    _fields_ = [(name, ctypes.c_size_t) for name in _names.split()]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "pinned":
    assert pin_mmap_threshold()
libc.free(libc.malloc(8 << 20))  # glibc now raises its threshold to 8 MiB, unless it is pinned
before = libc.mallinfo2().hblks
block = libc.malloc(1 << 20)
print(libc.mallinfo2().hblks - before)
libc.free(block)
"""


def _mmapped_blocks(mode: str) -> int:
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, env=env, check=True)
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_a_big_block_after_a_big_free_is_still_mmapped_when_pinned():
    assert _mmapped_blocks("default") == 0  # what the soak suffered from
    assert _mmapped_blocks("pinned") == 1


def test_the_environment_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert pin_mmap_threshold() is False
