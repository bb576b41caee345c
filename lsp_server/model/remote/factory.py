"""Build the remote backend that iquest.backend names."""

from __future__ import annotations

from lsp_server.model.backend import Backend
from lsp_server.model.runtime import BackendFactory
from lsp_server.progress import Progress
from lsp_server.settings import Settings


def remote_backend_factory(settings: Settings) -> BackendFactory:
    """Make a loader for the llama-server or OpenAI-compatible backend with these settings."""

    def build(progress: Progress) -> Backend:
        from lsp_server.model.remote.http import HttpClient

        progress(f"Connecting to {settings.server_url}", 20)
        if settings.backend == "llama-server":
            from lsp_server.model.remote.llama_server import LlamaServerBackend

            client = HttpClient(settings.server_url, settings.api_key_env, label="llama-server")
            return LlamaServerBackend(client, fim_family=settings.fim_family, context_length=settings.context_size)
        from lsp_server.model.remote.openai_backend import OpenAICompatibleBackend

        client = HttpClient(settings.server_url, settings.api_key_env, label="OpenAI-compatible server")
        return OpenAICompatibleBackend(
            client, model=settings.server_model, fim_family=settings.fim_family, context_length=settings.context_size
        )

    return build
