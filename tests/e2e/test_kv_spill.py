"""KV snapshots on disk with the real model: a place evaluated before a restart costs only what changed."""

from __future__ import annotations

import threading

from lsp_session import require_model

from lsp_server.model.backend import GenerationRequest
from lsp_server.model.catalog import load_catalog

PLACE = "".join(f"def area_{i}(w, h):\n    return w * h * {i}\n\n" for i in range(40)) + "def total(items):\n    return"


def _load(spill_dir, spill_mb: int = 256):
    from lsp_server.model.llama_backend import LlamaCppBackend

    return LlamaCppBackend(
        "smollm2-135m",
        load_catalog(),
        n_ctx=2048,
        n_threads=2,
        snapshot_bytes=64 * 2**20,
        spill_bytes=spill_mb * 2**20,
        spill_dir=spill_dir,
    )


def _ask(backend, prefix: str):
    request = GenerationRequest(prefix=prefix, suffix="\n", max_tokens=8, prefix_tokens=1500, suffix_tokens=50)
    return backend.complete(request, threading.Event())


def test_a_restart_restores_the_place_from_disk(tmp_path):
    require_model("smollm2-135m")
    before = _load(tmp_path)
    try:
        first = _ask(before, PLACE)
    finally:
        before.close()  # the live KV goes to disk
    assert list(tmp_path.rglob("*.kv"))
    after = _load(tmp_path)
    try:
        assert len(after.snapshots.spill) == 1
        back = _ask(after, PLACE + " sum")  # a little typed since
    finally:
        after.close()
    assert first.evaluated_tokens > 300
    assert back.restored_tokens >= first.prompt_tokens - 4 and back.evaluated_tokens <= 8


def test_without_the_disk_a_restart_evaluates_everything(tmp_path):
    require_model("smollm2-135m")
    before = _load(tmp_path, spill_mb=0)
    try:
        first = _ask(before, PLACE)
    finally:
        before.close()
    after = _load(tmp_path, spill_mb=0)
    try:
        back = _ask(after, PLACE + " sum")
    finally:
        after.close()
    assert not list(tmp_path.rglob("*.kv"))
    assert back.restored_tokens == 0 and back.evaluated_tokens > first.prompt_tokens // 2
