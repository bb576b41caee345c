"""HttpClient: SSE streams, stop on request, retries before the first event, clear errors, no key leaks."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from lsp_server.model.remote.http import HttpClient, RemoteError

KEY = "sk-test-5ecret-key-value"


def _client(url: str, **kwargs) -> HttpClient:
    kwargs.setdefault("backoff_s", 0.01)
    return HttpClient(url, "IQUEST_TEST_KEY", label="llama-server", **kwargs)


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_stream_yields_events_and_sends_the_key_from_the_environment(fake_server, monkeypatch):
    monkeypatch.setenv("IQUEST_TEST_KEY", KEY)
    fake_server.routes["/infill"] = lambda h, body: fake_server.sse(
        h, [{"content": "a"}, {"content": "b", "stop": True}]
    )
    events = list(_client(fake_server.url).stream("/infill", {"x": 1}, lambda: False))
    assert [e["content"] for e in events] == ["a", "b"]
    request = fake_server.requests[0]
    assert request["body"] == {"x": 1}
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"


def test_no_key_in_the_environment_sends_no_authorization(fake_server, monkeypatch):
    monkeypatch.delenv("IQUEST_TEST_KEY", raising=False)
    fake_server.routes["/props"] = lambda h, body: fake_server.reply(h, 200, {"ok": True})
    assert _client(fake_server.url).get_json("/props") == {"ok": True}
    assert "Authorization" not in fake_server.requests[0]["headers"]


def test_stop_closes_a_slow_stream_promptly(fake_server):
    fake_server.routes["/infill"] = lambda h, body: fake_server.sse(h, [{"content": "a"}], hold=10)
    stop_at = time.monotonic() + 0.3
    started = time.monotonic()
    events = list(_client(fake_server.url).stream("/infill", {}, lambda: time.monotonic() > stop_at))
    assert [e["content"] for e in events] == ["a"]
    assert time.monotonic() - started < 2
    assert fake_server.disconnected.wait(3), "the server never saw the connection close"


def test_unreachable_server_is_retried_then_reported_once_per_call(monkeypatch):
    client = _client(_closed_port_url())
    with pytest.raises(RemoteError) as caught:
        list(client.stream("/infill", {}, lambda: False))
    assert "Cannot reach the llama-server" in str(caught.value) and "resume" in str(caught.value)
    assert client.down


def test_503_while_loading_is_retried_until_the_server_answers(fake_server):
    calls = []

    def loading_then_ready(handler, body):
        calls.append(1)
        if len(calls) < 3:
            fake_server.reply(handler, 503, {"error": {"message": "Loading model"}})
        else:
            fake_server.sse(handler, [{"content": "ok"}])

    fake_server.routes["/infill"] = loading_then_ready
    events = list(_client(fake_server.url, retries=2).stream("/infill", {}, lambda: False))
    assert [e["content"] for e in events] == ["ok"] and len(calls) == 3


def test_a_server_known_to_be_down_gets_one_attempt(fake_server):
    calls = []
    fake_server.routes["/infill"] = lambda h, b: (calls.append(1), fake_server.reply(h, 503, {"error": "busy"}))
    client = _client(fake_server.url, retries=2)
    with pytest.raises(RemoteError):
        list(client.stream("/infill", {}, lambda: False))
    assert len(calls) == 3
    with pytest.raises(RemoteError):
        list(client.stream("/infill", {}, lambda: False))
    assert len(calls) == 4


def test_http_500_is_not_retried_and_carries_the_servers_message(fake_server):
    fake_server.routes["/infill"] = lambda h, b: fake_server.reply(h, 500, {"error": {"message": "KV cache full"}})
    client = _client(fake_server.url)
    with pytest.raises(RemoteError, match="HTTP 500: KV cache full"):
        list(client.stream("/infill", {}, lambda: False))
    assert len(fake_server.requests) == 1


def test_malformed_event_is_an_error(fake_server):
    fake_server.routes["/infill"] = lambda h, b: fake_server.sse(h, [b"data: {not json"])
    with pytest.raises(RemoteError, match="malformed"):
        list(_client(fake_server.url).stream("/infill", {}, lambda: False))


def test_malformed_json_body_is_an_error(fake_server):
    fake_server.routes["/props"] = lambda h, b: fake_server.reply(h, 200, b"<html>proxy error</html>")
    with pytest.raises(RemoteError, match="malformed JSON"):
        _client(fake_server.url).get_json("/props")


def test_an_error_event_mid_stream_is_reported(fake_server):
    fake_server.routes["/infill"] = lambda h, b: fake_server.sse(
        h, [{"content": "a"}, b'error: {"message": "slot crashed"}']
    )
    with pytest.raises(RemoteError, match="slot crashed"):
        list(_client(fake_server.url).stream("/infill", {}, lambda: False))


def test_a_rejected_key_names_the_variable_never_the_key(fake_server, monkeypatch, caplog):
    monkeypatch.setenv("IQUEST_TEST_KEY", KEY)
    fake_server.routes["/infill"] = lambda h, b: fake_server.reply(h, 401, {"error": {"message": "Invalid API Key"}})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RemoteError) as caught:
        list(_client(fake_server.url).stream("/infill", {}, lambda: False))
    assert "$IQUEST_TEST_KEY" in str(caught.value) and "HTTP 401" in str(caught.value)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value.__context__)
    assert KEY not in caplog.text


def test_the_url_must_be_http():
    with pytest.raises(RemoteError.__mro__[1], match="not an http"):
        HttpClient("ftp://box", "K")
