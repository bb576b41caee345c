"""remote_backend_factory: iquest.backend picks the backend, pointed at iquest.serverUrl."""

from lsp_server.model.remote.factory import remote_backend_factory
from lsp_server.model.remote.llama_server import LlamaServerBackend
from lsp_server.model.remote.openai_backend import OpenAICompatibleBackend
from lsp_server.settings import Settings


def test_each_remote_backend_is_built_from_the_settings(fake_server):
    fake_server.routes["/v1/models"] = lambda h, b: fake_server.reply(h, 200, {"data": [{"id": "served-model"}]})
    steps: list[str] = []
    llama = remote_backend_factory(Settings(backend="llama-server", server_url=fake_server.url))(
        lambda m, p: steps.append(m)
    )
    assert isinstance(llama, LlamaServerBackend) and llama.info.path.startswith(fake_server.url)
    assert steps == [f"Connecting to {fake_server.url}"]
    openai = remote_backend_factory(
        Settings(backend="openai-compatible", server_url=fake_server.url, fim_family="starcoder")
    )(lambda m, p: None)
    assert isinstance(openai, OpenAICompatibleBackend)
    assert openai.info.name == "served-model" and openai.template.family == "starcoder"
