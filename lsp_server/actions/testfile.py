"""Where generated unit tests go, following the project's test layout, and how they import the code."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TargetFile:
    """The test file to create or append to, and the import line the tests need."""

    path: Path
    import_line: str


def _python_module(root: Path, module: Path) -> str:
    parts = list(module.relative_to(root).with_suffix("").parts)
    if parts and parts[0] in ("src", "lib"):
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def target_for(root: Path, module: Path, language: str, name: str) -> TargetFile | None:
    """tests/test_<module>.py (or test/, or beside it), Python; <name>.test.<ext> for JS/TS; <name>_test.go for Go."""
    stem = module.stem
    if language == "python":
        folder = next((root / name for name in ("tests", "test") if (root / name).is_dir()), module.parent)
        return TargetFile(folder / f"test_{stem}.py", f"from {_python_module(root, module)} import {name}")
    if language in ("javascript", "typescript", "tsx"):
        folder = module.parent / "__tests__" if (module.parent / "__tests__").is_dir() else module.parent
        target = folder / f"{stem}.test{module.suffix}"
        relative = os.path.relpath(module.with_suffix(""), folder).replace(os.sep, "/")
        if not relative.startswith("."):
            relative = f"./{relative}"
        return TargetFile(target, f'import {{ {name} }} from "{relative}";')
    if language == "go":
        return TargetFile(module.parent / f"{stem}_test.go", "(same package: no import needed)")
    return None
