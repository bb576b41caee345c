"""WorkspaceContext with a real index and watcher: recent snippets leave with closed and deleted files."""

import json
import time
from pathlib import Path

from lsp_server.context.files import FilePolicy
from lsp_server.context.workspace import IndexState, WorkspaceContext

TEXT = "def helper(value):\n    total = value * 2\n    return total\n"


def _started(root: Path) -> WorkspaceContext:
    (root / "a.py").write_text(TEXT)
    (root / "b.py").write_text(TEXT.replace("helper", "other"))
    context = WorkspaceContext([root], FilePolicy(), None)
    assert context.start() == []
    return context


def _recent_paths(context: WorkspaceContext, seen_from: str) -> list[str]:
    return [snippet.path for snippet in context.recent.others(seen_from)]


def test_a_closed_document_leaves_the_recent_snippets(tmp_path):
    context = _started(tmp_path)
    try:
        context.document_changed(tmp_path / "a.py", TEXT, 1)
        assert _recent_paths(context, "b.py") == ["a.py"]
        context.document_closed(tmp_path / "a.py")
        assert _recent_paths(context, "b.py") == []
    finally:
        context.stop()


def test_a_file_deleted_on_disk_leaves_the_recent_snippets(tmp_path):
    context = _started(tmp_path)
    try:
        assert context.watching
        context.document_changed(tmp_path / "a.py", TEXT, 1)
        (tmp_path / "a.py").unlink()
        deadline = time.monotonic() + 10
        while _recent_paths(context, "b.py") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _recent_paths(context, "b.py") == []
    finally:
        context.stop()


def test_index_states_show_in_status_as_the_strings_they_always_were(tmp_path):
    assert [str(state) for state in IndexState] == ["not started", "indexing", "ready", "failed", "off"]
    context = WorkspaceContext([tmp_path], FilePolicy(), None)
    try:
        assert json.dumps(context.status()["state"]) == '"not started"'
        assert context.start() == [] and context.status()["state"] == "ready"
    finally:
        context.stop()
