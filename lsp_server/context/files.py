"""Which workspace files may be read at all: roots, .gitignore, excluded folders, secrets, size."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from lsp_server.context.languages import language_for_path
from lsp_server.context.secrets import is_secret_path

SKIPPED_DIRS = frozenset(
    {
        ".git",
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
    }
)
BINARY_SNIFF_BYTES = 8192

_Spec = pathspec.GitIgnoreSpec
# One .gitignore level: how many path parts below the root its directory is, and its rules.
_Level = tuple[int, _Spec]


@dataclass(frozen=True)
class FilePolicy:
    """Limits from the settings: largest file to read, extra gitignore-style exclude globs."""

    max_bytes: int = 1_000_000
    exclude: tuple[str, ...] = ()


def _signature(path: str) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def _read_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().splitlines()
    except OSError:
        return []


def _looks_binary(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return b"\0" in handle.read(BINARY_SNIFF_BYTES)
    except OSError:
        return True


class WorkspaceFiles:
    """The workspace roots and the rules for which files under them may be indexed or read."""

    def __init__(self, roots: Sequence[os.PathLike[str] | str], policy: FilePolicy = FilePolicy()) -> None:
        resolved: dict[Path, None] = {}
        for root in roots:
            resolved[Path(root).resolve()] = None
        self.roots: tuple[Path, ...] = tuple(resolved)
        self.policy = policy
        self._root_set = frozenset(self.roots)
        self._labels = self._root_labels()
        self._exclude = _Spec.from_lines(policy.exclude) if policy.exclude else None
        # directory -> (signatures of its ignore files, their parsed rules or None)
        self._specs: dict[str, tuple[tuple[object, ...], _Spec | None]] = {}

    def _root_labels(self) -> dict[Path, str]:
        if len(self.roots) == 1:
            return {self.roots[0]: ""}
        labels: dict[Path, str] = {}
        taken: set[str] = set()
        for root in self.roots:
            label, number = root.name or "root", 1
            while label in taken:
                number += 1
                label = f"{root.name or 'root'}-{number}"
            taken.add(label)
            labels[root] = label
        return labels

    # -- locating -------------------------------------------------------------------------

    def _root_of(self, resolved: Path) -> Path | None:
        """The innermost root holding an already resolved path."""
        best: Path | None = None
        for root in self.roots:
            if resolved.is_relative_to(root) and (best is None or len(root.parts) > len(best.parts)):
                best = root
        return best

    def _locate(self, path: os.PathLike[str] | str) -> tuple[Path, Path] | None:
        """(resolved path, its root), or None when it resolves outside every root or not at all."""
        try:
            resolved = Path(path).resolve()
        except (OSError, RuntimeError):  # a symlink loop
            return None
        root = self._root_of(resolved)
        return None if root is None else (resolved, root)

    def contains(self, path: os.PathLike[str] | str) -> bool:
        """Whether the path, once `..` and symlinks are resolved, lies inside a root."""
        return self._locate(path) is not None

    def relative(self, path: os.PathLike[str] | str) -> str:
        """The posix path below its root, prefixed by the root's folder name when there are several."""
        located = self._locate(path)
        if located is None:
            raise ValueError(f"{path} is outside the workspace roots")
        resolved, root = located
        rel = resolved.relative_to(root).as_posix()
        label = self._labels[root]
        if not label:
            return "" if rel == "." else rel
        return label if rel == "." else f"{label}/{rel}"

    # -- ignore rules -----------------------------------------------------------------------

    def _dir_spec(self, folder: str) -> _Spec | None:
        """The rules of a directory's .gitignore, after its repository's info/exclude if it has one."""
        gitignore = os.path.join(folder, ".gitignore")
        exclude = os.path.join(folder, ".git", "info", "exclude")
        key = (_signature(gitignore), _signature(exclude))
        cached = self._specs.get(folder)
        if cached is not None and cached[0] == key:
            return cached[1]
        lines: list[str] = []
        # Lines later in one spec win, so .gitignore overrides info/exclude as in git.
        if key[1] is not None:
            lines += _read_lines(exclude)
        if key[0] is not None:
            lines += _read_lines(gitignore)
        spec = _Spec.from_lines(lines) if any(line.strip() for line in lines) else None
        self._specs[folder] = (key, spec)
        return spec

    @staticmethod
    def _ignored(levels: list[_Level], parts: Sequence[str], is_dir: bool) -> bool:
        """Git's verdict: the deepest .gitignore with a matching pattern decides."""
        for depth, spec in reversed(levels):
            rel = "/".join(parts[depth:])
            verdict = spec.check_file(rel + "/" if is_dir else rel).include
            if verdict is not None:
                return verdict
        return False

    def _excluded(self, parts: Sequence[str], is_dir: bool) -> bool:
        if self._exclude is None:
            return False
        rel = "/".join(parts)
        return bool(self._exclude.check_file(rel + "/" if is_dir else rel).include)

    def _root_levels(self, root: Path) -> list[_Level]:
        spec = self._dir_spec(str(root))
        return [] if spec is None else [(0, spec)]

    # -- the rules for one file ---------------------------------------------------------------

    def _file_allowed(self, path: str, name: str, size: int) -> bool:
        return (
            language_for_path(name) is not None
            and not is_secret_path(name)
            and size <= self.policy.max_bytes
            and not _looks_binary(path)
        )

    def is_indexable(self, path: os.PathLike[str] | str) -> bool:
        """Whether iter_files would list this file (its resolved path): for file-watcher events."""
        located = self._locate(path)
        if located is None:
            return False
        resolved, root = located
        if is_secret_path(Path(path).name) or language_for_path(resolved.name) is None:
            return False
        parts = resolved.relative_to(root).parts
        if not parts or any(part in SKIPPED_DIRS for part in parts[:-1]):
            return False
        levels = self._root_levels(root)
        folder = root
        for depth, part in enumerate(parts[:-1], 1):
            folder = folder / part
            if self._ignored(levels, parts[:depth], True) or self._excluded(parts[:depth], True):
                return False
            spec = self._dir_spec(str(folder))
            if spec is not None:
                levels = [*levels, (depth, spec)]
        if self._ignored(levels, parts, False) or self._excluded(parts, False):
            return False
        try:
            info = os.stat(resolved)
        except OSError:
            return False
        return stat.S_ISREG(info.st_mode) and self._file_allowed(str(resolved), resolved.name, info.st_size)

    # -- walking --------------------------------------------------------------------------------

    def iter_files(self) -> Iterator[Path]:
        """Every indexable source file, resolved, root by root in path order; ignored folders are never entered."""
        for root in self.roots:
            if not root.is_dir():
                continue
            yield from self._walk(root, (), self._root_levels(root))

    def _walk(self, folder: Path, parts: tuple[str, ...], levels: list[_Level]) -> Iterator[Path]:
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            return
        for entry in entries:
            name = entry.name
            try:
                # Symlinks are never followed (follow_symlinks=False): a target inside a root is listed
                # where it really lives, and one outside every root must not be read.
                is_dir = entry.is_dir(follow_symlinks=False)
                if not is_dir and not entry.is_file(follow_symlinks=False):
                    continue
            except OSError:
                continue
            entry_parts = (*parts, name)
            if is_dir:
                path = folder / name
                if name in SKIPPED_DIRS or path in self._root_set:
                    continue  # a nested root is walked on its own
                if self._ignored(levels, entry_parts, True) or self._excluded(entry_parts, True):
                    continue
                spec = self._dir_spec(entry.path)
                inner = levels if spec is None else [*levels, (len(entry_parts), spec)]
                yield from self._walk(path, entry_parts, inner)
            elif language_for_path(name) is not None and not is_secret_path(name):
                if self._ignored(levels, entry_parts, False) or self._excluded(entry_parts, False):
                    continue
                try:
                    size = entry.stat(follow_symlinks=False).st_size
                except OSError:
                    continue
                if self._file_allowed(entry.path, name, size):
                    yield folder / name

    # -- reading ----------------------------------------------------------------------------------

    def read_text(self, path: os.PathLike[str] | str) -> str | None:
        """The file's text, or None if it is outside the roots, secret, too big, binary, not UTF-8 or missing."""
        located = self._locate(path)
        if located is None:
            return None
        resolved, root = located
        if is_secret_path(Path(path).name) or is_secret_path(resolved.name):
            return None
        if ".git" in resolved.relative_to(root).parts:
            return None  # git's own files may hold remote URLs with credentials
        try:
            with open(resolved, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    return None
                data = handle.read(self.policy.max_bytes + 1)
        except OSError:
            return None
        if len(data) > self.policy.max_bytes or b"\0" in data[:BINARY_SNIFF_BYTES]:
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return text[1:] if text.startswith("\ufeff") else text
