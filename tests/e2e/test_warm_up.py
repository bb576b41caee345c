"""The KV with a real model: filled where the cursor rests before the request, kept for places left."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_session import (
    end_of,
    initialize_params,
    inline_params,
    open_document,
    require_model,
    server_config,
    status,
    status_when,
    wait_until_loaded,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

# Long enough that evaluating it is clearly visible (a few hundred tokens).
TEXT = "".join(
    f'def step_{i}(value):\n    """Step {i} of the pipeline."""\n    return value + {i}\n\n\n' for i in range(30)
)
CURSOR = (TEXT.count("\n"), 0)


async def start(root: Path, model: str = "smollm2-135m", **options) -> LanguageClient:
    require_model(model)
    client = await server_config().start()
    await client.initialize_session(
        initialize_params(root, model=model, maxTokens=4, auditLog=False, repoContext=False, **options)
    )
    await wait_until_loaded(client)
    return client


async def wait_for_warm_up(client: LanguageClient, timeout: float = 60) -> dict:
    return (await wait_for_warm_ups(client, 1, timeout=timeout))["completion"]["lastWarmUp"]


async def request_at_cursor(client: LanguageClient, uri: str) -> dict:
    await client.text_document_inline_completion_async(inline_params(uri, *CURSOR))
    return (await status(client))["lastGeneration"]


@pytest.mark.parametrize("warm_up", [True, False])
async def test_cursor_rest_fills_the_kv_before_the_request(tmp_path, warm_up):
    require_model("smollm2-135m")
    client = await start(tmp_path, warmUp=warm_up)
    try:
        uri = open_document(client, tmp_path / "pipeline.py", TEXT, "python")
        line, character = CURSOR
        client.protocol.notify(
            "iquest/didMoveCursor", {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}
        )
        if warm_up:
            warm = await wait_for_warm_up(client)
            assert warm["completed"] and warm["evaluatedTokens"] > 200
        else:
            await asyncio.sleep(1.0)  # time a warm-up would have had
            assert (await status(client))["completion"]["warmUps"] == 0
        last = await request_at_cursor(client, uri)
        assert last["promptTokens"] > 200
        if warm_up:
            assert last["evaluatedTokens"] <= 1  # only the last prompt token, to get its logits
        else:
            assert last["evaluatedTokens"] == last["promptTokens"]
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_a_document_opened_is_warmed_at_its_start_and_garbage_hints_are_ignored(tmp_path):
    # A FIM model: at 0:0 its prompt is the document below the cursor (a prefix-only model has none).
    client = await start(tmp_path, model="qwen2.5-coder-0.5b")
    try:
        client.protocol.notify("iquest/didMoveCursor", {"position": "nowhere"})
        client.protocol.notify(
            "iquest/didMoveCursor",
            {"textDocument": {"uri": "file:///unknown.py"}, "position": {"line": 0, "character": 0}},
        )
        uri = open_document(client, tmp_path / "pipeline.py", TEXT, "python")
        warm = await wait_for_warm_up(client)
        assert warm["completed"] and warm["evaluatedTokens"] > 100
        assert (await status(client))["completion"]["warmUps"] == 1
        # The server still answers normally.
        last = await request_at_cursor(client, uri)
        assert last["promptTokens"] > 200 and last["generatedTokens"] > 0
    finally:
        await client.shutdown_session()
        await client.stop()


@pytest.mark.parametrize("snapshot_mb", [512, 0])
async def test_going_back_to_a_file_evaluates_only_what_changed_there(tmp_path, snapshot_mb):
    shapes = "".join(f"class Shape{i}:\n    sides = {i}\n\n\n" for i in range(40))
    client = await start(tmp_path, kvSnapshotMb=snapshot_mb, warmUp=False, speculate=False)
    try:
        pipeline = open_document(client, tmp_path / "pipeline.py", TEXT, "python")
        other = open_document(client, tmp_path / "shapes.py", shapes, "python")
        first = await request_at_cursor(client, pipeline)
        await client.text_document_inline_completion_async(inline_params(other, *end_of(shapes)))
        # Back in pipeline.py, with a little typed at its end.
        edited = TEXT + "result = "
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=pipeline, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
            )
        )
        await client.text_document_inline_completion_async(inline_params(pipeline, *end_of(edited)))
        current = await status(client)
        back = current["lastGeneration"]
    finally:
        await client.shutdown_session()
        await client.stop()
    assert first["promptTokens"] > 200
    if snapshot_mb:
        assert current["kvSnapshots"]["count"] == 2
        assert back["restoredTokens"] >= first["promptTokens"] - 8 and back["evaluatedTokens"] <= 8
    else:
        assert "kvSnapshots" not in current
        assert back["restoredTokens"] == 0 and back["evaluatedTokens"] > first["promptTokens"] // 2


@pytest.mark.slow
async def test_a_cold_place_answers_from_a_short_prompt_then_the_full_one_is_ready(tmp_path):
    client = await start(tmp_path, model="qwen2.5-coder-0.5b", warmUp=False, speculate=False, maxPromptTokens=1024)
    try:
        current = await status(client)
        speed = current["machineSpeed"]
        # The machine's cap on a full prompt: what evaluates in 40 s at the speed measured at load
        # (status shows the moving average since), in steps of 256, at least 512.
        cap = current["completion"]["promptCap"]
        assert cap % 256 == 0 and cap >= max(512, 40 * speed["promptTokensPerSecond"] / 2)
        # A timeout whose prompt share (three quarters) evaluates ~200 tokens on this machine: the
        # ~590-token prompt at the end of TEXT does not fit, a short prompt does.
        timeout_ms = int(200 / speed["promptTokensPerSecond"] / 0.75 * 1000)
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"iquest": {"generationTimeoutMs": timeout_ms, "maxTokens": 8}})
        )
        uri = open_document(client, tmp_path / "pipeline.py", TEXT + "def step_30(value):\n    return value", "python")
        cursor = end_of(TEXT + "def step_30(value):\n    return value")
        answer = await client.text_document_inline_completion_async(inline_params(uri, *cursor))
        first = (await status(client))["lastGeneration"]
        warm = await wait_for_warm_up(client, timeout=180)
        full = await wait_for_full_answer(client)
        again = await client.text_document_inline_completion_async(inline_params(uri, *cursor))
        current = await status(client)
    finally:
        await client.shutdown_session()
        await client.stop()
    assert answer is not None and answer.items and answer.items[0].insert_text.strip()
    assert first["shortPrompt"] and first["promptTokens"] < 260
    assert warm["completed"] and warm["promptTokens"] > 450
    # Once the full prompt was in, its answer was computed in the background; the next request gets it at once.
    assert full["promptTokens"] > 450 and full["evaluatedTokens"] <= 1
    assert current["completion"]["shortPrompts"] == 1 and current["completion"]["fromCache"] == 1
    assert current["lastGeneration"] == full
    assert again is not None and again.items


async def wait_for_full_answer(client: LanguageClient, timeout: float = 60) -> dict:
    """The last generation once a full prompt's answer was computed in the background."""
    current = await status_when(
        client,
        lambda s: s["completion"]["speculations"] and not s["lastGeneration"]["shortPrompt"],
        "no answer from the full prompt",
        timeout,
        0.2,
    )
    return current["lastGeneration"]


async def wait_for_warm_ups(
    client: LanguageClient, count: int, previous: dict | None = None, timeout: float = 60
) -> dict:
    """Status once ``count`` warm-ups started and one other than ``previous`` finished."""

    def finished(current: dict) -> bool:
        done = current["completion"]["lastWarmUp"]
        return current["completion"]["warmUps"] >= count and done is not None and done != previous

    return await status_when(client, finished, f"{count} warm-ups did not finish", timeout, 0.05)


async def test_a_scroll_warms_the_middle_of_the_view_and_a_cursor_hint_wins_over_it(tmp_path):
    client = await start(tmp_path, speculate=False)
    try:
        uri = open_document(client, tmp_path / "pipeline.py", TEXT, "python")
        # Scrolled to lines 60-100 right after the open: the view wins over the file's start.
        client.protocol.notify(
            "iquest/didChangeVisibleRange",
            {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": 60, "character": 0}, "end": {"line": 100, "character": 0}},
            },
        )
        first = (await wait_for_warm_ups(client, 1))["completion"]["lastWarmUp"]
        middle = TEXT.split("\n")[80]
        await client.text_document_inline_completion_async(inline_params(uri, 80, len(middle)))
        in_view = (await status(client))["lastGeneration"]
        # The cursor comes to rest, then the view scrolls (the editor revealing it): the cursor wins.
        line, character = CURSOR
        client.protocol.notify(
            "iquest/didMoveCursor", {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}
        )
        client.protocol.notify(
            "iquest/didChangeVisibleRange",
            {
                "textDocument": {"uri": uri},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 40, "character": 0}},
            },
        )
        client.protocol.notify("iquest/didChangeVisibleRange", {"textDocument": {"uri": uri}, "range": {"start": "x"}})
        current = await wait_for_warm_ups(client, 2, first)
        at_cursor = await request_at_cursor(client, uri)
    finally:
        await client.shutdown_session()
        await client.stop()
    assert in_view["promptTokens"] > 200 and in_view["evaluatedTokens"] <= 1
    assert current["completion"]["warmUps"] == 2
    assert at_cursor["promptTokens"] > 200 and at_cursor["evaluatedTokens"] <= 1
