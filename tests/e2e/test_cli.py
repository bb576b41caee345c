"""The command line as a user runs it: demo, model list/verify, doctor."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from lsp_session import require_model

CLI = [sys.executable, "-m", "lsp_server"]


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


@pytest.mark.slow
def test_demo_prints_a_real_completion_from_the_default_model():
    require_model("qwen2.5-coder-0.5b")
    result = run("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "shapes.py:35:9" in result.stdout
    assert "cold request:" in result.stdout and "warm request:" in result.stdout
    suggestion = result.stdout.split("suggestion (ghost text):", 1)[1]
    assert "return" in suggestion and "self.radius" in suggestion


def test_demo_on_a_missing_file_is_a_clear_error(tmp_path):
    result = run("demo", str(tmp_path / "nope.py"))
    assert result.returncode == 2
    assert "cannot open" in result.stdout


def test_model_list_shows_the_catalog():
    result = run("model", "list")
    assert result.returncode == 0
    for name in ("smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b", "iquest-coder-v1-7b-instruct"):
        assert name in result.stdout
    assert "* qwen2.5-coder-0.5b" in result.stdout
    assert "not loadable" in result.stdout


def test_doctor_passes_with_the_default_model_and_fails_without(tmp_path):
    require_model("qwen2.5-coder-0.5b")
    good = run("doctor")
    assert good.returncode == 0, good.stdout
    assert "llama-cpp-python: 0.3.36" in good.stdout and "doctor: OK" in good.stdout
    bad = run("doctor", env={"IQUEST_MODEL_DIR": str(tmp_path)})
    assert bad.returncode == 1
    assert "iquest-lsp model fetch qwen2.5-coder-0.5b" in bad.stdout


def test_verify_detects_a_tampered_model(tmp_path):
    require_model("smollm2-135m")
    from lsp_server.model.catalog import load_catalog
    from lsp_server.model.fetch import model_file

    source = model_file(load_catalog().get("smollm2-135m"))
    copy = tmp_path / source.name
    data = bytearray(source.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    result = run("model", "verify", "smollm2-135m", env={"IQUEST_MODEL_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "FAILED" in result.stdout or "mismatch" in result.stdout.lower()


def test_json_output_of_model_list_verify_and_doctor():
    require_model("smollm2-135m")
    listing = run("model", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    models = {model["name"]: model for model in json.loads(listing.stdout)["models"]}
    assert models["smollm2-135m"]["state"] == "fetched+verified"
    assert models["iquest-coder-v1-7b-instruct"]["architecture"] == "llama"
    verify = run("model", "verify", "smollm2-135m", "--json")
    assert verify.returncode == 0, verify.stdout
    (result,) = json.loads(verify.stdout)["results"]
    assert result["status"] == "ok" and result["sha256"] == models["smollm2-135m"]["sha256"]
    doctor = run("doctor", "--model", "smollm2-135m", "--json")
    assert doctor.returncode == 0, doctor.stdout
    report = json.loads(doctor.stdout)
    assert report["ok"] is True and report["model"]["state"] == "verified" and report["problems"] == []
    assert report["packages"]["llama-cpp-python"] == "0.3.36" and isinstance(report["gpu_offload"], bool)
