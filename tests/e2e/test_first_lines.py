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

from lsp_server.protocol_extensions import GREW_CAPABILITY, SUGGESTION_GREW

TEXT = (
    "def mean_and_spread(values):\n"
    '    """Return the mean and the spread (max - min) of a non-empty list of numbers."""\n    '
)


def _first_lines_params(root):
    """The 0.5B coder with firstLinesMs 1: any generation longer than its first line is answered with those."""
    return initialize_params(
        root,
        model="qwen2.5-coder-0.5b",
        firstLinesMs=1,
        maxTokens=64,
        auditLog=False,
        repoContext=False,
        speculate=False,
    )


async def test_first_lines_then_the_rest_after_accept_and_enter(tmp_path):
    require_model("qwen2.5-coder-0.5b")
    client = await server_config().start()
    await client.initialize_session(_first_lines_params(tmp_path))
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
        assert stats["blocksGrown"] == 0  # this client did not ask to hear that the block grew
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_a_client_that_asks_hears_when_the_block_grew_and_gets_it_whole(tmp_path):
    require_model("qwen2.5-coder-0.5b")
    client = await server_config().start()
    grown: asyncio.Queue = asyncio.Queue()

    @client.feature(SUGGESTION_GREW)
    def suggestion_grew(params):
        grown.put_nowait(params)

    params = _first_lines_params(tmp_path)
    params.initialization_options["iquest"]["candidates"] = 1  # no alternative sampled before the notice
    params.capabilities.experimental = {GREW_CAPABILITY: True}
    await client.initialize_session(params)
    try:
        await wait_until_loaded(client)
        uri = open_document(client, tmp_path / "stats.py", TEXT, "python")
        lines = TEXT.split("\n")
        place = inline_params(uri, len(lines) - 1, len(lines[-1]))
        first = items_of(await client.text_document_inline_completion_async(place))
        assert len(first) == 1 and (await status(client))["completion"]["firstLines"] == 1
        notice = await asyncio.wait_for(grown.get(), 120)
        assert notice.textDocument.uri == uri and notice.textDocument.version == 1
        assert (notice.position.line, notice.position.character) == (len(lines) - 1, len(lines[-1]))
        # Asked again at the same place, as the editor does on hearing it: the whole block, from the cache.
        whole = items_of(await client.text_document_inline_completion_async(place))
        assert len(whole) == 1
        assert whole[0].insert_text.startswith(first[0].insert_text.rstrip())
        assert len(whole[0].insert_text) > len(first[0].insert_text)
        stats = (await status(client))["completion"]
        assert stats["blocksGrown"] == 1 and stats["fromCache"] == 1 and stats["generations"] == 1, stats
    finally:
        await client.shutdown_session()
        await client.stop()
