"""scripts/llama_server_build.py: the cached binary is reused; a stale or missing one is built once."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "llama_server_build.py"


@pytest.fixture
def helper(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("llama_server_build_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "LLAMA_SERVER_HOME", tmp_path)
    monkeypatch.delenv("IQUEST_LLAMA_SERVER", raising=False)
    builds: list[int] = []

    def fake_build() -> Path:
        builds.append(1)
        target = module.cached_binary()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("binary")
        module._stamp().write_text(module.LLAMA_CPP_PYTHON)
        return target

    monkeypatch.setattr(module, "build_llama_server", fake_build)
    module.builds = builds
    return module


def test_missing_binary_is_built_once_then_reused(helper):
    first = helper.ensure_llama_server()
    assert helper.ensure_llama_server() == first and first.read_text() == "binary"
    assert helper.builds == [1]


def test_a_binary_from_another_llama_cpp_python_is_rebuilt(helper):
    helper.cached_binary().parent.mkdir(parents=True)
    helper.cached_binary().write_text("old")
    helper._stamp().write_text("0.3.1")
    helper.ensure_llama_server()
    assert helper.builds == [1]


def test_an_explicit_binary_wins(helper, monkeypatch):
    monkeypatch.setenv("IQUEST_LLAMA_SERVER", "/opt/llama/llama-server")
    assert helper.llama_server_binary() == Path("/opt/llama/llama-server") and helper.builds == []


def test_pick_sdist_reads_the_json_simple_index(helper):
    index = {
        "files": [{"filename": "llama_cpp_python-0.3.36.tar.gz", "url": "https://x/36", "hashes": {"sha256": "bb"}}]
    }
    assert helper.pick_sdist(index, "llama_cpp_python-0.3.36.tar.gz") == ("https://x/36", "bb")
    with pytest.raises(SystemExit):
        helper.pick_sdist(index, "llama_cpp_python-9.tar.gz")
