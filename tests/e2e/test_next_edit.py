"""Next-edit suggestions over a real LSP session (Qwen2.5-Coder-0.5B): rename a parameter, the server proposes
the matching edit at its use, through copilotInlineEdit, an inline item with a range and a code action; audited."""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_lsp
from lsp_session import (
    initialize_params,
    inline_params,
    items_of,
    open_document,
    require_model,
    server_config,
    wait_until_loaded,
)
from lsprotocol import types
from lsprotocol.converters import get_converter
from pytest_lsp import LanguageClient

from lsp_server.session_client import as_json

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(tempfile.mkdtemp(prefix="iquest-e2e-next-edit-"))
AUDIT = ROOT / "audit.jsonl"
TEXT = (
    "def total_price(items, rate):\n"
    "    subtotal = sum(item.price for item in items)\n"
    "    tax = subtotal * rate\n"
    "    return round(subtotal + tax, 2)\n"
    "\n"
    "\n"
    "def main():\n"
    "    print(total_price([], 0.2))\n"
)
USE_LINE = 2  # "    tax = subtotal * rate"
PREDICTION_TIMEOUT = 180


def _read_code_actions_as_actions(client: LanguageClient) -> None:
    """lsprotocol's client-side parser reads any code action that carries a command as a bare Command (losing its
    edit); a Command's command is a string, an action's an object: tell them apart that way."""
    converter = client.protocol._converter

    def hook(value: Any, _: type) -> types.Command | types.CodeAction:
        kind = types.Command if isinstance(value.get("command"), str) else types.CodeAction
        return converter.structure(value, kind)

    converter.register_structure_hook(types.Command | types.CodeAction, hook)
    converter.register_structure_hook(Union[types.Command, types.CodeAction], hook)  # noqa: UP007


@pytest_lsp.fixture(scope="module", config=server_config())
async def client(lsp_client: LanguageClient):
    require_model("qwen2.5-coder-0.5b")
    _read_code_actions_as_actions(lsp_client)
    await lsp_client.initialize_session(
        initialize_params(
            ROOT,
            model="qwen2.5-coder-0.5b",
            contextSize=2048,
            auditLogPath=str(AUDIT),
            warmUp=False,
            nextEdit={"enabled": True, "idleMs": 100},
        )
    )
    assert (await wait_until_loaded(lsp_client))["state"] == "ready"
    yield
    await lsp_client.shutdown_session()


def _audit(kind: str) -> list[dict]:
    if not AUDIT.exists():
        return []
    return [entry for entry in map(json.loads, AUDIT.read_text().splitlines()) if entry["kind"] == kind]


def _rename_parameter(client: LanguageClient, uri: str) -> int:
    """Type "tax_" before the parameter ``rate``, one keystroke per didChange; returns the final version."""
    column = TEXT.index("rate")
    version = 1
    for typed, char in enumerate("tax_"):
        version += 1
        at = types.Position(line=0, character=column + typed)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text=char)
                ],
            )
        )
    return version


def _apply(text: str, span: dict[str, Any], new_text: str) -> str:
    lines = text.split("\n")
    start, end = span["start"], span["end"]
    head = "\n".join(lines[: start["line"]] + [lines[start["line"]][: start["character"]]])
    tail = "\n".join([lines[end["line"]][end["character"] :]] + lines[end["line"] + 1 :])
    return head + new_text + tail


async def _inline_edit(client: LanguageClient, uri: str, version: int) -> list[dict[str, Any]]:
    params = {"textDocument": {"uri": uri, "version": version}, "position": {"line": 0, "character": 0}}
    request = client.protocol.send_request_async("textDocument/copilotInlineEdit", params)
    return as_json(await asyncio.wait_for(request, PREDICTION_TIMEOUT))["edits"]


async def test_renaming_a_parameter_proposes_the_same_rename_at_its_use(client: LanguageClient):
    uri = open_document(client, ROOT / "shop.py", TEXT, "python")
    version = _rename_parameter(client, uri)
    renamed = TEXT.replace("items, rate)", "items, tax_rate)")

    edits = await _inline_edit(client, uri, version)

    assert len(edits) == 1, edits
    edit = edits[0]
    assert edit["textDocument"] == {"uri": uri, "version": version}
    assert edit["range"]["start"]["line"] == USE_LINE, edit
    after = _apply(renamed, edit["range"], edit["text"])
    assert after.split("\n")[USE_LINE] == "    tax = subtotal * tax_rate", after
    assert not re.search(r"\brate\b", after), after
    ident = edit["iquest"]["id"]
    assert edit["command"] == {"title": "Accept next edit", "command": "iquest.nextEdit.accepted", "arguments": [ident]}
    predicted = _audit("next_edit_predicted")
    assert [entry["id"] for entry in predicted] == [ident] and predicted[0]["output"] == edit["text"]

    # The same prediction, already made: as an inline item with the replaced range when the cursor is on its line,
    inline = items_of(await client.text_document_inline_completion_async(inline_params(uri, USE_LINE, 4)))
    assert inline and inline[0].insert_text == edit["text"], inline
    assert inline[0].range is not None and inline[0].range.start.line == USE_LINE
    assert inline[0].range.start.character == edit["range"]["start"]["character"]
    assert inline[0].range.end.character == edit["range"]["end"]["character"]
    # and as a code action there,
    span = types.Range(start=types.Position(line=USE_LINE, character=0), end=types.Position(line=USE_LINE, character=0))
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=span,
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    applied = [a for a in actions or [] if isinstance(a, types.CodeAction) and a.title == "Apply predicted edit"]
    assert len(applied) == 1 and applied[0].edit is not None and applied[0].edit.document_changes, actions
    change = applied[0].edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == version
    assert change.edits[0].new_text == edit["text"]
    assert get_converter().unstructure(change.edits[0].range) == edit["range"]
    assert applied[0].command is not None and list(applied[0].command.arguments or []) == [ident]

    # shown, then accepted: both audited with the prediction's id.
    client.protocol.notify("textDocument/didShowInlineEdit", {"item": edit})
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=edit["command"]["command"], arguments=edit["command"]["arguments"])
    )
    assert answer == {"recorded": True}
    await asyncio.sleep(0.5)  # the notification is handled before the command, but give the log a moment
    assert [entry["id"] for entry in _audit("next_edit_shown")] == [ident]
    assert [entry["id"] for entry in _audit("next_edit_accepted")] == [ident]


async def test_a_stale_version_gets_no_edits_and_a_rejection_is_audited(client: LanguageClient):
    uri = open_document(client, ROOT / "stale.py", TEXT, "python")
    version = _rename_parameter(client, uri)
    assert await _inline_edit(client, uri, version - 1) == []
    edits = await _inline_edit(client, uri, version)
    assert edits, "the current version gets a prediction"
    ident = edits[0]["iquest"]["id"]
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="iquest.nextEdit.rejected", arguments=[ident])
    )
    assert answer == {"recorded": True}
    assert ident in [entry["id"] for entry in _audit("next_edit_rejected")]
