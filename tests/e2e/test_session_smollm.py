"""A real LSP session against the server with SmolLM2-135M (no FIM tokens: prefix-only path)."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsp_session import (
    end_of,
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
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from lsp_server.settings import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(tempfile.mkdtemp(prefix="iquest-e2e-"))
AUDIT = ROOT / "audit.jsonl"
PY_TEXT = 'import os\n\n\ndef greet(name):\n    """Say hello."""\n    print("Hello, " + name)\n\n\ndef main():\n    '


INITIALIZE_RESULT: list[types.InitializeResult] = []


@pytest_lsp.fixture(scope="module", config=server_config())
async def client(lsp_client: LanguageClient):
    require_model("smollm2-135m")
    INITIALIZE_RESULT[:] = [
        await lsp_client.initialize_session(
            initialize_params(ROOT, model="smollm2-135m", maxTokens=24, auditLogPath=str(AUDIT), contextSize=2048)
        )
    ]
    yield
    await lsp_client.shutdown_session()


async def test_capabilities_are_advertised(client: LanguageClient):
    result = await wait_until_loaded(client)
    assert result["state"] == "ready", result
    server_caps = INITIALIZE_RESULT[0].capabilities
    assert INITIALIZE_RESULT[0].server_info.name == "iquest-lsp"
    assert server_caps.inline_completion_provider
    assert server_caps.completion_provider is not None
    assert server_caps.text_document_sync.change == types.TextDocumentSyncKind.Incremental


async def test_model_without_fim_tokens_uses_prefix_only(client: LanguageClient):
    result = await wait_until_loaded(client)
    assert result["model"] == "smollm2-135m"
    assert result["fimFamily"] == "none"


async def test_inline_completion_returns_ghost_text(client: LanguageClient):
    await wait_until_loaded(client)
    uri = open_document(client, ROOT / "hello.py", PY_TEXT, "python")
    line, character = end_of(PY_TEXT)
    answer = await client.text_document_inline_completion_async(inline_params(uri, line, character))
    items = items_of(answer)
    assert len(items) == 1
    item = items[0]
    assert isinstance(item.insert_text, str) and item.insert_text.strip()
    assert item.range.start == types.Position(line=line, character=character)
    last = (await status(client))["lastGeneration"]
    assert last["promptTokens"] > 20 and last["generatedTokens"] >= 1
    entries = [json.loads(line) for line in AUDIT.read_text().splitlines()]
    assert entries[-1]["uri"] == uri and entries[-1]["output"] == item.insert_text


async def test_completion_fallback_offers_the_same_kind_of_suggestion(client: LanguageClient):
    await wait_until_loaded(client)
    text = "def total(values):\n    result = 0\n    for v in values:\n        result"
    uri = open_document(client, ROOT / "fallback.py", text, "python")
    line, character = end_of(text)
    answer = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character)
        )
    )
    assert isinstance(answer, types.CompletionList) and len(answer.items) == 1
    item = answer.items[0]
    # The edit replaces the word being typed ("result") so clients can filter on it.
    assert item.text_edit.range.start.character == character - len("result")
    assert item.text_edit.new_text.startswith("result") and len(item.text_edit.new_text) > len("result")


async def test_unknown_document_is_a_clear_error(client: LanguageClient):
    with pytest.raises(JsonRpcException, match="not open"):
        await client.text_document_inline_completion_async(inline_params((ROOT / "never-opened.py").as_uri(), 0, 0))


async def test_out_of_range_position_is_a_clear_error_and_the_server_keeps_working(client: LanguageClient):
    await wait_until_loaded(client)
    uri = open_document(client, ROOT / "small.py", "x = 1\n", "python")
    with pytest.raises(JsonRpcException, match="outside"):
        await client.text_document_inline_completion_async(inline_params(uri, 40, 0))
    # A column past the end of a line clamps to the line end (LSP rule) instead of failing.
    answer = await client.text_document_inline_completion_async(inline_params(uri, 0, 99))
    assert isinstance(items_of(answer), list)
    assert (await status(client))["state"] == "ready"


# A counting list keeps even the small model going for hundreds of tokens, long enough to interrupt.
COUNTING_LIST = "numbers = [\n" + "".join(f"    {n},\n" for n in range(1, 9))


async def test_cancelling_an_in_flight_request_stops_generation(client: LanguageClient):
    await wait_until_loaded(client)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={
                "iquest": {"maxTokens": 400, "multiline": "always", "maxLines": 200, "generationTimeoutMs": 60000}
            }
        )
    )
    uri = open_document(client, ROOT / "numbers.py", COUNTING_LIST, "python")
    pending = set(client.protocol._request_futures)
    request = asyncio.ensure_future(client.text_document_inline_completion_async(inline_params(uri, 9, 0)))
    await asyncio.sleep(0.3)
    ids = [key for key in client.protocol._request_futures if key not in pending]
    assert len(ids) == 1, "the completion ended before it could be cancelled"
    client.protocol.notify("$/cancelRequest", types.CancelParams(id=ids[0]))
    with pytest.raises((JsonRpcException, asyncio.CancelledError)):
        await asyncio.wait_for(request, 30)
    # The worker is free again: the cancelled generation ended early and said why.
    for _ in range(100):
        current = await status(client)
        if current.get("lastCancelMs") is not None:
            break
        await asyncio.sleep(0.05)
    assert current["lastGeneration"]["stopReason"] == "cancelled"
    assert current["lastGeneration"]["generatedTokens"] < 400
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"iquest": {"maxTokens": 24, "multiline": "auto", "maxLines": 8}})
    )


async def test_result_is_dropped_when_the_document_changes_meanwhile(client: LanguageClient):
    await wait_until_loaded(client)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"iquest": {"maxTokens": 200, "multiline": "always", "maxLines": 200}}
        )
    )
    uri = open_document(client, ROOT / "stale.py", COUNTING_LIST, "python")
    request = asyncio.ensure_future(client.text_document_inline_completion_async(inline_params(uri, 9, 0)))
    await asyncio.sleep(0.3)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=9, character=0), end=types.Position(line=9, character=0)
                    ),
                    text="1",
                )
            ],
        )
    )
    answer = await asyncio.wait_for(request, 60)
    assert items_of(answer) == []
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"iquest": {"maxTokens": 24, "multiline": "auto", "maxLines": 8}})
    )


async def test_a_huge_document_still_gets_a_prompt_within_budget(client: LanguageClient):
    await wait_until_loaded(client)
    text = "".join(f"value_{i} = {i}\n" for i in range(400_000)) + "total = value_1 + "  # ~6.5 MB
    uri = open_document(client, ROOT / "huge.py", text, "python")
    line, character = end_of(text)
    answer = await client.text_document_inline_completion_async(inline_params(uri, line, character))
    assert isinstance(items_of(answer), list)
    last = (await status(client))["lastGeneration"]
    assert 256 < last["promptTokens"] <= Settings().max_prompt_tokens + 16
