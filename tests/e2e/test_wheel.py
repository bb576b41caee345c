"""The built wheel works on its own: a fresh venv, no checkout, model list/fetch, doctor and a real completion."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL = "smollm2-135m"


def _run(*args: str | Path, cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_a_wheel_installed_in_a_fresh_venv_fetches_a_model_and_completes_without_the_checkout(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # Built from a copy of what the wheel is made of, so no build/ folder in the checkout leaks stale files in.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "lsp_server", source / "lsp_server", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", dist, source, cwd=tmp_path, env=env)
    (wheel,) = dist.glob("iquest_lsp-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "lsp_server/model/catalog.toml" in names
        assert "lsp_server/scan/rules/python.yml" in names and "lsp_server/scan/rules/javascript.yml" in names
        assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), names
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert "License-Expression: Apache-2.0" in metadata

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=env)
    python, cli = venv / "bin" / "python", venv / "bin" / "iquest-lsp"
    # Not editable, dependencies from the index (pip's cache holds the built llama-cpp-python).
    _run(python, "-m", "pip", "install", "--disable-pip-version-check", "-q", wheel, cwd=tmp_path, env=env)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    models = tmp_path / "models"
    env.update(IQUEST_MODEL_DIR=str(models), IQUEST_CACHE_DIR=str(tmp_path / "cache"))
    env["IQUEST_STATE_DIR"] = str(tmp_path / "state")
    where = _run(python, "-c", "import lsp_server; print(lsp_server.__file__)", cwd=elsewhere, env=env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout

    # Semgrep came with it and scans with the rules shipped in the wheel, offline.
    scan = _run(
        python,
        "-c",
        "import asyncio; from lsp_server.scan.service import Scanner, ScanFile; "
        "r = asyncio.run(Scanner().scan([ScanFile('a.py', '', 'import subprocess\\n"
        "subprocess.run(cmd, shell=True)\\n')])); print(r.engine, [f.rule for f in r.findings])",
        cwd=elsewhere,
        env=env,
    )
    assert "semgrep 1." in scan.stdout and "python.command-injection.shell-true" in scan.stdout, scan.stdout

    listing = json.loads(_run(cli, "model", "list", "--json", cwd=elsewhere, env=env).stdout)
    assert MODEL in {model["name"] for model in listing["models"]} and listing["models_dir"] == str(models)

    fetched = _run(cli, "model", "fetch", MODEL, cwd=elsewhere, env=env)
    assert "ready:" in fetched.stdout and (models / f"{MODEL}.gguf").is_file()

    report = json.loads(_run(cli, "doctor", "--model", MODEL, "--json", cwd=elsewhere, env=env).stdout)
    assert report["ok"] is True and report["model"]["state"] == "verified", report

    demo = _run(cli, "demo", "--model", MODEL, cwd=elsewhere, env=env)
    assert "shapes.py:35:9" in demo.stdout and "suggestion (ghost text):" in demo.stdout, demo.stdout
    assert demo.stdout.split("suggestion (ghost text):", 1)[1].strip()
