"""Fuzzed LSP traffic against the real server (the CI slice; scripts/fuzz_lsp.py runs the full count)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from harness import FuzzTarget, fuzz, initialize_params, server_env, wait_ready, write_workspace
from hostile import CANCELLED, INVALID_PARAMS, INVALID_REQUEST, World, broken_frames, hostile_messages
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rpc import RawServer, encode, frame

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
from lsp_session import require_model  # noqa: E402

SERVER_NOT_INITIALIZED = -32002
CI_BATCHES = 120


@pytest.fixture
def target(tmp_path):
    require_model("smollm2-135m")
    fuzz_target = FuzzTarget(tmp_path, stderr_path=tmp_path / "server.log")
    yield fuzz_target
    fuzz_target.close()


def test_hostile_traffic_gets_the_answers_it_is_owed_and_completions_still_work(target):
    figures = fuzz(target, CI_BATCHES, sanity_every=30)
    print(figures)
    assert figures.messages >= CI_BATCHES
    # Each answer is a result (sanity() asserts it); the model's text depends on the context the fuzzing left.
    assert any(target.sanity() for _ in range(3)), "normal completions after the fuzzing came back empty"
    assert target.server.alive()
    assert target.close() == 0


def test_lone_surrogates_emoji_and_odd_positions_are_completed_not_crashed_on(target):
    server = target.server
    uri = (target.root / "odd.py").as_uri()
    text = "s = '\ud800'  # 😀 e\u0301\r\ndef f(x):\r\n    return x\ud83d"
    server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
    )
    for line, character in [(0, 5), (0, 6), (0, 13), (0, 14), (2, 12), (2, 13), (2, 999), (1, 0)]:
        params = {
            "textDocument": {"uri": uri},
            "position": {"line": line, "character": character},
            "context": {"triggerKind": 1},
        }
        response = server.call("textDocument/inlineCompletion", params)
        assert "result" in response, (line, character, response)  # a column past the end clamps (LSP)
    response = server.call(
        "textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": 4, "character": 0}}
    )
    assert response["error"]["code"] == INVALID_PARAMS  # a line past the end is an error
    assert target.sanity()


def test_a_50_mb_document_is_opened_edited_completed_and_closed(target):
    server = target.server
    uri = (target.root / "huge.py").as_uri()
    line = "value_%08d = compute(alpha, beta)  # padding to make the line longer than most\n"
    count = 50_000_000 // len(line % 0) + 1
    text = "".join(line % i for i in range(count))
    assert len(text) >= 50_000_000
    server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
    )
    del text
    for position in ({"line": count, "character": 0}, {"line": count // 2, "character": 6}):
        response = server.call(
            "textDocument/inlineCompletion",
            {"textDocument": {"uri": uri}, "position": position, "context": {"triggerKind": 1}},
            timeout=300,
        )
        assert "result" in response, response
    edit = {
        "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}},
        "text": "def f(x):\n    return ",
    }
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [edit]})
    response = server.call(
        "textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 11}}, timeout=300
    )
    assert "result" in response, response
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert target.sanity()
    assert server.rss_kib("VmHWM") < 2_000_000, "peak RSS over 2 GB for one 50 MB document"


def _fresh_server(tmp_path: Path) -> tuple[RawServer, Path]:
    root, _ = write_workspace(tmp_path)
    return RawServer(env=server_env(tmp_path), stderr_path=tmp_path / "server.log"), root


def test_requests_before_initialize_get_server_not_initialized(tmp_path):
    require_model("smollm2-135m")
    server, root = _fresh_server(tmp_path)
    world = World(root.as_uri(), (tmp_path / "outside" / "secret.py").as_uri(), ((root / "main.py").as_uri(),))
    ids = iter(range(1, 10**9))
    try:

        @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(hostile_messages(world, st.builds(lambda: next(ids))), min_size=1, max_size=8))
        def before_initialize(batch) -> None:
            nulls = len(server.null_responses)
            for message in batch:
                if message.kind == "cancel-recent":
                    continue
                server.send_bytes(message.body)
                nulls += message.answer == "null"
            for message in batch:
                if message.answer == "id":
                    error = server.wait_response(message.msg_id, 30)["error"]
                    assert error["code"] in {SERVER_NOT_INITIALIZED, INVALID_PARAMS, INVALID_REQUEST}, (
                        message.body[:200],
                        error,
                    )
            assert server.wait_null_responses(nulls) == nulls

        before_initialize()
        status = server.call("workspace/executeCommand", {"command": "iquest.status"})
        assert status["error"]["code"] == SERVER_NOT_INITIALIZED
        assert "result" in server.call("initialize", initialize_params(root))  # and then it starts normally
        server.notify("initialized", {})
        uri = (root / "main.py").as_uri()
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "def f():\n    return"}},
        )
        answer = server.call(
            "textDocument/inlineCompletion",
            {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 10}, "context": {"triggerKind": 1}},
            timeout=120,
        )
        assert "result" in answer, answer
    finally:
        assert server.close() == 0


def test_requests_after_shutdown_get_invalid_request_and_exit_ends_the_process(tmp_path):
    server, root = _fresh_server(tmp_path)
    try:
        server.call("initialize", initialize_params(root, model="gpt-17"))  # no model needed here
        server.notify("initialized", {})
        assert server.call("shutdown", None) == {"jsonrpc": "2.0", "id": 2, "result": None}
        for method, params in [
            (
                "textDocument/inlineCompletion",
                {
                    "textDocument": {"uri": root.as_uri()},
                    "position": {"line": 0, "character": 0},
                    "context": {"triggerKind": 1},
                },
            ),
            ("workspace/executeCommand", {"command": "iquest.status"}),
            ("shutdown", None),
        ]:
            assert server.call(method, params)["error"]["code"] == INVALID_REQUEST
        nulls = len(server.null_responses)
        server.send_bytes(frame(b"{broken"))
        assert server.wait_null_responses(nulls + 1) == nulls + 1
        server.notify("exit", None)
        assert server.process.wait(timeout=30) == 0
    finally:
        server.close()


def test_broken_frames_each_get_one_error_with_id_null(tmp_path):
    server, root = _fresh_server(tmp_path)
    ids = iter(range(1, 10**9))
    try:
        server.call("initialize", initialize_params(root, model="gpt-17"))
        server.notify("initialized", {})

        @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(broken_frames(st.builds(lambda: next(ids))), min_size=1, max_size=10))
        def broken(batch) -> None:
            nulls = len(server.null_responses)
            for message in batch:
                server.send_bytes(message.body)
                nulls += message.answer == "null"
            for message in batch:
                if message.answer == "id":
                    assert server.wait_response(message.msg_id, 30)["error"]["code"] in message.allowed
            assert server.wait_null_responses(nulls) == nulls
            assert server.alive()

        broken()
        assert server.call("workspace/executeCommand", {"command": "iquest.status"})["result"]["state"] == "failed"
        assert server.close() == 0
    finally:
        server.close()


def test_the_framing_itself_survives_a_body_of_raw_binary(tmp_path):
    server, root = _fresh_server(tmp_path)
    try:
        server.call("initialize", initialize_params(root, model="gpt-17"))
        server.send_bytes(frame(bytes(range(256)) * 64))
        server.send_bytes(frame(encode({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 999}})))
        assert server.wait_null_responses(1) == 1
        assert json.loads(json.dumps(server.call("workspace/executeCommand", {"command": "iquest.status"})))["result"]
        assert CANCELLED not in {r["error"]["code"] for r in server.null_responses}
    finally:
        assert server.close() == 0


def test_a_document_whose_uri_is_percent_encoded_is_completed(target):
    uri = (target.root / "my notes é.py").as_uri()
    assert "%20" in uri
    target.server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "def add(a, b):\n    return"}},
    )
    response = target.server.call(
        "textDocument/inlineCompletion",
        {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 10}, "context": {"triggerKind": 1}},
    )
    assert "result" in response, response  # pygls keys documents by the decoded URI


def test_a_client_that_counts_in_utf8_gets_utf8_positions(tmp_path):
    require_model("smollm2-135m")
    root, _ = write_workspace(tmp_path)
    prompts = tmp_path / "prompts.jsonl"
    server = RawServer(
        env={**server_env(tmp_path), "IQUEST_PROMPT_LOG": str(prompts)}, stderr_path=tmp_path / "server.log"
    )
    try:
        params = initialize_params(root, speculate=False, warmUp=False)
        params["capabilities"]["general"] = {"positionEncodings": ["utf-8", "utf-16"]}  # Neovim's order
        assert server.call("initialize", params)["result"]["capabilities"]["positionEncoding"] == "utf-8"
        server.notify("initialized", {})
        assert wait_ready(server)["state"] == "ready"
        uri = (root / "emoji.py").as_uri()
        before = 'label = "é😀"; total'
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": before + " = price * 2\n"}},
        )
        cursor = {"line": 0, "character": len(before.encode())}  # 4 more than in UTF-16 units
        answer = server.call(
            "textDocument/inlineCompletion",
            {"textDocument": {"uri": uri}, "position": cursor, "context": {"triggerKind": 1}},
            timeout=120,
        )
        assert "result" in answer, answer
        (request,) = [
            entry for entry in map(json.loads, prompts.read_text().splitlines()) if entry["kind"] == "request"
        ]
        typed = request["prompt"] + request["healed"]  # token healing takes the word at the cursor back off the prompt
        assert before in typed and before + " =" not in typed  # cut exactly at the cursor
        menu = server.call(
            "textDocument/codeAction",
            {"textDocument": {"uri": uri}, "range": {"start": cursor, "end": cursor}, "context": {"diagnostics": []}},
        )
        assert isinstance(menu.get("result"), list), menu
    finally:
        assert server.close() == 0
