"""First lines with a real model: a block still being generated is shown line-first, the rest from the cache."""

from __future__ import annotations

import asyncio

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

TEXT = (
    "def mean_and_spread(values):\n"
    '    """Return the mean and the spread (max - min) of a non-empty list of numbers."""\n    '
)


async def test_first_lines_then_the_rest_after_accept_and_enter(tmp_path):
    require_model("qwen2.5-coder-0.5b")
    client = await server_config().start()
    # 1 ms: any generation longer than its first line is answered with its first lines.
    await client.initialize_session(
        initialize_params(
            tmp_path,
            model="qwen2.5-coder-0.5b",
            firstLinesMs=1,
            maxTokens=64,
            auditLog=False,
            repoContext=False,
            speculate=False,
        )
    )
    try:
        await wait_until_loaded(client)
        uri = open_document(client, tmp_path / "stats.py", TEXT, "python")
        lines = TEXT.split("\n")
        first = items_of(
            await client.text_document_inline_completion_async(inline_params(uri, len(lines) - 1, len(lines[-1])))
        )
        assert len(first) == 1
        shown = first[0].insert_text
        assert (await status(client))["completion"]["firstLines"] == 1
        # The generation goes on; once it ends, accept the suggestion and press Enter.
        generations = (await status(client))["generations"]
        for _ in range(2400):
            if (await status(client))["generations"] > generations:
                break
            await asyncio.sleep(0.05)
        accepted = TEXT + shown + "\n    "
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=accepted)],
            )
        )
        after = accepted.split("\n")
        rest = items_of(
            await client.text_document_inline_completion_async(inline_params(uri, len(after) - 1, len(after[-1])))
        )
        stats = (await status(client))["completion"]
        # The rest came from that one generation: from the cache, or (on a slow machine) from it still running.
        assert stats["generations"] == 1 and stats["fromCache"] + stats["fromRunningGeneration"] == 1, stats
        assert len(rest) == 1 and rest[0].insert_text.strip()
    finally:
        await client.shutdown_session()
        await client.stop()
