"""A minimal GGUF header reader: metadata only, tensors are never read."""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)

# value type -> struct format of a fixed-size scalar
_SCALARS: dict[int, str] = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i",
    6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d",
}  # fmt: skip
_STRING = 8
_ARRAY = 9
_MAX_ARRAY_DEPTH = 8


class GGUFError(ValueError):
    """Raised when a file is not a readable GGUF file."""


class ArrayLen(int):
    """Stands in for an array value in GGUFInfo.metadata: the element count, contents skipped."""

    def __repr__(self) -> str:
        return f"ArrayLen({int(self)})"


@dataclass(frozen=True)
class GGUFInfo:
    """What the GGUF header says; array values in ``metadata`` are ArrayLen (an int)."""

    version: int
    architecture: str | None
    name: str | None
    context_length: int | None
    metadata: dict[str, object]


class _Cursor:
    """Bounds-checked little-endian reads over a mapped file."""

    def __init__(self, buf: mmap.mmap, path: Path) -> None:
        self.buf = buf
        self.pos = 0
        self.path = path

    def need(self, n: int) -> None:
        # Every length comes from the file, so a corrupt one can claim petabytes:
        # checking it against the file size turns that into GGUFError, not MemoryError.
        if n < 0 or self.pos + n > len(self.buf):
            raise GGUFError(f"{self.path}: truncated GGUF header at byte {self.pos}")

    def unpack(self, fmt: str) -> object:
        size = struct.calcsize(fmt)
        self.need(size)
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return value

    def u32(self) -> int:
        return self.unpack("<I")  # type: ignore[return-value]

    def u64(self) -> int:
        return self.unpack("<Q")  # type: ignore[return-value]

    def string(self) -> str:
        n = self.u64()
        self.need(n)
        raw = self.buf[self.pos : self.pos + n]
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def value(self, vtype: int) -> object:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            return self.skip_array()
        raise GGUFError(f"{self.path}: unknown GGUF value type {vtype} at byte {self.pos - 4}")

    def skip_array(self, depth: int = 0) -> ArrayLen:
        etype = self.u32()
        count = self.u64()
        if etype in _SCALARS:
            self.need(count * struct.calcsize(_SCALARS[etype]))
            self.pos += count * struct.calcsize(_SCALARS[etype])
        elif etype == _STRING:
            self.need(count * 8)  # each element has at least its length prefix
            # Hot loop (150k+ tokens in real files): inline reads, one bounds check per element.
            buf, pos, end = self.buf, self.pos, len(self.buf)
            for _ in range(count):
                if pos + 8 > end:
                    break
                pos += 8 + struct.unpack_from("<Q", buf, pos)[0]
            else:
                if pos <= end:
                    self.pos = pos
                    return ArrayLen(count)
            raise GGUFError(f"{self.path}: truncated GGUF header in an array at byte {self.pos}")
        elif etype == _ARRAY:
            if depth >= _MAX_ARRAY_DEPTH:
                raise GGUFError(f"{self.path}: GGUF arrays nested too deeply at byte {self.pos}")
            self.need(count * 12)  # each nested array has at least type + count
            for _ in range(count):
                self.skip_array(depth + 1)
        else:
            raise GGUFError(f"{self.path}: unknown GGUF array element type {etype}")
        return ArrayLen(count)


def read_gguf_info(path: str | os.PathLike[str]) -> GGUFInfo:
    """Read the GGUF header of ``path``; raise GGUFError if it is not a valid GGUF file."""
    path = Path(path)
    with path.open("rb") as f:
        if os.fstat(f.fileno()).st_size < len(MAGIC) or f.read(len(MAGIC)) != MAGIC:
            raise GGUFError(f"{path}: not a GGUF file (bad magic)")
        # mmap pages in only what the header walk touches, however large the file is.
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return _parse(_Cursor(buf, path))


def _parse(cur: _Cursor) -> GGUFInfo:
    cur.pos = len(MAGIC)
    version = cur.u32()
    if version not in SUPPORTED_VERSIONS:
        swapped = int.from_bytes(version.to_bytes(4, "little"), "big")
        hint = " (big-endian file, not supported)" if swapped in SUPPORTED_VERSIONS else ""
        raise GGUFError(f"{cur.path}: unsupported GGUF version {version}{hint}")
    cur.u64()  # tensor count: not needed
    kv_count = cur.u64()
    cur.need(kv_count * 13)  # smallest pair: empty key (8) + type (4) + one-byte value
    metadata: dict[str, object] = {}
    for _ in range(kv_count):
        key = cur.string()
        metadata[key] = cur.value(cur.u32())

    arch = metadata.get("general.architecture")
    architecture = arch if isinstance(arch, str) else None
    name = metadata.get("general.name")
    ctx = metadata.get(f"{architecture}.context_length") if architecture else None
    context_length = ctx if isinstance(ctx, int) and not isinstance(ctx, (bool, ArrayLen)) else None
    return GGUFInfo(
        version=version,
        architecture=architecture,
        name=name if isinstance(name, str) else None,
        context_length=context_length,
        metadata=metadata,
    )
