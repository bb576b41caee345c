"""server.backend_factory: iquest.backend chooses between in-process and remote loaders."""

from lsp_server.server import backend_factory
from lsp_server.settings import Settings


def test_the_local_backend_stays_the_default_and_the_setting_switches_it():
    assert backend_factory(Settings()).__qualname__.startswith("llama_backend_factory")
    for name in ("llama-server", "openai-compatible"):
        assert backend_factory(Settings(backend=name)).__qualname__.startswith("remote_backend_factory")
