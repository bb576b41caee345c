"""Audit log: JSONL entries with hashes, rotation, switch, unwritable path."""

import json

from lsp_server.audit import AuditLog, sha256_text


def test_record_appends_json_lines_with_hashes(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("inline_completion", uri="file:///a.py", model="m", prompt="P", output="return 1", offset=3)
    log.record("inline_completion", uri="file:///a.py", model="m", prompt="Q", output="x", offset=4)
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert len(entries) == 2
    assert entries[0]["prompt_sha256"] == sha256_text("P")
    assert entries[0]["output_sha256"] == sha256_text("return 1")
    assert entries[0]["output"] == "return 1"
    assert entries[0]["offset"] == 3 and entries[1]["model"] == "m"
    assert "P" not in entries[0].values()  # the prompt itself is never stored


def test_disabled_log_writes_nothing(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl", enabled=False)
    log.record("inline_completion", uri="u", model="m", prompt="p", output="o")
    assert not (tmp_path / "audit.jsonl").exists()


def test_rotation_keeps_a_bounded_number_of_files(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, max_bytes=200, keep=2)
    for i in range(30):
        log.record("k", uri="u", model="m", prompt=str(i), output="o" * 50)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]
    assert path.stat().st_size < 600


def test_unwritable_path_does_not_raise(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    log = AuditLog(blocker / "audit.jsonl")
    log.record("k", uri="u", model="m", prompt="p", output="o")  # must not raise
    log.record("k", uri="u", model="m", prompt="p", output="o")
    assert blocker.read_text() == "not a directory"
