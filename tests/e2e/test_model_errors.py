"""Missing, corrupt and unsupported models: one clear message, the server keeps answering."""

from __future__ import annotations

import asyncio
import shutil
import struct
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsp_session import (
    initialize_params,
    inline_params,
    items_of,
    open_document,
    require_model,
    server_config,
    status,
    wait_until_loaded,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_server.model.catalog import load_catalog
from lsp_server.model.fetch import model_file

pytestmark = pytest.mark.asyncio(loop_scope="function")

EMPTY_MODELS = Path(tempfile.mkdtemp(prefix="iquest-nomodels-"))
ROOT = Path(tempfile.mkdtemp(prefix="iquest-errors-"))


def _gguf_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_header_only_gguf(path: Path, architecture: str) -> Path:
    """A syntactically valid GGUF with no tensors, claiming ``architecture``."""
    kvs = [("general.architecture", architecture), ("general.name", "test")]
    body = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs))
    for key, value in kvs:
        body += _gguf_string(key) + struct.pack("<I", 8) + _gguf_string(value)
    path.write_bytes(body)
    return path


async def _session_message(client: LanguageClient, **options) -> str:
    await client.initialize_session(initialize_params(ROOT, **options))
    result = await wait_until_loaded(client)
    assert result["state"] == "failed"
    for _ in range(50):
        if client.messages:
            break
        await asyncio.sleep(0.05)
    assert len(client.messages) == 1, [m.message for m in client.messages]
    # The server is still up and answers completions (with nothing) instead of failing.
    uri = open_document(client, ROOT / "a.py", "x = 1\n", "python")
    assert items_of(await client.text_document_inline_completion_async(inline_params(uri, 1, 0))) == []
    assert (await status(client))["state"] == "failed"
    await client.shutdown_session()
    return client.messages[0].message


@pytest_lsp.fixture(config=server_config(IQUEST_MODEL_DIR=str(EMPTY_MODELS)))
async def missing(lsp_client: LanguageClient):
    yield


async def test_missing_model_says_how_to_fetch_it(missing: LanguageClient):
    message = await _session_message(missing, model="qwen2.5-coder-0.5b")
    assert "not downloaded" in message and "iquest-lsp model fetch qwen2.5-coder-0.5b" in message


@pytest_lsp.fixture(config=server_config())
async def plain(lsp_client: LanguageClient):
    yield


async def test_corrupt_file_is_reported(plain: LanguageClient):
    bogus = ROOT / "broken.gguf"
    bogus.write_bytes(b"this is not a model" * 100)
    message = await _session_message(plain, model=str(bogus))
    assert "not a usable GGUF model" in message and "broken.gguf" in message


async def test_unsupported_architecture_names_it_and_suggests_a_model(plain: LanguageClient):
    model = write_header_only_gguf(ROOT / "loop.gguf", "iquestloopcoder")
    message = await _session_message(plain, model=str(model))
    assert "iquestloopcoder" in message
    assert "qwen2.5-coder-0.5b" in message


async def test_catalog_loop_variant_is_refused_before_loading(plain: LanguageClient):
    message = await _session_message(plain, model="iquest-coder-v1-40b-loop-instruct")
    assert "cannot be loaded" in message and "Loop" in message


async def test_unknown_model_name_lists_the_catalog(plain: LanguageClient):
    message = await _session_message(plain, model="gpt-17")
    assert "gpt-17" in message and "qwen2.5-coder-0.5b" in message


FIXABLE_MODELS = Path(tempfile.mkdtemp(prefix="iquest-fixable-"))


@pytest_lsp.fixture(config=server_config(IQUEST_MODEL_DIR=str(FIXABLE_MODELS)))
async def fixable(lsp_client: LanguageClient):
    yield


async def test_fetching_the_model_and_reloading_recovers_without_a_restart(fixable: LanguageClient):
    require_model("smollm2-135m")
    await fixable.initialize_session(initialize_params(ROOT, model="smollm2-135m", maxTokens=8, auditLog=False))
    assert (await wait_until_loaded(fixable))["state"] == "failed"
    source = model_file(load_catalog().get("smollm2-135m"))
    shutil.copyfile(source, FIXABLE_MODELS / source.name)  # what `iquest-lsp model fetch` would leave
    reloaded = await fixable.workspace_execute_command_async(types.ExecuteCommandParams(command="iquest.reloadModel"))
    assert reloaded["state"] == "ready" and reloaded["model"] == "smollm2-135m"
    uri = open_document(fixable, ROOT / "b.py", "def main():\n    ", "python")
    answer = await fixable.text_document_inline_completion_async(inline_params(uri, 1, 4))
    assert isinstance(answer, types.InlineCompletionList)
    assert (await status(fixable))["generations"] == 1
    assert len(fixable.messages) == 1  # the original problem, said once
    await fixable.shutdown_session()
