"""Tests for lsp_server.model.gguf, on tiny GGUF files built with struct."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from lsp_server.model.gguf import ArrayLen, GGUFError, read_gguf_info

U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)


def gstr(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def kv(key: str, vtype: int, payload: bytes) -> bytes:
    return gstr(key) + struct.pack("<I", vtype) + payload


def header(pairs: list[bytes], version: int = 3, tensors: int = 7) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, tensors, len(pairs)) + b"".join(pairs)


def sample_pairs() -> list[bytes]:
    tokens = ["<|fim_prefix|>", "", "a", "héllo" * 40, "z"]
    return [
        kv("general.architecture", STRING, gstr("qwen2")),
        kv("general.name", STRING, gstr("Tiny Qwen")),
        kv("qwen2.context_length", U32, struct.pack("<I", 32768)),
        kv("t.u8", U8, struct.pack("<B", 200)),
        kv("t.i8", I8, struct.pack("<b", -5)),
        kv("t.u16", U16, struct.pack("<H", 60000)),
        kv("t.i16", I16, struct.pack("<h", -300)),
        kv("t.i32", I32, struct.pack("<i", -70000)),
        kv("t.f32", F32, struct.pack("<f", 0.5)),
        kv("t.bool", BOOL, struct.pack("<?", True)),
        kv("t.u64", U64, struct.pack("<Q", 2**40)),
        kv("t.i64", I64, struct.pack("<q", -(2**40))),
        kv("t.f64", F64, struct.pack("<d", 1e-6)),
        kv(
            "tokenizer.ggml.tokens",
            ARRAY,
            struct.pack("<IQ", STRING, len(tokens)) + b"".join(gstr(t) for t in tokens),
        ),
        kv("tokenizer.ggml.token_type", ARRAY, struct.pack("<IQ3i", I32, 3, 1, 2, 3)),
        kv(
            "t.nested",
            ARRAY,
            struct.pack("<IQ", ARRAY, 2)
            + struct.pack("<IQ", U16, 2) + struct.pack("<2H", 1, 2)
            + struct.pack("<IQ", STRING, 1) + gstr("x"),
        ),
        # A key after the arrays proves they were skipped by exactly the right length.
        kv("general.after_arrays", STRING, gstr("still in sync")),
    ]  # fmt: skip


def write(tmp_path: Path, data: bytes, name: str = "m.gguf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_reads_header_fields_and_metadata(tmp_path: Path) -> None:
    # Tensor data after the header must not matter.
    path = write(tmp_path, header(sample_pairs()) + b"\xff" * 4096)
    info = read_gguf_info(path)
    assert info.version == 3
    assert info.architecture == "qwen2"
    assert info.name == "Tiny Qwen"
    assert info.context_length == 32768
    md = info.metadata
    assert md["t.u8"] == 200 and md["t.i8"] == -5
    assert md["t.u16"] == 60000 and md["t.i16"] == -300
    assert md["t.i32"] == -70000 and md["t.f32"] == 0.5
    assert md["t.bool"] is True
    assert md["t.u64"] == 2**40 and md["t.i64"] == -(2**40)
    assert md["t.f64"] == pytest.approx(1e-6)
    assert md["general.after_arrays"] == "still in sync"


def test_arrays_are_recorded_as_their_length(tmp_path: Path) -> None:
    info = read_gguf_info(write(tmp_path, header(sample_pairs())))
    tokens = info.metadata["tokenizer.ggml.tokens"]
    assert isinstance(tokens, ArrayLen) and tokens == 5
    assert info.metadata["tokenizer.ggml.token_type"] == ArrayLen(3)
    assert info.metadata["t.nested"] == 2
    assert repr(tokens) == "ArrayLen(5)"


def test_version_2_is_accepted_and_missing_fields_are_none(tmp_path: Path) -> None:
    pairs = [kv("general.architecture", STRING, gstr("llama"))]
    info = read_gguf_info(write(tmp_path, header(pairs, version=2)))
    assert info.version == 2
    assert info.architecture == "llama"
    assert info.name is None and info.context_length is None


def test_not_a_gguf_file(tmp_path: Path) -> None:
    for i, data in enumerate([b"", b"GG", b"<!DOCTYPE html><html>", b"GGML" + b"\0" * 40]):
        with pytest.raises(GGUFError, match="not a GGUF file"):
            read_gguf_info(write(tmp_path, data, f"bad{i}.gguf"))


@pytest.mark.parametrize("version", [1, 4, 0x03000000])
def test_unsupported_version(tmp_path: Path, version: int) -> None:
    with pytest.raises(GGUFError, match=f"unsupported GGUF version {version}"):
        read_gguf_info(write(tmp_path, header(sample_pairs(), version=version)))


def test_every_truncation_of_the_header_is_reported(tmp_path: Path) -> None:
    data = header(sample_pairs())
    path = tmp_path / "cut.gguf"
    # Every cut through the fixed fields and first pairs, then a sample up to the last byte.
    cuts = sorted({*range(4, 120), *range(120, len(data), 7), len(data) - 1})
    for cut in cuts:
        path.write_bytes(data[:cut])
        with pytest.raises(GGUFError, match="truncated"):
            read_gguf_info(path)


@pytest.mark.parametrize(
    "pairs",
    [
        # A string claiming 2**63 bytes.
        [struct.pack("<Q", 2**63) + b"general.architecture"],
        # An array of 2**62 u64s, and one of 2**61 strings.
        [kv("a", ARRAY, struct.pack("<IQ", U64, 2**62))],
        [kv("a", ARRAY, struct.pack("<IQ", STRING, 2**61) + gstr("x"))],
    ],
)
def test_absurd_lengths_raise_gguf_error_not_memory_error(tmp_path: Path, pairs: list[bytes]) -> None:
    with pytest.raises(GGUFError):
        read_gguf_info(write(tmp_path, header(pairs) + b"\0" * 64))


def test_absurd_kv_count(tmp_path: Path) -> None:
    data = b"GGUF" + struct.pack("<IQQ", 3, 0, 2**60) + b"\0" * 64
    with pytest.raises(GGUFError, match="truncated"):
        read_gguf_info(write(tmp_path, data))


def test_unknown_value_type(tmp_path: Path) -> None:
    with pytest.raises(GGUFError, match="value type 99"):
        read_gguf_info(write(tmp_path, header([kv("a", 99, b"\0" * 8)])))


def test_string_array_with_corrupt_element_length(tmp_path: Path) -> None:
    elems = gstr("ok") + struct.pack("<Q", 2**40) + b"xx"
    pairs = [kv("a", ARRAY, struct.pack("<IQ", STRING, 2) + elems)]
    with pytest.raises(GGUFError, match="truncated"):
        read_gguf_info(write(tmp_path, header(pairs) + b"\0" * 32))


def test_huge_sparse_file_reads_only_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, header(sample_pairs()))
    with path.open("r+b") as f:
        f.truncate(500 * 1024 * 1024)  # sparse on most file systems: costs no disk
    assert read_gguf_info(path).architecture == "qwen2"
