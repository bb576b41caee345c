"""WorkspaceIndex: summaries, symbol table, disk cache reuse, updates, import resolution."""

from __future__ import annotations

from pathlib import Path

from lsp_server.context.files import WorkspaceFiles
from lsp_server.context.index import WorkspaceIndex


def _project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "geometry.py").write_text(
        'class Vector:\n    """A 2-D vector."""\n\n    def length(self) -> float:\n        return 0.0\n\n\n'
        "def dot(a, b):\n    return a.x * b.x\n"
    )
    (root / "pkg" / "app.py").write_text("from .geometry import Vector, dot\n\n\ndef main():\n    v = Vector()\n")
    (root / "web").mkdir()
    (root / "web" / "util.ts").write_text(
        "export function clamp(x: number, lo: number, hi: number): number {\n  return x;\n}\n"
    )
    (root / "web" / "main.ts").write_text('import { clamp } from "./util";\nconsole.log(clamp(1, 0, 2));\n')
    return root


def test_build_collects_summaries_and_definitions(tmp_path):
    index = WorkspaceIndex(WorkspaceFiles([_project(tmp_path)]), None)
    stats = index.build()
    assert stats.files == 5 and stats.parsed == 5  # the empty __init__.py has nothing to index
    assert {d.path for d in index.definitions("Vector")} == {"pkg/geometry.py"}
    assert [d.symbol.kind for d in index.definitions("clamp")] == ["function"]
    assert index.summary("pkg/app.py").imports == (".geometry",)


def test_warm_restart_reads_summaries_from_the_disk_cache(tmp_path):
    root = _project(tmp_path / "repo")
    cache = tmp_path / "cache"
    WorkspaceIndex(WorkspaceFiles([root]), cache).build()
    warm = WorkspaceIndex(WorkspaceFiles([root]), cache)
    stats = warm.build()
    assert stats.parsed == 0 and stats.from_cache == 5
    assert warm.definitions("dot")[0].path == "pkg/geometry.py"


def test_corrupt_cache_is_dropped_and_indexing_continues(tmp_path):
    root = _project(tmp_path / "repo")
    cache = tmp_path / "cache"
    WorkspaceIndex(WorkspaceFiles([root]), cache).build()
    for file in cache.iterdir():
        if file.is_file():
            file.write_bytes(b"\x00garbage" * 100)
    index = WorkspaceIndex(WorkspaceFiles([root]), cache)
    stats = index.build()
    assert stats.files == 5
    assert index.definitions("Vector")


def test_update_and_remove_follow_the_disk(tmp_path):
    root = _project(tmp_path)
    index = WorkspaceIndex(WorkspaceFiles([root]), None)
    index.build()
    before = index.generation
    (root / "pkg" / "geometry.py").write_text("def cross(a, b):\n    return 0\n")
    assert index.update_path(root / "pkg" / "geometry.py") == "parsed"
    assert index.definitions("Vector") == [] and index.definitions("cross")
    assert index.generation > before
    (root / "pkg" / "geometry.py").unlink()
    index.remove_path(root / "pkg" / "geometry.py")
    assert index.definitions("cross") == [] and index.summary("pkg/geometry.py") is None


def test_open_documents_win_over_the_disk_until_closed(tmp_path):
    root = _project(tmp_path)
    index = WorkspaceIndex(WorkspaceFiles([root]), None)
    index.build()
    index.set_open_document("pkg/geometry.py", "def unsaved_helper():\n    pass\n")
    assert index.definitions("unsaved_helper") and not index.definitions("Vector")
    assert index.update_path(root / "pkg" / "geometry.py") == "skipped"
    index.close_document(root / "pkg" / "geometry.py")
    assert index.definitions("Vector") and not index.definitions("unsaved_helper")


def test_imports_resolve_to_workspace_files(tmp_path):
    index = WorkspaceIndex(WorkspaceFiles([_project(tmp_path)]), None)
    index.build()
    assert index.resolve_import("pkg/app.py", ".geometry") == "pkg/geometry.py"
    assert index.resolve_import("pkg/app.py", "pkg.geometry") == "pkg/geometry.py"
    assert index.resolve_import("web/main.ts", "./util") == "web/util.ts"
    assert index.resolve_import("pkg/app.py", "os.path") is None


def test_files_outside_the_workspace_are_never_indexed(tmp_path):
    root = _project(tmp_path / "repo")
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET_THING = 1\n")
    index = WorkspaceIndex(WorkspaceFiles([root]), None)
    index.build()
    assert index.update_path(outside) == "skipped"
    assert index.definitions("SECRET_THING") == []


def test_resolved_imports_follow_files_that_appear_and_disappear(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "app.py").write_text("from .models import Order\n")
    index = WorkspaceIndex(WorkspaceFiles([tmp_path]), None)
    changes: list[tuple[str, bool]] = []
    index.listeners.append(lambda rel, text: changes.append((rel, text is not None)))
    index.build()
    assert index.resolve_import("pkg/app.py", ".models") is None
    (tmp_path / "pkg" / "models.py").write_text("class Order:\n    pass\n")
    index.update_path(tmp_path / "pkg" / "models.py")
    assert index.resolve_import("pkg/app.py", ".models") == "pkg/models.py"
    (tmp_path / "pkg" / "models.py").unlink()
    index.remove_path(tmp_path / "pkg" / "models.py")
    assert index.resolve_import("pkg/app.py", ".models") is None
    assert changes == [("pkg/app.py", True), ("pkg/models.py", True), ("pkg/models.py", False)]
