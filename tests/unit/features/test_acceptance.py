"""The acceptance feature on a real pygls server: iquest.accepted for both kinds, Copilot's notifications, bad input."""

import json
import logging

from lsp_server.audit import AuditLog
from lsp_server.completion.outcomes import SuggestionOutcomes
from lsp_server.features.acceptance import Acceptance


def _setup(strict_server, tmp_path):
    outcomes = SuggestionOutcomes(AuditLog(tmp_path / "audit.jsonl"), lambda: "m")
    actions: list[dict] = []
    server = strict_server({})
    Acceptance(outcomes, actions.append).register(server)
    shown = outcomes.shown(
        uri="file:///a.py",
        text="return a + b",
        offset=4,
        document_text="def f(a, b):\n    ",
        multiline=False,
        source="generation",
        latency_ms=10.0,
        prompt="P",
        version=1,
    )
    return server, outcomes, actions, shown


def _item(shown, text=None):
    command = {
        "title": "Record acceptance",
        "command": "iquest.accepted",
        "arguments": [{"id": shown.id, "kind": "inline"}],
    }
    return {"insertText": text or shown.text, "command": command}


def _command(feed, server, ident, arguments):
    params = {"command": "iquest.accepted", "arguments": arguments}
    feed(server, {"jsonrpc": "2.0", "id": ident, "method": "workspace/executeCommand", "params": params})


def _notify(feed, server, method, params):
    feed(server, {"jsonrpc": "2.0", "method": "textDocument/" + method, "params": params})


def _answers(server):
    messages = [json.loads(data.split(b"\r\n\r\n", 1)[1]) for data in server.protocol.writer.sent]
    return {m["id"]: m for m in messages if "id" in m}


def test_accepted_records_inline_items_and_still_serves_code_actions(strict_server, tmp_path, feed):
    server, outcomes, actions, shown = _setup(strict_server, tmp_path)
    _command(feed, server, 1, [{"id": shown.id, "kind": "inline"}])
    _command(feed, server, 2, [{"id": "p1", "action": "fix", "uri": "u"}])
    answers = _answers(server)
    assert answers[1]["result"] == {"recorded": True} and answers[2]["result"] == {"recorded": True}
    assert outcomes.figures()["accepted"] == 1 and actions == [{"id": "p1", "action": "fix", "uri": "u"}]


def test_show_and_partial_accept_notifications_are_recorded(strict_server, tmp_path, feed):
    server, outcomes, _, shown = _setup(strict_server, tmp_path)
    _notify(feed, server, "didShowCompletion", {"item": _item(shown)})
    _notify(feed, server, "didPartiallyAcceptCompletion", {"item": _item(shown), "acceptedLength": 7})
    figures = outcomes.figures()
    assert (figures["displayed"], figures["partiallyAccepted"], figures["acceptedChars"]) == (1, 1, 7)
    kinds = [json.loads(line)["kind"] for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert kinds == ["inline_completion", "inline_displayed", "inline_partially_accepted"]


def test_bad_events_are_logged_once_and_lose_nothing(strict_server, tmp_path, feed, caplog):
    server, outcomes, _, shown = _setup(strict_server, tmp_path)
    caplog.set_level(logging.WARNING, logger="lsp_server.features.acceptance")
    _notify(feed, server, "didPartiallyAcceptCompletion", {"item": _item(shown), "acceptedLength": 99})
    _notify(feed, server, "didShowCompletion", {"item": {"insertText": "x"}})
    _command(feed, server, 5, [{"id": "gone", "kind": "inline"}])
    _command(feed, server, 6, [{"id": "x"}])
    answers = _answers(server)
    assert answers[5]["result"]["recorded"] is False and "gone" in answers[5]["result"]["error"]
    assert answers[6]["error"]["code"] == -32602
    ours = [record.getMessage() for record in caplog.records if record.name == "lsp_server.features.acceptance"]
    assert len(ours) == 3 and "acceptedLength 99 is outside" in ours[0]
    _command(feed, server, 7, [{"id": shown.id, "kind": "inline"}])
    assert _answers(server)[7]["result"] == {"recorded": True} and outcomes.figures()["accepted"] == 1
