"""Which workspace files an import string names: the string read once, then matched one of two ways.

``resolve_import`` finds the one file an import refers to (the index uses it for prompt context): the exact
paths a relative import, a Rust ``mod`` or an include spells, else the first file whose path ends like the
module. ``importer_counts`` counts for each file how many other files import it (the refactor seed ranks its
key components by it): an import counts for every file whose module path ends in the import's name parts,
relative or not. The two matchers answer different questions and give different files (a relative import
counts for each file of that name), so both stay, on the same reading of the import string.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from lsp_server.context.languages import LANGUAGE_BY_SUFFIX
from lsp_server.context.summaries import FileSummary

# Module paths name no file by these parts: Rust's path keywords.
_PATH_KEYWORDS = ("crate", "self", "super")
_CODE_SUFFIXES = (
    ".py",
    ".pyi",
    ".ts",
    ".tsx",
    ".js",
    ".jsx",
    ".mjs",
    ".go",
    ".rs",
    ".java",
    ".h",
    ".hpp",
    ".c",
    ".cc",
    ".cpp",
)
# The files a module path may name, in the order they are tried: a module file or its package's.
_MODULE_FILES = (
    ".py",
    "/__init__.py",
    ".pyi",
    ".rs",
    "/mod.rs",
    ".java",
    ".ts",
    ".tsx",
    ".js",
    "/index.ts",
    "/index.js",
)
_MODULE_STEMS = frozenset({"__init__", "index", "mod"})  # files that stand for their directory
_NAME_SEPARATORS = re.compile(r"::|[/.\\]")


@dataclass(frozen=True)
class ImportString:
    """An import as written, read once: the module it names and whether it is Rust's ``mod name;``."""

    module: str
    rust_mod: bool = False


def read_import(spec: str) -> ImportString:
    """Read an import string as the summaries keep it: quotes and angle brackets off, Rust's ``mod`` noted."""
    module = spec.strip().strip("<>\"'")
    if module.startswith("mod "):
        return ImportString(module[4:].strip(), rust_mod=True)
    return ImportString(module)


# -- the one file an import refers to -------------------------------------------------------------


def resolve_import(from_rel: str, spec: str, known: Collection[str]) -> str | None:
    """The file of ``known`` (workspace-relative posix paths) that ``spec``, imported by ``from_rel``, names."""
    exact, anywhere = _import_forms(from_rel, read_import(spec))
    for candidate in exact:
        if candidate in known:
            return candidate
    for form in anywhere:
        matches = sorted(p for p in known if p == form or p.endswith("/" + form))
        if matches:
            return matches[0]
    return None


def _import_forms(from_rel: str, spec: ImportString) -> tuple[list[str], list[str]]:
    """(exact workspace paths, path endings) an import may refer to; best effort, any language."""
    here = PurePosixPath(from_rel).parent
    module = spec.module
    if spec.rust_mod:  # Rust `mod name;`
        return [_normalize(here / f"{module}.rs"), _normalize(here / module / "mod.rs")], []
    if module.startswith(("./", "../")):  # JS/TS relative module
        base = _normalize(here / module)
        return [base, *(base + s for s in _CODE_SUFFIXES), *(f"{base}/index{s}" for s in (".ts", ".tsx", ".js"))], []
    if module.startswith("."):  # Python relative import
        dots = len(module) - len(module.lstrip("."))
        package = here
        for _ in range(dots - 1):
            package = package.parent
        rest = module[dots:].replace(".", "/")
        base = _normalize(package / rest) if rest else _normalize(package)
        return [f"{base}.py", f"{base}/__init__.py"], []
    if module.endswith(_CODE_SUFFIXES):  # C/C++ include
        return [_normalize(here / module)], [module]
    separator = "::" if "::" in module else "/" if "/" in module else "."
    parts = [p for p in module.split(separator) if p and p not in _PATH_KEYWORDS]
    forms = []
    while parts:  # `from a.b import c` may name module a/b or a/b/c; Java/Rust name items inside modules
        path = "/".join(parts)
        forms += [path + suffix for suffix in _MODULE_FILES]
        if separator == "/":
            forms.append(path)  # Go package directory
        parts = parts[:-1]
    return [], forms


def _normalize(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


# -- how many files import each file --------------------------------------------------------------


def importer_counts(summaries: Mapping[str, FileSummary]) -> dict[str, int]:
    """For each file, how many other files import it (matched on trailing module-path parts)."""
    by_suffix: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for rel, summary in summaries.items():
        keys = {_module_key(rel)}
        if summary.language == "go":  # Go imports name the package directory
            keys.add(_module_key(str(PurePosixPath(rel).parent / "index")))
        for key in keys:
            for start in range(len(key)):
                by_suffix[key[start:]].add(rel)
    counts: dict[str, int] = defaultdict(int)
    for rel, summary in summaries.items():
        targets: set[str] = set()
        for spec in summary.imports:
            parts = _name_parts(read_import(spec))
            # `from a.b import c` names module a/b or a/b/c; Java and Rust name items inside modules.
            for candidate in (parts, parts[:-1]):
                suffixes = (tuple(candidate[-k:]) for k in range(len(candidate), 0, -1))
                found = next((by_suffix[key] for key in suffixes if key in by_suffix), None)
                if found:
                    targets |= found
                    break
        targets.discard(rel)
        for target in targets:
            counts[target] += 1
    return counts


def _module_key(rel: str) -> tuple[str, ...]:
    """The name parts a module path answers to: `pkg/mod.py` -> (pkg, mod), `pkg/__init__.py` -> (pkg,)."""
    path = PurePosixPath(rel)
    # Split like an import string, so `github.com/x` or `a.test.ts` break into the same parts.
    parts = tuple(part for part in _NAME_SEPARATORS.split(str(path.with_suffix(""))) if part)
    return parts[:-1] if len(parts) > 1 and parts[-1] in _MODULE_STEMS else parts


def _name_parts(spec: ImportString) -> list[str]:
    """The import's name parts, split at every separator any language uses, without a source file's suffix."""
    module = spec.module
    suffix = PurePosixPath(module).suffix
    if suffix.lower() in LANGUAGE_BY_SUFFIX:
        module = module[: -len(suffix)]
    return [part for part in _NAME_SEPARATORS.split(module) if part and part not in (*_PATH_KEYWORDS, "*")]
