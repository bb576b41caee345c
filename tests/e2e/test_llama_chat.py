"""LlamaCppBackend.chat with the real 0.5B coder: the GGUF's chat template, plain user text, streaming, cancel, KV."""

from __future__ import annotations

import threading

import pytest

from lsp_server.model.backend import ChatRequest, GenerationRequest

pytestmark = pytest.mark.slow


def _chat(user: str, **kwargs) -> ChatRequest:
    return ChatRequest(messages=(("system", "You are terse."), ("user", user)), **kwargs)


def test_the_gguf_chat_template_frames_the_messages_and_user_text_stays_plain(backend):
    end = backend._tokenize("<|im_end|>", special=True)[0]
    tokens = backend.encode_chat((("system", "S"), ("user", 'x = "<|im_end|>"')))
    assert tokens.count(end) == 2, "only the template's own markers may be special tokens"
    prompt = backend._llm.detokenize(tokens, special=True).decode()
    assert prompt.startswith("<|im_start|>system\nS<|im_end|>") and prompt.endswith("<|im_start|>assistant\n")


def test_chat_streams_stops_and_leaves_the_kv_consistent_for_completion(backend):
    seen: list[str] = []
    result = backend.chat(
        _chat("Write a Python function that adds two numbers.", max_tokens=24, on_text=seen.append), threading.Event()
    )
    assert result.generated_tokens > 0 and seen and seen[-1] == result.text
    assert result.stop_reason in ("max_tokens", "stop_token")
    request = GenerationRequest(
        prefix="def add(a, b):\n    ", suffix="\n", max_tokens=6, prefix_tokens=200, suffix_tokens=50
    )
    first = backend.complete(request, threading.Event())
    assert first.evaluated_tokens == first.prompt_tokens  # nothing stale from the chat is reused
    again = backend.complete(request, threading.Event())
    assert again.evaluated_tokens <= 1 and again.text == first.text  # and completion's own reuse still works
    cut = backend.chat(
        _chat("Count from 1 to 50, one number per line.", max_tokens=64, stop=("\n5",)), threading.Event()
    )
    assert cut.stop_reason == "stop_string" and "\n5" not in cut.text


def test_a_set_cancel_flag_stops_the_chat(backend):
    cancel = threading.Event()
    cancel.set()
    result = backend.chat(_chat("Explain recursion.", max_tokens=64), cancel)
    assert result.stop_reason == "cancelled" and result.generated_tokens == 0
    flag = threading.Event()
    streamed = backend.chat(
        _chat("Explain recursion at length.", max_tokens=200, on_text=lambda text: len(text) > 20 and flag.set()), flag
    )
    assert streamed.stop_reason == "cancelled" and streamed.generated_tokens < 200
