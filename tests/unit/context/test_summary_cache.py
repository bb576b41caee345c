"""The JSON summary cache: round trips, bad rows and bad files rebuilt, planted pickles never executed."""

from __future__ import annotations

import json
import pickle
import sqlite3
from pathlib import Path

import pytest

from lsp_server.context.files import WorkspaceFiles
from lsp_server.context.index import WorkspaceIndex
from lsp_server.context.summaries import summarize
from lsp_server.context.summary_cache import DB_NAME, SummaryCache, summary_from_json, summary_to_json

CODE = (
    "import os\n\n\nclass Shape:\n"
    '    """A shape — ünïcode."""\n\n    sides: int = 0\n\n    def area(self) -> float:\n        return 0.0\n'
)


class _Payload:
    """Unpickling this writes ``marker``: the proof that a pickle was executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('executed')",))


def _planted_pickle(marker: Path) -> bytes:
    payload = pickle.dumps(_Payload(marker))
    pickle.loads(payload)  # the payload really runs code when unpickled...
    assert marker.exists()
    marker.unlink()  # ...so the assertions below that it did not run can fail
    return payload


def _project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "shapes.py").write_text(CODE)
    (root / "pkg" / "app.py").write_text("from .shapes import Shape\n\n\ndef main():\n    return Shape()\n")
    return root


def test_a_summary_survives_the_json_round_trip_and_the_stored_text_is_json(tmp_path):
    summary = summarize(CODE, "python", "pkg/shapes.py")
    assert summary.symbols and any(symbol.parent == "Shape" for symbol in summary.symbols)
    assert summary_from_json(summary_to_json(summary)) == summary
    cache = SummaryCache(tmp_path)
    cache.set("k", summary)
    assert cache.get("k") == summary and cache.get("other") is None
    cache.close()
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        (stored,) = db.execute("SELECT value FROM summaries WHERE key = 'k'").fetchone()
    assert json.loads(stored)["symbols"][0]["name"] == summary.symbols[0].name


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"path": "a.py", "language": "python", "imports": [], "symbols": [{"name": 1}]}',
        '{"path": "a.py", "language": "python", "imports": [3], "symbols": []}',
        '{"path": "a.py", "language": "python", "imports": [], "symbols": [], "extra": 1}',
        b"\x80\x04K\x01.",
    ],
)
def test_anything_but_a_written_summary_is_refused(text):
    assert summary_from_json(text) is None


def test_a_symbol_with_a_wrong_field_type_is_refused():
    data = json.loads(summary_to_json(summarize(CODE, "python", "s.py")))
    data["symbols"][0]["start_line"] = True
    assert summary_from_json(json.dumps(data)) is None
    data["symbols"][0]["start_line"] = 3
    assert summary_from_json(json.dumps(data)) is not None


def test_the_oldest_entries_are_evicted_beyond_the_size_limit(tmp_path):
    summary = summarize(CODE, "python", "pkg/shapes.py")
    size = len(summary_to_json(summary).encode())
    cache = SummaryCache(tmp_path, size_limit=size * 5)
    for number in range(8):
        cache.set(f"k{number}", summary)
    kept = [number for number in range(8) if cache.get(f"k{number}") is not None]
    assert kept and kept == list(range(8 - len(kept), 8)) and len(kept) <= 5
    assert cache.get("k7") == summary


def test_a_pickle_planted_as_the_cache_file_is_never_executed_and_the_index_is_rebuilt(tmp_path):
    root = _project(tmp_path / "repo")
    cache_dir = tmp_path / "cache"
    first = WorkspaceIndex(WorkspaceFiles([root]), cache_dir)
    assert first.build().parsed == 2
    first.close()
    marker = tmp_path / "executed"
    planted = _planted_pickle(marker)
    for name in (DB_NAME, "cache.db"):  # ours, and where diskcache kept its pickles
        (cache_dir / name).write_bytes(planted)
    (cache_dir / "ab" / "cd").mkdir(parents=True)
    (cache_dir / "ab" / "cd" / "0123.val").write_bytes(planted)

    index = WorkspaceIndex(WorkspaceFiles([root]), cache_dir)
    stats = index.build()
    assert not marker.exists()
    assert stats.parsed == 2 and stats.from_cache == 0
    assert index.definitions("Shape") and index.cache_error and "rebuilt" in index.cache_error
    assert not (cache_dir / "cache.db").exists() and not (cache_dir / "ab" / "cd" / "0123.val").exists()
    index.close()
    warm = WorkspaceIndex(WorkspaceFiles([root]), cache_dir)
    assert warm.build().from_cache == 2 and warm.cache_error is None
    assert not marker.exists()


def test_a_pickle_planted_in_a_cache_row_is_never_executed_and_that_entry_is_rebuilt(tmp_path):
    root = _project(tmp_path / "repo")
    cache_dir = tmp_path / "cache"
    first = WorkspaceIndex(WorkspaceFiles([root]), cache_dir)
    first.build()
    first.close()
    marker = tmp_path / "executed"
    planted = _planted_pickle(marker)
    with sqlite3.connect(cache_dir / DB_NAME) as db:
        (key,) = db.execute("SELECT key FROM summaries ORDER BY rowid LIMIT 1").fetchone()
        db.execute("UPDATE summaries SET value = ? WHERE key = ?", (planted, key))
        db.execute("INSERT INTO summaries (key, value) VALUES ('planted', ?)", (planted,))
    db.close()

    index = WorkspaceIndex(WorkspaceFiles([root]), cache_dir)
    stats = index.build()
    assert not marker.exists()
    assert (stats.parsed, stats.from_cache) == (1, 1)
    assert index.cache_error and "invalid entries" in index.cache_error
    index.close()
    assert WorkspaceIndex(WorkspaceFiles([root]), cache_dir).build().from_cache == 2


def test_a_cache_folder_that_cannot_be_created_leaves_an_index_that_works(tmp_path):
    root = _project(tmp_path / "repo")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n")
    index = WorkspaceIndex(WorkspaceFiles([root]), blocker / "cache")
    assert index.build().parsed == 2 and index.definitions("Shape")
    assert index.cache_error and "unusable" in index.cache_error
