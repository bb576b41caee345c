"""Shared end-to-end fixtures."""

from __future__ import annotations

import pytest
from lsp_session import require_model

from lsp_server.model.catalog import load_catalog


@pytest.fixture(scope="module")
def backend():
    """The in-process llama.cpp backend with the real 0.5B coder, loaded once per test module."""
    require_model("qwen2.5-coder-0.5b")
    from lsp_server.model.llama_backend import LlamaCppBackend

    loaded = LlamaCppBackend("qwen2.5-coder-0.5b", load_catalog(), n_ctx=2048, n_threads=2)
    yield loaded
    loaded.close()
