"""generate(): text, stop reasons and the server's figures from a stream."""

from __future__ import annotations

import threading
import time

from lsp_server.model.remote.generation import generate
from lsp_server.model.remote.http import HttpClient
from lsp_server.model.remote.llama_server import parse_native


def _client(url: str) -> HttpClient:
    return HttpClient(url, "IQUEST_TEST_KEY", backoff_s=0.01)


def _tokens(*pieces: str, final: dict | None = None) -> list[dict]:
    events = [
        {"content": p, "stop": False, "tokens_predicted": i + 1, "tokens_evaluated": 9} for i, p in enumerate(pieces)
    ]
    if final is not None:
        events.append({"content": "", "stop": True, **final})
    return events


def test_the_servers_timings_become_the_figures(fake_server):
    final = {
        "stop_type": "eos",
        "tokens_predicted": 2,
        "tokens_evaluated": 9,
        "timings": {"prompt_n": 3, "predicted_n": 2},
    }
    fake_server.routes["/infill"] = lambda h, b: fake_server.sse(h, _tokens("x", " = 1", final=final))
    result = generate(
        _client(fake_server.url), "/infill", {}, parse_native, prompt="p", cancel=threading.Event(), deadline=None
    )
    assert result.text == "x = 1" and result.stop_reason == "stop_token"
    assert (result.prompt_tokens, result.evaluated_tokens, result.generated_tokens) == (9, 3, 2)


def test_a_held_back_space_is_removed_from_the_answer(fake_server):
    fake_server.routes["/infill"] = lambda h, b: fake_server.sse(h, _tokens(" x", " y", final={"stop_type": "limit"}))
    result = generate(
        _client(fake_server.url),
        "/infill",
        {},
        parse_native,
        prompt="p",
        cancel=threading.Event(),
        deadline=None,
        healed=" ",
    )
    assert result.text == "x y" and result.stop_reason == "max_tokens"


def test_held_back_text_is_removed_once_the_answer_has_spelled_it(fake_server):
    seen = []
    fake_server.routes["/infill"] = lambda h, b: fake_server.sse(
        h, _tokens(".j", "oin(", "a)", final={"stop_type": "limit"})
    )
    result = generate(
        _client(fake_server.url),
        "/infill",
        {},
        parse_native,
        prompt="p",
        cancel=threading.Event(),
        deadline=None,
        healed=".jo",
        on_text=seen.append,
    )
    assert result.text == "in(a)" and seen == ["", "in(", "in(a)"]


def test_a_stop_check_ends_the_stream(fake_server):
    fake_server.routes["/infill"] = lambda h, b: fake_server.sse(h, _tokens("a\n", "b\n", "c\n"), hold=10)
    result = generate(
        _client(fake_server.url),
        "/infill",
        {},
        parse_native,
        prompt="p",
        cancel=threading.Event(),
        deadline=None,
        should_stop=lambda text: "\n" in text,
    )
    assert result.text == "a\n" and result.stop_reason == "stop_check"


def test_cancel_mid_stream_returns_what_came_so_far(fake_server):
    cancel = threading.Event()
    fake_server.routes["/infill"] = lambda h, b: fake_server.sse(h, _tokens("a"), hold=10)
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    result = generate(_client(fake_server.url), "/infill", {}, parse_native, prompt="p", cancel=cancel, deadline=None)
    assert result.stop_reason == "cancelled" and result.text == "a"
    assert time.monotonic() - started < 2


def test_a_deadline_before_the_first_token_gives_an_empty_answer(fake_server):
    fake_server.routes["/infill"] = lambda h, b: fake_server.sse(h, [], hold=10)
    result = generate(
        _client(fake_server.url),
        "/infill",
        {},
        parse_native,
        prompt="a prompt",
        cancel=threading.Event(),
        deadline=time.monotonic() + 0.3,
    )
    assert result.stop_reason == "deadline" and result.text == "" and result.generated_tokens == 0
    assert result.total_ms < 2000
