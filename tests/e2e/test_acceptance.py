"""Acceptance over a real LSP session (SmolLM2-135M): the item's command, a partial accept, then `iquest-lsp stats`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
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
from lsprotocol.converters import get_converter
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(tempfile.mkdtemp(prefix="iquest-e2e-accept-"))
AUDIT = ROOT / "audit.jsonl"
TEXT = 'def greet(name):\n    """Say hello."""\n    print("Hello, " + name)\n\n\ndef main():\n    '


@pytest_lsp.fixture(scope="module", config=server_config())
async def client(lsp_client: LanguageClient):
    require_model("smollm2-135m")
    await lsp_client.initialize_session(
        initialize_params(ROOT, model="smollm2-135m", maxTokens=24, auditLogPath=str(AUDIT), contextSize=2048)
    )
    yield
    await lsp_client.shutdown_session()


def _audit() -> list[dict]:
    return [json.loads(line) for line in AUDIT.read_text().splitlines()]


async def _suggest(client: LanguageClient, uri: str, text: str) -> types.InlineCompletionItem:
    line, character = end_of(text)
    items = items_of(await client.text_document_inline_completion_async(inline_params(uri, line, character)))
    assert len(items) == 1 and isinstance(items[0].insert_text, str) and items[0].insert_text.strip(), items
    return items[0]


def _id(item: types.InlineCompletionItem) -> str:
    assert item.command is not None and item.command.command == "iquest.accepted", item
    return item.command.arguments[0]["id"]


async def test_running_the_items_command_records_an_acceptance(client: LanguageClient):
    assert (await wait_until_loaded(client))["state"] == "ready"
    uri = open_document(client, ROOT / "whole.py", TEXT, "python")
    item = await _suggest(client, uri, TEXT)
    assert item.command is not None and item.command.arguments[0]["kind"] == "inline"
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=item.command.command, arguments=item.command.arguments)
    )
    assert answer == {"recorded": True}
    accepted = [e for e in _audit() if e["kind"] == "inline_accepted"]
    assert [e["id"] for e in accepted] == [_id(item)] and accepted[0]["accepted_chars"] == len(item.insert_text)
    assert (await status(client))["completion"]["acceptance"]["accepted"] == 1


async def test_a_partial_accept_counts_and_the_rest_comes_from_the_cache_at_once(client: LanguageClient):
    uri = open_document(client, ROOT / "partial.py", TEXT, "python")
    item = await _suggest(client, uri, TEXT)
    suggestion = str(item.insert_text)
    word = re.match(r"\s*(\w+|\S)", suggestion)
    assert word is not None and word.end() < len(suggestion.rstrip()), suggestion
    accepted = suggestion[: word.end()]
    before = (await status(client))["completion"]
    client.protocol.notify(
        "textDocument/didPartiallyAcceptCompletion",
        {"item": get_converter().unstructure(item), "acceptedLength": len(accepted.encode("utf-16-le")) // 2},
    )
    line, character = end_of(TEXT)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(line, character), end=types.Position(line, character)),
                    text=accepted,
                )
            ],
        )
    )
    rest = await _suggest(client, uri, TEXT + accepted)
    after = (await status(client))["completion"]
    assert suggestion[len(accepted) :].startswith(str(rest.insert_text)), (suggestion, accepted, rest.insert_text)
    assert after["generations"] == before["generations"] and after["fromCache"] == before["fromCache"] + 1
    assert _id(rest) != _id(item)
    partial = [e for e in _audit() if e["kind"] == "inline_partially_accepted"]
    assert [(e["id"], e["output"]) for e in partial] == [(_id(item), accepted)]
    assert _audit()[-1]["kind"] == "inline_completion" and _audit()[-1]["source"] == "cache"
    assert after["acceptance"]["partiallyAccepted"] == 1 and after["acceptance"]["acceptedChars"] > len(accepted)


async def test_bad_events_are_refused_and_the_server_goes_on(client: LanguageClient):
    before = (await status(client))["completion"]["acceptance"]
    item = {"insertText": "x", "command": {"title": "", "command": "iquest.accepted", "arguments": [{"id": "nope"}]}}
    client.protocol.notify("textDocument/didPartiallyAcceptCompletion", {"item": item, "acceptedLength": 1})
    client.protocol.notify("textDocument/didShowCompletion", {"item": {"insertText": "x"}})
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="iquest.accepted", arguments=[{"id": "nope", "kind": "inline"}])
    )
    assert answer["recorded"] is False and "nope" in answer["error"]
    current = await status(client)
    assert current["state"] == "ready" and current["completion"]["acceptance"] == before


async def test_stats_prints_the_figures_of_the_session(client: LanguageClient):
    command = [sys.executable, "-m", "lsp_server", "stats", "--json", "--path", str(AUDIT)]
    figures = json.loads(subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout)
    assert figures["shown"] >= 3 and figures["accepted"] == 1 and figures["partiallyAccepted"] == 1
    assert figures["by"]["language"]["python"]["shown"] == figures["shown"]
    assert figures["by"]["source"]["cache"]["shown"] >= 1 and figures["latencyMs"]["p50"] is not None
    text = subprocess.run(command[:4] + command[5:], capture_output=True, text=True, check=True, timeout=120).stdout
    assert "accepted 1 whole and 1 in part" in text and "by latency" in text


async def test_an_explicit_request_offers_alternatives_and_the_menu_lists_them(client: LanguageClient):
    text = "import os\n\n\ndef main():\n    "
    uri = open_document(client, ROOT / "alternatives.py", text, "python")
    line, character = end_of(text)
    automatic = items_of(await client.text_document_inline_completion_async(inline_params(uri, line, character)))
    assert len(automatic) >= 1
    invoked = inline_params(uri, line, character)
    invoked.context = types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)
    items = items_of(await client.text_document_inline_completion_async(invoked))
    texts = [str(item.insert_text) for item in items]
    assert len(items) == 2 and texts[0] == automatic[0].insert_text and texts[1].strip() != texts[0].strip(), texts
    assert len({_id(item) for item in items}) == 2
    assert (await status(client))["completion"]["samples"] >= 1
    menu = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, character)
        )
    )
    assert menu is not None and [item.text_edit.new_text for item in menu.items] == texts
