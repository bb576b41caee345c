"""FIM completions from Qwen2.5-Coder-0.5B over a real LSP session: Python and JavaScript."""

from __future__ import annotations

import asyncio
import re
import tempfile
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
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

ROOT = Path(tempfile.mkdtemp(prefix="iquest-fim-"))


@pytest_lsp.fixture(scope="module", config=server_config())
async def client(lsp_client: LanguageClient):
    require_model("qwen2.5-coder-0.5b")
    await lsp_client.initialize_session(initialize_params(ROOT, model="qwen2.5-coder-0.5b", auditLog=False))
    yield
    await lsp_client.shutdown_session()


async def test_requests_are_answered_while_the_model_loads(client: LanguageClient):
    # llama.cpp redirects fd 1 while loading; an unprotected stdio server goes silent here.
    states = []
    for _ in range(600):
        states.append((await status(client))["state"])
        if states[-1] not in ("not loaded", "loading"):
            break
        await asyncio.sleep(0.01)
    assert "loading" in states, states[:5]
    assert states[-1] == "ready", states[-1]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def _complete(client: LanguageClient, name: str, language: str, before: str, after: str) -> str:
    status = await wait_until_loaded(client)
    assert status["state"] == "ready" and status["fimFamily"] == "qwen", status
    uri = open_document(client, ROOT / name, before + after, language)
    line, character = end_of(before)
    items = items_of(await client.text_document_inline_completion_async(inline_params(uri, line, character)))
    assert len(items) == 1, "no suggestion"
    return items[0].insert_text


async def test_python_return_line(client: LanguageClient):
    before = 'def add(a: int, b: int) -> int:\n    """Return the sum of a and b."""\n    '
    after = "\n\n\nprint(add(1, 2))\n"
    text = await _complete(client, "calc.py", "python", before, after)
    assert _squash(text) in ("returna+b", "returnb+a"), text


async def test_python_return_line_uses_the_local_names(client: LanguageClient):
    before = "def average(values):\n    total = sum(values)\n    count = len(values)\n    "
    after = "\n\n\nprint(average([1, 2, 3]))\n"
    text = await _complete(client, "stats.py", "python", before, after)
    assert _squash(text) == "returntotal/count", text


async def test_python_mid_line_is_single_line_and_respects_the_suffix(client: LanguageClient):
    before = "import math\n\n\ndef hypotenuse(a, b):\n    return math.sqrt("
    after = ")\n"
    text = await _complete(client, "geo.py", "python", before, after)
    assert "\n" not in text
    assert not text.endswith(")"), "the closing bracket is already in the document"
    assert "a" in text and "b" in text


async def test_python_mid_word_continues_the_typed_word(client: LanguageClient):
    # Without token healing the model takes the typed "f" for a whole name and answers ".seek(0)".
    before = 'import io\n\n\ndef rewind(file: io.BytesIO) -> None:\n    """Go back to the start of the file."""\n    f'
    after = "\n\n\nrewind(io.BytesIO(b'abc'))\n"
    text = await _complete(client, "rewind.py", "python", before, after)
    assert text.startswith("ile"), text


async def test_python_mid_word_after_a_dot(client: LanguageClient):
    before = "import os\n\n\ndef config_path(name):\n    return os.path.jo"
    after = "\n"
    text = await _complete(client, "paths.py", "python", before, after)
    assert text.startswith("in("), text


async def test_javascript_return_line(client: LanguageClient):
    before = "function multiply(x, y) {\n  "
    after = "\n}\n\nmodule.exports = { multiply };\n"
    text = await _complete(client, "math.js", "javascript", before, after)
    squashed = _squash(text).rstrip(";")
    assert squashed in ("returnx*y", "returny*x"), text
    assert "}" not in text, "the block's closing brace is already in the suffix"
