"""LSP's line model with a real server: only "\\n", "\\r\\n" and "\\r" end lines, whatever else a line holds.

pygls splits lines with str.splitlines, which also breaks at "\\u2028", "\\f" and other characters; a client's
edits and cursor after one of those then landed elsewhere in the server's copy of the document.
"""

from __future__ import annotations

import json
from pathlib import Path

from lsp_session import (
    initialize_params,
    inline_params,
    items_of,
    open_document,
    require_model,
    server_config,
    status_when,
    wait_until_loaded,
)
from lsprotocol import types

# A line holds a LINE SEPARATOR and a form feed inside a string; lines end at "\n", "\r\n" and a lone "\r".
TEXT = 'def label(x):\n    return "a\u2028b\fc" + str(x)\r\n\r\ndef total(items):\r    return sum(items)\n'


async def test_an_edit_and_a_request_after_a_line_separator_and_a_form_feed_land_where_the_client_put_them(
    tmp_path: Path,
):
    require_model("smollm2-135m")
    prompts = tmp_path / "prompts.jsonl"
    client = await server_config(IQUEST_PROMPT_LOG=str(prompts)).start()
    try:
        await client.initialize_session(
            initialize_params(tmp_path, model="smollm2-135m", maxTokens=4, auditLog=False, repoContext=False)
        )
        assert (await wait_until_loaded(client))["state"] == "ready"
        uri = open_document(client, tmp_path / "label.py", TEXT, "python")
        # As the client counts: line 1 starts after the first "\n"; "\u2028" and "\f" are one UTF-16 unit each.
        line_start = TEXT.index("\n") + 1
        begin = TEXT.index("str(x)")
        column = begin - line_start
        edited = TEXT[:begin] + "repr" + TEXT[begin + len("str") :]
        change = types.TextDocumentContentChangePartial(
            range=types.Range(
                start=types.Position(line=1, character=column), end=types.Position(line=1, character=column + 3)
            ),
            text="repr",
        )
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2), content_changes=[change]
            )
        )
        cursor = column + len("repr(x)")
        answer = await client.text_document_inline_completion_async(inline_params(uri, 1, cursor))
        assert isinstance(items_of(answer), list)
        await status_when(client, lambda current: current["generations"] >= 1, "no generation", 60)

        requests = [json.loads(entry) for entry in prompts.read_text(encoding="utf-8").splitlines()]
        requests = [entry for entry in requests if entry["kind"] == "request"]
        assert requests, prompts.read_text(encoding="utf-8")
        seen = requests[-1]["prompt"] + requests[-1]["healed"]
        expected = edited[: line_start + cursor]
        assert expected.endswith('\n    return "a\u2028b\fc" + repr(x)')
        # The server's text before the cursor is the client's: the edit landed after "\f", the cursor after "repr(x)".
        assert seen.endswith(expected[line_start:]), (seen[-80:], expected[-80:])
        assert "str(x)" not in seen
    finally:
        await client.shutdown_session()
        await client.stop()
