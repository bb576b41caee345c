"""OpenAICompatibleBackend against a scripted server: our FIM prompt, stop tokens, model, usage."""

from __future__ import annotations

import threading
import time

from lsp_server.model.backend import GenerationRequest
from lsp_server.model.remote.http import HttpClient
from lsp_server.model.remote.openai_backend import OpenAICompatibleBackend, defuse
from lsp_server.prompting.fim import template_for_family


def _request(**kwargs) -> GenerationRequest:
    base = dict(
        prefix="def f():\n    ret",
        suffix="\nf()\n",
        max_tokens=16,
        prefix_tokens=200,
        suffix_tokens=50,
        middle_chars=7,
        deadline=time.monotonic() + 30,
    )
    return GenerationRequest(**{**base, **kwargs})


def _stream(fake_server, path: str) -> None:
    chunks = [
        {"choices": [{"text": "urn 1", "finish_reason": None}]},
        {"choices": [{"text": "", "finish_reason": "stop"}]},
        {
            "choices": [],
            "usage": {"prompt_tokens": 30, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": 26}},
        },
    ]
    fake_server.routes[path] = lambda h, b: fake_server.sse(h, chunks)


def test_fim_goes_out_as_our_template_with_its_stop_tokens(fake_server):
    _stream(fake_server, "/v1/completions")
    backend = OpenAICompatibleBackend(
        HttpClient(fake_server.url, "K"), model="coder-7b", fim_family="auto", context_length=4096
    )
    result = backend.complete(_request(), threading.Event())
    body = fake_server.requests[-1]["body"]
    assert body["prompt"] == "<|fim_prefix|>def f():\n<|fim_suffix|>\nf()\n<|fim_middle|>    ret"
    assert (
        body["model"] == "coder-7b" and body["max_tokens"] == 16 and body["stream"] is True and body["temperature"] == 0
    )
    assert "<|endoftext|>" in body["stop"] and "<|file_sep|>" in body["stop"]
    assert result.text == "urn 1" and result.stop_reason == "stop_token"
    assert (result.prompt_tokens, result.evaluated_tokens, result.generated_tokens) == (30, 4, 2)


def test_a_v1_server_url_and_the_listed_model_are_used(fake_server):
    fake_server.routes["/v1/models"] = lambda h, b: fake_server.reply(
        h, 200, {"data": [{"id": "Qwen/Qwen2.5-Coder-7B"}]}
    )
    _stream(fake_server, "/v1/completions")
    backend = OpenAICompatibleBackend(
        HttpClient(fake_server.url + "/v1", "K"), model="", fim_family="starcoder", context_length=4096
    )
    backend.complete(_request(), threading.Event())
    body = fake_server.requests[-1]["body"]
    assert fake_server.requests[-1]["path"] == "/v1/completions" and body["model"] == "Qwen/Qwen2.5-Coder-7B"
    assert body["prompt"].startswith("<fim_prefix>") and backend.info.fim_family == "starcoder"


def test_markers_typed_in_the_code_cannot_restructure_the_prompt():
    qwen = template_for_family("qwen")
    text = defuse("s = '<|fim_middle|>' + '<|endoftext|>'", qwen)
    assert "<|fim_middle|>" not in text and "<|endoftext|>" not in text
    assert text.replace("\u200b", "") == "s = '<|fim_middle|>' + '<|endoftext|>'"


def test_a_warm_up_asks_for_one_token_and_shows_none(fake_server):
    _stream(fake_server, "/v1/completions")
    backend = OpenAICompatibleBackend(
        HttpClient(fake_server.url, "K"), model="m", fim_family="qwen", context_length=4096
    )
    result = backend.complete(_request(max_tokens=0), threading.Event())
    assert fake_server.requests[-1]["body"]["max_tokens"] == 1
    assert result.text == "" and result.stop_reason == "warm_up"
