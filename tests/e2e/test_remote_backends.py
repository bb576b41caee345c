"""Remote backends against a real llama-server on loopback (the llama.cpp llama-cpp-python vendors).

The binary is built once into ~/.cache/iquest-lsp/llama-server (scripts/llama_server_build.py;
scripts/dev.sh test does it first). Servers run with one thread, one slot and a small context.
"""

from __future__ import annotations

import asyncio
import http.client
import importlib.util
import json
import secrets
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsp_session import (
    end_of,
    initialize_params,
    inline_params,
    items_of,
    open_document,
    require_model,
    server_config,
    status,
    wait_until_loaded,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_server.model.backend import ChatRequest, GenerationRequest
from lsp_server.model.catalog import load_catalog
from lsp_server.model.fetch import model_file
from lsp_server.model.remote.http import HttpClient, RemoteError
from lsp_server.model.remote.llama_server import LlamaServerBackend
from lsp_server.model.remote.openai_backend import OpenAICompatibleBackend

API_KEY = "iq-" + secrets.token_hex(16)
KEY_ENV = "IQUEST_E2E_REMOTE_KEY"
ROOT = Path(tempfile.mkdtemp(prefix="iquest-remote-"))
AUDIT = ROOT / "audit.jsonl"
PY_TEXT = 'import os\n\n\ndef greet(name):\n    """Say hello."""\n    print("Hello, " + name)\n\n\ndef main():\n    '


def _build_helper():
    path = Path(__file__).resolve().parents[2] / "scripts" / "llama_server_build.py"
    spec = importlib.util.spec_from_file_location("llama_server_build", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlamaServer:
    """A llama-server process on a fixed loopback port that a test can kill and start again."""

    def __init__(self, model: str, *, api_key: str | None = None) -> None:
        require_model(model)
        self.model_path = model_file(load_catalog().get(model))
        self.binary = _build_helper().llama_server_binary()
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = api_key
        self.log = ROOT / f"llama-server-{model}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> LlamaServer:
        # -b 512 leaves room for input_extra: llama-server gives the context n_ctx - n_batch - 2*n_predict tokens.
        command = [
            str(self.binary),
            "-m",
            str(self.model_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "-t",
            "1",
            "-tb",
            "2",
            "-c",
            "2048",
            "-b",
            "512",
            "-ub",
            "512",
            "-np",
            "1",
            "--no-webui",
        ]
        if self.api_key:
            command += ["--api-key", self.api_key]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"llama-server exited: {self.log.read_text()[-2000:]}"
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"llama-server not healthy: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def slot_busy(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        conn.request("GET", "/slots", headers={"Authorization": f"Bearer {self.api_key}"} if self.api_key else {})
        return any(slot.get("is_processing") for slot in json.loads(conn.getresponse().read()))


@pytest.fixture(scope="module")
def qwen_server():
    server = LlamaServer("qwen2.5-coder-0.5b", api_key=API_KEY).start()
    yield server
    server.kill()


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv(KEY_ENV, API_KEY)


def _request(prefix: str, suffix: str = "", **kwargs) -> GenerationRequest:
    base = dict(
        prefix=prefix,
        suffix=suffix,
        max_tokens=12,
        prefix_tokens=600,
        suffix_tokens=150,
        context_tokens=300,
        deadline=time.monotonic() + 120,
    )
    return GenerationRequest(**{**base, **kwargs})


ADD = "def add(a, b):\n    "
ADD_SUFFIX = "\n\n\nprint(add(1, 2))\n"
CONTEXT = (("calc/ops.py", "def sub(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n"),)


def test_llama_server_infills_with_repository_context_and_reuses_its_cache(qwen_server, key_env):
    backend = LlamaServerBackend(HttpClient(qwen_server.url, KEY_ENV), fim_family="auto", context_length=4096)
    assert backend.info.name == "qwen2.5-coder-0.5b" and backend.template.family == "qwen"
    assert backend.info.context_length == 2048
    bare = backend.complete(_request(ADD, ADD_SUFFIX), threading.Event())
    first = backend.complete(_request(ADD, ADD_SUFFIX, context=CONTEXT, path="calc/add.py"), threading.Event())
    again = backend.complete(_request(ADD, ADD_SUFFIX, context=CONTEXT, path="calc/add.py"), threading.Event())
    assert "a + b" in first.text, first
    assert first.prompt_tokens > bare.prompt_tokens + 20  # the context chunk reached the prompt as input_extra
    assert again.evaluated_tokens < 5 < again.prompt_tokens and again.text == first.text  # cache_prompt
    assert first.generated_tokens > 0
    chat = backend.chat(
        ChatRequest(messages=(("user", "Reply with the single word: yes"),), max_tokens=4), threading.Event()
    )
    assert chat.text.strip() and chat.generated_tokens > 0


def test_llama_server_heals_the_word_at_the_cursor(qwen_server, key_env):
    backend = LlamaServerBackend(HttpClient(qwen_server.url, KEY_ENV), fim_family="auto", context_length=4096)
    prefix = 'import io\n\n\ndef rewind(file: io.BytesIO) -> None:\n    """Go back to the start of the file."""\n    f'
    result = backend.complete(_request(prefix, "\n\n\nrewind(io.BytesIO(b'abc'))\n"), threading.Event())
    # The server's grammar made the answer spell " f" first; we show what follows it.
    assert result.text.startswith("ile"), result


def test_openai_compatible_backend_against_llama_server(qwen_server, key_env):
    backend = OpenAICompatibleBackend(
        HttpClient(qwen_server.url, KEY_ENV), model="", fim_family="auto", context_length=2048
    )
    result = backend.complete(_request(ADD, ADD_SUFFIX, middle_chars=4), threading.Event())
    assert "a + b" in result.text, result
    assert result.prompt_tokens > 10 and result.generated_tokens > 0
    chat = backend.chat(
        ChatRequest(messages=(("user", "Reply with the single word: yes"),), max_tokens=4), threading.Event()
    )
    assert chat.text.strip() and chat.prompt_tokens > 5


def test_cancel_mid_stream_stops_the_servers_generation(qwen_server, key_env):
    backend = LlamaServerBackend(HttpClient(qwen_server.url, KEY_ENV), fim_family="auto", context_length=2048)
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def cancel_once_streaming(text: str) -> bool:
        if len(text) > 20 and not cancel.is_set():  # as if the user typed on: the editor cancels
            cancelled_at.append(time.monotonic())
            threading.Timer(0.2, cancel.set).start()
        return False

    long = _request(
        "# A long list of numbers, one per line\nnumbers = [\n", "", max_tokens=400, should_stop=cancel_once_streaming
    )
    result = backend.complete(long, cancel)
    assert result.stop_reason == "cancelled" and 0 < result.generated_tokens < 400, result
    assert time.monotonic() - cancelled_at[0] < 0.2 + 1.0
    deadline = time.monotonic() + 5
    while qwen_server.slot_busy():  # the closed connection made llama-server drop the task
        assert time.monotonic() < deadline, "llama-server kept generating for a cancelled request"
        time.sleep(0.1)


def test_a_wrong_key_is_refused_with_a_message_that_never_holds_a_key(qwen_server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "wrong-" + API_KEY)
    backend = LlamaServerBackend(HttpClient(qwen_server.url, KEY_ENV), fim_family="qwen", context_length=2048)
    with pytest.raises(RemoteError) as caught:
        backend.complete(_request(ADD, ADD_SUFFIX), threading.Event())
    assert "HTTP 401" in str(caught.value) and f"${KEY_ENV}" in str(caught.value)
    assert API_KEY not in str(caught.value)


def test_llama_server_refuses_infill_without_fim_tokens_and_we_complete_the_prefix():
    server = LlamaServer("smollm2-135m").start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("POST", "/infill", body=json.dumps({"input_prefix": "x = ", "input_suffix": ""}))
        answer = conn.getresponse()
        assert answer.status == 501 and "Infill is not supported" in answer.read().decode()
        backend = LlamaServerBackend(HttpClient(server.url, KEY_ENV), fim_family="qwen", context_length=2048)
        result = backend.complete(_request(PY_TEXT, "\n\nmain()\n"), threading.Event())
        assert backend.info.fim_family == "none" and result.generated_tokens > 0 and result.text
        assert "main()" not in result.prompt.split("def main():")[-1]  # prefix only: the suffix is not sent
    finally:
        server.kill()


# --- Through our language server over stdio ---------------------------------------------------


@pytest.fixture
def smol_server():
    server = LlamaServer("smollm2-135m", api_key=API_KEY).start()
    yield server
    server.kill()


@pytest_lsp.fixture(config=server_config(**{KEY_ENV: API_KEY, "IQUEST_LOG_LEVEL": "DEBUG"}))
async def lsp(lsp_client: LanguageClient):
    yield


async def _wait_for(check, timeout: float = 60):
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await check()):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)
    return result


async def _suggest(client: LanguageClient, name: str) -> list:
    """Open a new document (so no cached suggestion answers) and ask for ghost text at its end."""
    uri = open_document(client, ROOT / name, PY_TEXT, "python")
    line, character = end_of(PY_TEXT)
    return items_of(await client.text_document_inline_completion_async(inline_params(uri, line, character)))


@pytest.mark.asyncio(loop_scope="function")
async def test_switching_to_llama_server_and_surviving_its_restart(
    lsp: LanguageClient, smol_server: LlamaServer, capsys
):
    require_model("smollm2-135m")
    await lsp.initialize_session(
        initialize_params(
            ROOT,
            model="smollm2-135m",
            maxTokens=16,
            contextSize=2048,
            auditLogPath=str(AUDIT),
            apiKeyEnv=KEY_ENV,
            serverUrl=smol_server.url,
            speculate=False,
        )
    )
    try:
        await _restart_session(lsp, smol_server)
    finally:
        final = await status(lsp)
        await lsp.shutdown_session()
    server_log = capsys.readouterr().err  # pytest-lsp forwards the server's stderr (debug level here)
    assert "Cannot reach the llama-server" in server_log
    for text in (json.dumps(final), AUDIT.read_text(), server_log, *(m.message for m in lsp.messages)):
        assert API_KEY not in text


async def _ready_on(client: LanguageClient, architecture: str) -> dict:
    async def check():
        current = await status(client)
        return current if current["state"] == "ready" and current.get("architecture") == architecture else None

    return await _wait_for(check)


async def _restart_session(lsp: LanguageClient, smol_server: LlamaServer) -> None:
    assert (await wait_until_loaded(lsp))["architecture"] == "llama"  # in-process first
    lsp.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"iquest": {"backend": "llama-server"}})
    )
    current = await _ready_on(lsp, "llama-server")
    assert current["model"] == "smollm2-135m" and current["fimFamily"] == "none"
    assert len(await _suggest(lsp, "up.py")) == 1
    assert (await status(lsp))["error"] is None

    smol_server.kill()
    assert await _suggest(lsp, "down1.py") == []
    assert await _suggest(lsp, "down2.py") == []
    down = await status(lsp)
    assert down["state"] == "ready" and "Cannot reach the llama-server" in down["error"]
    shown = [m.message for m in lsp.messages if "Cannot reach" in m.message]
    assert len(shown) == 1 and smol_server.url in shown[0], [m.message for m in lsp.messages]

    smol_server.start()  # same port: suggestions resume with no action from the user
    assert len(await _suggest(lsp, "back.py")) == 1
    assert (await status(lsp))["error"] is None
    assert len([m for m in lsp.messages if "Cannot reach" in m.message]) == 1

    lsp.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"iquest": {"backend": "openai-compatible", "fimFamily": "none"}})
    )
    await _ready_on(lsp, "openai-compatible")
    assert len(await _suggest(lsp, "openai.py")) == 1
