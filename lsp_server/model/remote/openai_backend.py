"""A backend on any OpenAI-compatible server (vLLM, Ollama, LM Studio, llama-server): our FIM prompt
over /v1/completions, chat over /v1/chat/completions."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from lsp_server.model.backend import (
    ChatRequest,
    GenerationRequest,
    GenerationResult,
    ModelError,
    ModelInfo,
    TextRequest,
)
from lsp_server.model.remote import openai_api
from lsp_server.model.remote.generation import as_warm_up, generate
from lsp_server.model.remote.http import HttpClient
from lsp_server.model.remote.window import fit_request
from lsp_server.prompting.fim import FimTemplate, template_for_family

log = logging.getLogger(__name__)

# These APIs take text and parse special tokens in it: the family's own markers in user code would
# restructure the prompt, so a zero-width space breaks them up (the model sees the same characters).
_BREAK = "\u200b"


def defuse(text: str, template: FimTemplate) -> str:
    """``text`` with the template's special tokens broken up so the server reads them as plain text."""
    for token in {
        template.prefix_token,
        template.suffix_token,
        template.middle_token,
        template.repo_name_token,
        template.file_sep_token,
        *template.stop_tokens,
    }:
        token = (token or "").strip()
        if len(token) > 1 and token in text:
            text = text.replace(token, token[0] + _BREAK + token[1:])
    return text


class OpenAICompatibleBackend:
    """FIM with our template and stop tokens; the vocabulary family comes from iquest.fimFamily (default qwen)."""

    def __init__(self, client: HttpClient, *, model: str, fim_family: str, context_length: int) -> None:
        self._client = client
        family = "qwen" if fim_family == "auto" else fim_family
        try:
            self.template: FimTemplate = template_for_family(family)
        except ValueError as exc:
            raise ModelError(f"{exc}. Fix: set iquest.fimFamily.") from exc
        self._model = model
        self._context_length = context_length
        self.info = self._info()
        if not model:
            self._resolve_model()

    def _info(self) -> ModelInfo:
        return ModelInfo(
            name=self._model or "(first model the server lists)",
            path=self._client.base_url,
            architecture="openai-compatible",
            fim_family=self.template.family,
            context_length=self._context_length,
        )

    def _resolve_model(self) -> str:
        """The model to ask for: iquest.serverModel, or the first one the server lists (asked once it answers)."""
        if not self._model:
            try:
                self._model = openai_api.first_model_id(self._client)
            except ModelError as exc:
                log.info("no model id yet: %s", exc)
                return ""
            self.info = self._info()
        return self._model

    def complete(self, request: GenerationRequest, cancel: threading.Event) -> GenerationResult:
        """FIM through /v1/completions with our template; the typed middle follows the middle marker."""
        window = fit_request(request, uses_fim=self.template.uses_fim, split_middle=True)
        t = self.template
        prompt = t.build(
            defuse(window.prefix, t),
            defuse(window.suffix, t),
            repo_name=request.repo_name,
            path=request.path,
            context=[(p, defuse(c, t)) for p, c in window.context],
            comment=request.comment,
        ) + defuse(window.middle, t)
        # A warm-up (max_tokens 0) asks for one token: enough for a server's prefix cache to keep the prompt.
        body = openai_api.completion_body(self._resolve_model(), prompt, max(1, request.max_tokens), t.stop_tokens)
        result = self._completions(
            body, prompt, cancel, request.deadline, should_stop=request.should_stop, healed=window.healed
        )
        return as_warm_up(result) if request.max_tokens == 0 else result

    def chat(self, request: ChatRequest, cancel: threading.Event) -> GenerationResult:
        """Chat through /v1/chat/completions with the server's chat template."""
        return openai_api.chat(self._client, self._resolve_model(), request, cancel)

    def generate(self, request: TextRequest, cancel: threading.Event) -> GenerationResult:
        """/v1/completions with the raw prompt; the text parts have their markers broken up."""
        prompt = "".join(text if marker else defuse(text, self.template) for text, marker in request.parts)
        body = openai_api.completion_body(self._resolve_model(), prompt, request.max_tokens, request.stop)
        return self._completions(body, prompt, cancel, request.deadline, should_stop=request.should_stop)

    def _completions(
        self,
        body: dict[str, Any],
        prompt: str,
        cancel: threading.Event,
        deadline: float | None,
        *,
        should_stop: Callable[[str], bool] | None = None,
        healed: str = "",
    ) -> GenerationResult:
        """Stream /v1/completions for ``body``."""
        return generate(
            self._client,
            openai_api.api_path(self._client, "completions"),
            body,
            openai_api.parse_completion,
            prompt=prompt,
            cancel=cancel,
            deadline=deadline,
            should_stop=should_stop,
            healed=healed,
        )

    def close(self) -> None:
        """Nothing is held between requests."""
