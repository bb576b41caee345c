"""A backend on llama.cpp's llama-server: /infill with the repository context as ``input_extra``,
/completion for models without FIM tokens, chat over /v1/chat/completions."""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import PurePath
from typing import Any

from lsp_server.model.backend import (
    ChatRequest,
    GenerationRequest,
    GenerationResult,
    ModelError,
    ModelInfo,
    StopReason,
    TextRequest,
)
from lsp_server.model.remote import openai_api
from lsp_server.model.remote.generation import Chunk, as_warm_up, generate
from lsp_server.model.remote.http import HttpClient
from lsp_server.model.remote.window import fit_request
from lsp_server.prompting.fim import FimTemplate, detect_template, template_for_family

log = logging.getLogger(__name__)

_GREEDY = {"temperature": 0.0, "top_k": 1, "cache_prompt": True, "stream": True, "timings_per_token": True}


def parse_native(event: dict[str, Any]) -> Chunk:
    """One /infill or /completion stream event (llama-server's own format)."""
    timings = event.get("timings") or {}
    finish = None
    if event.get("stop"):
        finish = StopReason.MAX_TOKENS if event.get("stop_type") == "limit" else StopReason.STOP_TOKEN
    return Chunk(
        event.get("content") or "",
        finish,
        event.get("tokens_evaluated"),
        timings.get("prompt_n"),
        event.get("tokens_predicted"),
    )


class LlamaServerBackend:
    """Asks the server what it runs (/props, /tokenize) once it answers; until then uses the settings."""

    def __init__(self, client: HttpClient, *, fim_family: str, context_length: int) -> None:
        self._client = client
        self._family = fim_family
        try:
            self.template: FimTemplate = template_for_family("qwen" if fim_family == "auto" else fim_family)
        except ValueError as exc:
            raise ModelError(f"{exc}. Fix: set iquest.fimFamily.") from exc
        self.info = ModelInfo(
            name="llama-server",
            path=client.base_url,
            architecture="llama-server",
            fim_family=self.template.family,
            context_length=context_length,
        )
        self._probed = False
        self._probe()

    def _probe(self) -> None:
        """Learn the model, the slot context and (unless set) the FIM family; quiet while the server is down."""
        if self._probed:
            return
        try:
            props = self._client.get_json("/props")
            if self._family == "auto":
                self.template = detect_template(self._has_special_token)
        except ModelError as exc:
            log.info("llama-server not probed yet: %s", exc)
            return
        settings = props.get("default_generation_settings") or {}
        model_path = str(props.get("model_path") or props.get("model_alias") or "llama-server")
        self.info = ModelInfo(
            name=PurePath(model_path).stem or model_path,
            path=f"{self._client.base_url} ({model_path})",
            architecture="llama-server",
            fim_family=self.template.family,
            context_length=int(settings.get("n_ctx") or self.info.context_length),
        )
        self._probed = True
        log.info(
            "llama-server at %s runs %s (FIM %s, n_ctx %d)",
            self._client.base_url,
            self.info.name,
            self.template.family,
            self.info.context_length,
        )

    def _has_special_token(self, text: str) -> bool:
        """True when the server's vocabulary has ``text`` as one special token."""
        special = self._client.post_json("/tokenize", {"content": text, "parse_special": True})["tokens"]
        if len(special) != 1:
            return False
        plain = self._client.post_json("/tokenize", {"content": text, "parse_special": False})["tokens"]
        return len(plain) > 1

    def complete(self, request: GenerationRequest, cancel: threading.Event) -> GenerationResult:
        """/infill (the server lays out the FIM prompt and the repository context), or /completion without FIM."""
        self._probe()
        # n_predict 0 evaluates the prompt into the slot's cache and samples one token: a warm-up.
        result = self._infill(request, cancel) if self.template.uses_fim else self._prefix_only(request, cancel)
        return as_warm_up(result) if request.max_tokens == 0 else result

    def _infill(self, request: GenerationRequest, cancel: threading.Event) -> GenerationResult:
        # The typed middle stays in input_prefix: this llama-server appends ``prompt`` to the prefix
        # anyway (before the suffix marker) and parses special tokens in it, which user text must not get.
        window = fit_request(request, uses_fim=True, split_middle=False, heal_words=True)
        body = {
            "input_prefix": window.prefix,
            "input_suffix": window.suffix,
            "input_extra": [{"filename": path, "text": text} for path, text in window.context],
            "n_predict": request.max_tokens,
            **_GREEDY,
            **_starting_with(window.healed),
        }
        shown = self.template.build(
            window.prefix,
            window.suffix,
            repo_name=request.repo_name,
            path=request.path,
            context=window.context,
            comment=request.comment,
        )
        try:
            return self._generate("/infill", body, shown, request, cancel, window.healed)
        except ModelError as exc:
            if "HTTP 501" not in str(exc):
                raise
            log.info("llama-server cannot infill with this model (%s); completing the prefix only", exc)
            self.template = template_for_family("none")
            self.info = dataclasses.replace(self.info, fim_family="none")
            return self._prefix_only(request, cancel)

    def _prefix_only(self, request: GenerationRequest, cancel: threading.Event) -> GenerationResult:
        window = fit_request(request, uses_fim=False, split_middle=False, heal_words=True)
        prompt = self.template.build(
            window.prefix, "", path=request.path, context=window.context, comment=request.comment
        )
        body = {
            "prompt": prompt,
            "n_predict": request.max_tokens,
            "stop": list(self.template.stop_tokens),
            **_GREEDY,
            **_starting_with(window.healed),
        }
        return self._generate("/completion", body, prompt, request, cancel, window.healed)

    def _generate(
        self,
        path: str,
        body: dict[str, Any],
        shown: str,
        request: GenerationRequest,
        cancel: threading.Event,
        healed: str,
    ) -> GenerationResult:
        return generate(
            self._client,
            path,
            body,
            parse_native,
            prompt=shown,
            cancel=cancel,
            deadline=request.deadline,
            should_stop=request.should_stop,
            healed=healed,
        )

    def chat(self, request: ChatRequest, cancel: threading.Event) -> GenerationResult:
        """Chat through the server's OpenAI endpoint with the model's own chat template."""
        self._probe()
        return openai_api.chat(self._client, "default", request, cancel)

    def generate(self, request: TextRequest, cancel: threading.Event) -> GenerationResult:
        """/completion with the raw prompt (this llama-server parses the markers in it as special tokens)."""
        self._probe()
        body = {"prompt": request.prompt, "n_predict": request.max_tokens, "stop": list(request.stop), **_GREEDY}
        return generate(
            self._client,
            "/completion",
            body,
            parse_native,
            prompt=request.prompt,
            cancel=cancel,
            deadline=request.deadline,
            should_stop=request.should_stop,
        )

    def close(self) -> None:
        """Nothing is held between requests."""


def _starting_with(healed: str) -> dict[str, str]:
    """A GBNF grammar that makes the answer start with ``healed`` (token healing on the server's side)."""
    if not healed:
        return {}
    literal = healed.replace("\\", "\\\\").replace('"', '\\"')
    return {"grammar": f'root ::= "{literal}" .*'}
