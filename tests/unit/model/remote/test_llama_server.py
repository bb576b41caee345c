"""LlamaServerBackend against a scripted server: probe, /infill request shape, fallback without FIM."""

from __future__ import annotations

import threading
import time

from lsp_server.model.backend import ChatRequest, GenerationRequest
from lsp_server.model.remote.http import HttpClient
from lsp_server.model.remote.llama_server import LlamaServerBackend

QWEN_SPECIAL = {"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_sep|>", "<|repo_name|>", "<|endoftext|>"}


def _serve_model(fake_server, special: set[str]) -> None:
    props = {"model_path": "/models/IQuest-Coder-V1-7B.Q4_K_M.gguf", "default_generation_settings": {"n_ctx": 8192}}
    fake_server.routes["/props"] = lambda h, b: fake_server.reply(h, 200, props)

    def tokenize(handler, body):
        one = body["parse_special"] and body["content"] in special
        fake_server.reply(handler, 200, {"tokens": [1] if one else [1, 2, 3]})

    fake_server.routes["/tokenize"] = tokenize


def _request(**kwargs) -> GenerationRequest:
    base = dict(
        prefix="def f():\n    ret",
        suffix="\n\nf()\n",
        max_tokens=16,
        prefix_tokens=200,
        suffix_tokens=50,
        context=(("util.py", "X = 1\n"),),
        context_tokens=100,
        path="main.py",
        middle_chars=7,
        deadline=time.monotonic() + 30,
    )
    return GenerationRequest(**{**base, **kwargs})


def _backend(fake_server, family: str = "auto") -> LlamaServerBackend:
    return LlamaServerBackend(HttpClient(fake_server.url, "IQUEST_TEST_KEY"), fim_family=family, context_length=2048)


def test_the_probe_names_the_model_its_context_and_fim_family(fake_server):
    _serve_model(fake_server, QWEN_SPECIAL)
    backend = _backend(fake_server)
    assert backend.info.name == "IQuest-Coder-V1-7B.Q4_K_M" and backend.info.context_length == 8192
    assert backend.template.family == "qwen" and backend.info.fim_family == "qwen"


def test_infill_sends_context_as_input_extra_and_reuses_the_cache(fake_server):
    _serve_model(fake_server, QWEN_SPECIAL)
    events = [
        {"content": " return 1", "stop": False},
        {
            "content": "",
            "stop": True,
            "stop_type": "eos",
            "tokens_evaluated": 40,
            "tokens_predicted": 2,
            "timings": {"prompt_n": 5, "predicted_n": 2},
        },
    ]
    fake_server.routes["/infill"] = lambda h, b: fake_server.sse(h, events)
    result = _backend(fake_server).complete(_request(), threading.Event())
    body = fake_server.requests[-1]["body"]
    # Token healing: the word at the cursor goes back, and a grammar makes the answer spell it first.
    assert body["input_prefix"] == "def f():\n   " and body["input_suffix"] == "\n\nf()\n"
    assert body["grammar"] == 'root ::= " ret" .*'
    assert body["input_extra"] == [{"filename": "util.py", "text": "X = 1\n"}]
    assert body["cache_prompt"] is True and body["stream"] is True and body["n_predict"] == 16 and "prompt" not in body
    assert result.text == "urn 1" and (result.prompt_tokens, result.evaluated_tokens) == (40, 5)


def test_a_model_without_fim_falls_back_to_prefix_completion(fake_server):
    _serve_model(fake_server, set())
    fake_server.routes["/infill"] = lambda h, b: fake_server.reply(
        h, 501, {"error": {"message": "Infill is not supported"}}
    )
    fake_server.routes["/completion"] = lambda h, b: fake_server.sse(
        h, [{"content": " return", "stop": True, "stop_type": "eos"}]
    )
    backend = _backend(fake_server, family="qwen")  # the setting claims FIM; the server knows better
    result = backend.complete(_request(), threading.Event())
    assert result.text == "urn" and backend.template.family == "none" and backend.info.fim_family == "none"
    body = fake_server.requests[-1]["body"]
    assert fake_server.requests[-1]["path"] == "/completion" and body["prompt"].endswith("def f():\n   ")
    assert body["grammar"] == 'root ::= " ret" .*'
    assert "# util.py\nX = 1\n" in body["prompt"] and "\nf()" not in body["prompt"]


def test_a_server_down_at_load_is_probed_on_the_next_request(fake_server):
    backend = _backend(fake_server)  # no routes yet: the probe fails quietly
    assert backend.info.name == "llama-server" and backend.info.context_length == 2048
    _serve_model(fake_server, QWEN_SPECIAL)
    fake_server.routes["/infill"] = lambda h, b: fake_server.sse(h, [{"content": "x", "stop": True}])
    backend.complete(_request(), threading.Event())
    assert backend.info.context_length == 8192


def test_chat_goes_to_the_openai_endpoint(fake_server):
    _serve_model(fake_server, QWEN_SPECIAL)
    chunks = [
        {"choices": [{"delta": {"content": "Hi"}, "finish_reason": None}]},
        {"choices": [{"delta": {}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 1}, "timings": {"prompt_n": 4}},
    ]
    fake_server.routes["/v1/chat/completions"] = lambda h, b: fake_server.sse(h, chunks)
    seen: list[str] = []
    result = _backend(fake_server).chat(
        ChatRequest(messages=(("user", "hello"),), max_tokens=8, on_text=seen.append), threading.Event()
    )
    assert result.text == "Hi" and seen == ["Hi"] and result.stop_reason == "stop_token"
    assert (result.prompt_tokens, result.evaluated_tokens, result.generated_tokens) == (12, 4, 1)
    assert fake_server.requests[-1]["body"]["messages"] == [{"role": "user", "content": "hello"}]


def test_a_warm_up_evaluates_the_prompt_only(fake_server):
    _serve_model(fake_server, QWEN_SPECIAL)
    fake_server.routes["/infill"] = lambda h, b: fake_server.sse(
        h, [{"content": "x", "stop": True, "stop_type": "limit"}]
    )
    result = _backend(fake_server).complete(_request(max_tokens=0), threading.Event())
    assert fake_server.requests[-1]["body"]["n_predict"] == 0
    assert result.text == "" and result.stop_reason == "warm_up"
