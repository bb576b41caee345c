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


def test_read_recent_spans_rotated_files_and_skips_bad_lines(tmp_path):
    from lsp_server.audit import format_entry, read_recent

    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, max_bytes=900, keep=3)
    for i in range(12):
        log.record(
            "edit_proposed",
            uri="file:///a.py",
            model="m",
            prompt=str(i),
            output=f"out {i}\nmore",
            action="docstring",
            range={"start": [i, 0], "end": [i, 0]},
        )
    with open(path, "a") as handle:
        handle.write("not json\n")
    entries = read_recent(path, limit=5)
    assert [e["range"]["start"][0] for e in entries] == [7, 8, 9, 10, 11]
    assert read_recent(tmp_path / "missing.jsonl") == []
    line = format_entry(entries[-1])
    assert (
        "edit_proposed/docstring" in line and "file:///a.py:12" in line and "out 11\\nmore" in line and "\n" not in line
    )


def test_entries_without_prompt_or_output_have_no_hashes(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("accepted", uri="u", model="m", prompt=None, output=None, id="x", action=None)
    (entry,) = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert entry["id"] == "x" and "output" not in entry and "prompt_sha256" not in entry and "action" not in entry
