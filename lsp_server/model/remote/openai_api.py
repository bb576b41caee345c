"""The OpenAI HTTP API as vLLM, Ollama, LM Studio and llama-server speak it: completions and chat."""

from __future__ import annotations

import threading
from typing import Any

from lsp_server.model.backend import ChatRequest, GenerationResult, ModelError, StopReason
from lsp_server.model.remote.generation import Chunk, generate
from lsp_server.model.remote.http import HttpClient

_FINISH: dict[str | None, StopReason] = {"stop": StopReason.STOP_TOKEN, "length": StopReason.MAX_TOKENS}


def api_path(client: HttpClient, endpoint: str) -> str:
    """``/v1/<endpoint>``, or ``/<endpoint>`` when iquest.serverUrl already ends with /v1."""
    return f"/{endpoint}" if client.root.endswith("/v1") else f"/v1/{endpoint}"


def first_model_id(client: HttpClient) -> str:
    """The id of the first model the server lists (GET /v1/models)."""
    listing = client.get_json(api_path(client, "models"))
    models = listing.get("data") if isinstance(listing, dict) else None
    if not models or not isinstance(models[0], dict) or "id" not in models[0]:
        raise ModelError(f"The server at {client.base_url} lists no model. Fix: set iquest.serverModel.")
    return str(models[0]["id"])


def _usage(event: dict[str, Any]) -> tuple[int | None, int | None, int | None]:
    """(prompt, evaluated, generated) tokens from ``usage`` and llama-server's ``timings``."""
    usage = event.get("usage") or {}
    timings = event.get("timings") or {}
    prompt = usage.get("prompt_tokens")
    evaluated = timings.get("prompt_n")
    if evaluated is None and prompt is not None:
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
        evaluated = prompt - cached
    return prompt, evaluated, usage.get("completion_tokens", timings.get("predicted_n"))


def _first_choice(event: dict[str, Any]) -> dict[str, Any]:
    choices = event.get("choices") or [{}]
    return choices[0] if isinstance(choices[0], dict) else {}


def parse_completion(event: dict[str, Any]) -> Chunk:
    """One /v1/completions stream event."""
    choice = _first_choice(event)
    prompt, evaluated, generated = _usage(event)
    return Chunk(choice.get("text") or "", _FINISH.get(choice.get("finish_reason")), prompt, evaluated, generated)


def parse_chat(event: dict[str, Any]) -> Chunk:
    """One /v1/chat/completions stream event."""
    choice = _first_choice(event)
    delta = choice.get("delta") or choice.get("message") or {}
    prompt, evaluated, generated = _usage(event)
    return Chunk(delta.get("content") or "", _FINISH.get(choice.get("finish_reason")), prompt, evaluated, generated)


def completion_body(model: str, prompt: str, max_tokens: int, stop: tuple[str, ...]) -> dict[str, Any]:
    """A greedy streaming /v1/completions request for a raw (FIM) prompt."""
    body: dict[str, Any] = {
        "model": model,
        "prompt": prompt,
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if stop:
        body["stop"] = list(stop)
    return body


def chat(client: HttpClient, model: str, request: ChatRequest, cancel: threading.Event) -> GenerationResult:
    """Answer ``request`` with the server's chat template (POST /v1/chat/completions, streamed)."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": role, "content": content} for role, content in request.messages],
        "max_tokens": request.max_tokens,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if request.stop:
        body["stop"] = list(request.stop)
    shown = "\n".join(f"{role}: {content}" for role, content in request.messages)
    return generate(
        client,
        api_path(client, "chat/completions"),
        body,
        parse_chat,
        prompt=shown,
        cancel=cancel,
        deadline=request.deadline,
        on_text=request.on_text,
    )
