"""Tests for which workspace files may be listed and read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsp_server.context import files as files_module
from lsp_server.context.files import FilePolicy, WorkspaceFiles


def write(root: Path, rel: str, text: str = "x = 1\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def listed(files: WorkspaceFiles, root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in files.iter_files()]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(root, ".gitignore", "*.gen.py\n!important.gen.py\nlogs/\n/top_only.py\nold.py/\n")
    for rel in (
        "main.py",
        "x.gen.py",
        "important.gen.py",
        "top_only.py",
        "logs/log.py",
        "old.py/inner.py",
        "pkg/__init__.py",
        "pkg/top_only.py",
        "pkg/old.py",
        "pkg/logs/deep.py",
        "pkg/keep.gen.py",
        "pkg/other.gen.py",
        "pkg/local_note.py",
        "pkg/scratch/tmp.py",
        "pkg/sub/kept.py",
        "README.md",
        "web/app.ts",
        "web/style.css",
    ):
        write(root, rel)
    write(root, "pkg/.gitignore", "!keep.gen.py\nscratch/\n")
    write(root, ".git/info/exclude", "local_*.py\n")
    write(root, ".git/hooks/hook.py")
    for skipped in (
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "dist",
        "build",
        "target",
        "pkg/build",
    ):
        write(root, f"{skipped}/mod.py")
    return root


EXPECTED = [
    "important.gen.py",
    "main.py",
    "pkg/__init__.py",
    "pkg/keep.gen.py",
    "pkg/old.py",
    "pkg/sub/kept.py",
    "pkg/top_only.py",
    "web/app.ts",
]


def test_gitignore_levels_negation_anchoring_and_dir_only_patterns(tree: Path) -> None:
    files = WorkspaceFiles([tree])
    # *.gen.py ignored but !important.gen.py and the nested !keep.gen.py re-include; /top_only.py
    # is anchored to the root; logs/ matches at any depth; old.py/ is a directory-only pattern;
    # pkg/.gitignore's scratch/ applies below pkg; .git/info/exclude drops local_*.py.
    assert listed(files, tree) == EXPECTED


def test_order_is_path_order_and_paths_are_absolute(tree: Path) -> None:
    paths = list(WorkspaceFiles([tree]).iter_files())
    assert paths == sorted(paths, key=lambda p: p.parts)
    assert all(p.is_absolute() and p == p.resolve() for p in paths)


def test_gitignore_overrides_info_exclude(tree: Path) -> None:
    write(tree, "pkg/.gitignore", "!keep.gen.py\nscratch/\n!local_note.py\n")
    assert "pkg/local_note.py" in listed(WorkspaceFiles([tree]), tree)


def test_ignored_and_skipped_directories_are_never_scanned(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scanned: list[str] = []
    real_scandir = os.scandir

    def recording_scandir(path: str | os.PathLike[str] = ".") -> object:
        scanned.append(Path(path).relative_to(tree).as_posix())
        return real_scandir(path)

    monkeypatch.setattr(files_module.os, "scandir", recording_scandir)
    files = WorkspaceFiles([tree], FilePolicy(exclude=("web/",)))
    assert "web/app.ts" not in listed(files, tree)
    assert sorted(scanned) == [".", "pkg", "pkg/sub"]


def test_symlinks_leaving_the_roots_are_not_followed(tmp_path: Path) -> None:
    root, outside = tmp_path / "proj", tmp_path / "outside"
    write(root, "a.py")
    target = write(outside, "leak.py", "SECRET = 1\n")
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    (root / "linked_file.py").symlink_to(target)
    files = WorkspaceFiles([root])
    assert listed(files, root) == ["a.py"]
    for link in (root / "linked_file.py", root / "linked_dir" / "leak.py"):
        assert not files.contains(link)
        assert not files.is_indexable(link)
        assert files.read_text(link) is None


def test_symlink_inside_the_root_reads_its_target(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    real = write(root, "src/real.py", "VALUE = 42\n")
    (root / "alias.py").symlink_to(real)
    (root / "src_link").symlink_to(root / "src", target_is_directory=True)
    files = WorkspaceFiles([root])
    assert listed(files, root) == ["src/real.py"]  # listed once, where it lives
    assert files.is_indexable(root / "alias.py")
    assert files.read_text(root / "alias.py") == "VALUE = 42\n"
    assert files.relative(root / "src_link" / "real.py") == "src/real.py"


def test_root_given_through_a_symlink_is_resolved(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root, "a.py")
    (tmp_path / "link").symlink_to(root, target_is_directory=True)
    files = WorkspaceFiles([tmp_path / "link"])
    assert files.roots == (root.resolve(),)
    assert list(files.iter_files()) == [root.resolve() / "a.py"]


def test_dot_dot_paths_cannot_escape(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root, "a.py", "A = 1\n")
    write(tmp_path, "outside.py", "B = 2\n")
    files = WorkspaceFiles([root])
    escape = root / ".." / "outside.py"
    assert not files.contains(escape)
    assert not files.is_indexable(escape)
    assert files.read_text(escape) is None
    with pytest.raises(ValueError):
        files.relative(escape)
    inside = root / "sub" / ".." / "a.py"
    assert files.contains(inside) and files.relative(inside) == "a.py"
    assert files.read_text(inside) == "A = 1\n"


def test_secret_files_are_never_listed_or_read(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root, "app.py")
    for rel in ("secrets.py", "config/secrets.ts", ".env", "deploy/server.pem", "id_rsa", ".npmrc"):
        write(root, rel, "TOKEN = 'value'\n")
    files = WorkspaceFiles([root])
    assert listed(files, root) == ["app.py"]
    for rel in ("secrets.py", ".env", "deploy/server.pem", "id_rsa"):
        assert files.read_text(root / rel) is None
        assert not files.is_indexable(root / rel)
    (root / "innocent.py").symlink_to(root / ".env")
    (root / ".env.py").symlink_to(root / "app.py")
    for link in ("innocent.py", ".env.py"):
        assert files.read_text(root / link) is None
        assert not files.is_indexable(root / link)


def test_binary_non_utf8_and_oversized_files(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root, "ok.py", "x = 1\n")
    (root / "binary.py").write_bytes(b"x = 1\n\0\0\0")
    (root / "latin1.py").write_bytes("name = 'café'\n".encode("latin-1"))
    write(root, "big.py", "x = 1\n" * 100)
    (root / "bom.py").write_bytes(b"\xef\xbb\xbfy = 2\n")
    files = WorkspaceFiles([root], FilePolicy(max_bytes=100))
    assert listed(files, root) == ["bom.py", "latin1.py", "ok.py"]
    assert files.read_text(root / "binary.py") is None
    assert files.read_text(root / "latin1.py") is None
    assert files.read_text(root / "big.py") is None
    assert files.read_text(root / "bom.py") == "y = 2\n"
    assert not files.is_indexable(root / "binary.py") and not files.is_indexable(root / "big.py")


def test_read_text_never_raises(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root, "a.py")
    files = WorkspaceFiles([root])
    assert files.read_text(root / "missing.py") is None
    assert files.read_text(root) is None
    assert files.read_text(root / "a.py" / "nested.py") is None
    assert not files.is_indexable(root / "missing.py")
    (root / "loop.py").symlink_to(root / "loop.py")
    assert files.read_text(root / "loop.py") is None
    assert not files.is_indexable(root / "loop.py")
    assert list(files.iter_files()) == [root / "a.py"]
    write(root, ".git/config", "[remote]\nurl = https://user:pw@host/repo\n")
    assert files.read_text(root / ".git" / "config") is None


def test_exclude_globs_from_settings(tree: Path) -> None:
    files = WorkspaceFiles([tree], FilePolicy(exclude=("pkg/sub/", "*_only.py", "/main.py")))
    assert listed(files, tree) == ["important.gen.py", "pkg/__init__.py", "pkg/keep.gen.py", "pkg/old.py", "web/app.ts"]
    assert not files.is_indexable(tree / "pkg" / "sub" / "kept.py")


def test_two_roots_prefix_relative_paths_with_the_root_name(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "app", tmp_path / "b" / "lib"
    write(first, "main.py")
    write(second, "util/helpers.py")
    files = WorkspaceFiles([first, second])
    paths = list(files.iter_files())
    assert paths == [first / "main.py", second / "util" / "helpers.py"]
    assert [files.relative(p) for p in paths] == ["app/main.py", "lib/util/helpers.py"]
    assert files.relative(second) == "lib"
    assert WorkspaceFiles([first]).relative(first / "main.py") == "main.py"


def test_same_named_roots_get_distinct_prefixes(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "app", tmp_path / "b" / "app"
    write(first, "x.py")
    write(second, "x.py")
    files = WorkspaceFiles([first, second])
    assert len({files.relative(p) for p in files.iter_files()}) == 2


def test_nested_root_files_are_listed_once(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    write(outer, "a.py")
    write(outer, "inner/b.py")
    files = WorkspaceFiles([outer, outer / "inner"])
    assert sorted(files.iter_files()) == [outer / "a.py", outer / "inner" / "b.py"]


def test_is_indexable_agrees_with_iter_files(tree: Path) -> None:
    files = WorkspaceFiles([tree], FilePolicy(exclude=("web/",)))
    walked = set(files.iter_files())
    every = [Path(folder) / name for folder, _, names in os.walk(tree) for name in names]
    assert len(every) > 30
    disagreements = [p for p in every if files.is_indexable(p) != (p in walked)]
    assert disagreements == []
    assert walked  # the agreement is not all-False


def test_gitignore_edit_takes_effect(tree: Path) -> None:
    files = WorkspaceFiles([tree])
    target = tree / "pkg" / "sub" / "kept.py"
    assert files.is_indexable(target)
    write(tree, "pkg/sub/.gitignore", "kept.py\n")
    assert not files.is_indexable(target)
    assert "pkg/sub/kept.py" not in listed(files, tree)
    write(tree, "pkg/.gitignore", "!keep.gen.py\nscratch/\nsub/\n")  # same file, now longer
    (tree / "pkg" / "sub" / ".gitignore").unlink()
    assert not files.is_indexable(target)
    write(tree, "pkg/.gitignore", "")
    assert files.is_indexable(target)
    assert "pkg/sub/kept.py" in listed(files, tree)


def test_three_thousand_files_are_all_listed(tmp_path: Path) -> None:
    root = tmp_path / "big"
    write(root, ".gitignore", "*.tmp.py\n" + "".join(f"pattern_{i}_*.py\n" for i in range(20)))
    for d in range(60):
        folder = root / f"pkg{d % 6}" / f"mod{d}"
        folder.mkdir(parents=True)
        for f in range(50):
            (folder / f"f{f}.py").write_text("x = 1\n")
    files = WorkspaceFiles([root])
    assert sum(1 for _ in files.iter_files()) == 3000
