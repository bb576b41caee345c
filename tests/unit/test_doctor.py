"""`iquest-lsp doctor`: the report as text and as JSON, problems with their fix."""

from __future__ import annotations

import io
import json

from lsp_server.doctor import collect_report, run_doctor
from lsp_server.model.gpu import gpu_offload_supported


def test_a_missing_model_is_a_problem_with_the_fetch_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("IQUEST_MODEL_DIR", str(tmp_path))
    report = collect_report("smollm2-135m")
    assert report["ok"] is False and report["model"]["state"] == "missing"
    assert any("iquest-lsp model fetch smollm2-135m" in problem for problem in report["problems"])
    assert report["models_dir"] == str(tmp_path)


def test_json_and_text_say_the_same_and_name_the_gpu_default(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("IQUEST_MODEL_DIR", str(tmp_path))
    as_json, as_text = io.StringIO(), io.StringIO()
    assert run_doctor(as_json, "smollm2-135m", as_json=True) == 1
    assert run_doctor(as_text, "smollm2-135m") == 1
    report = json.loads(as_json.getvalue())
    assert report["gpu_offload"] is gpu_offload_supported()
    assert report["gpu_layers_default"] == ("-1: all layers" if report["gpu_offload"] else "-1: none, CPU only")
    assert f"gpuLayers default: {report['gpu_layers_default']}" in as_text.getvalue()
    assert report["packages"]["llama-cpp-python"] in as_text.getvalue()
    for problem in report["problems"]:
        assert f"PROBLEM: {problem}" in as_text.getvalue()


def test_an_unknown_model_is_reported(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("IQUEST_MODEL_DIR", str(tmp_path))
    report = collect_report("no-such-model")
    assert report["ok"] is False and "unknown model 'no-such-model'" in report["problems"][0]


def test_semgrep_and_the_verify_sandbox_are_reported_not_problems(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("IQUEST_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("IQUEST_SEMGREP", "")  # as if it were not installed
    text = io.StringIO()
    run_doctor(text, "smollm2-135m")
    report = collect_report("smollm2-135m")
    assert report["security"]["semgrep"] is None and report["security"]["verify_sandbox"].startswith("sandbox: ")
    assert "semgrep: NOT INSTALLED; proposed edits get the built-in patterns only" in text.getvalue()
    assert [p for p in report["problems"] if not p.startswith("model file missing")] == []
