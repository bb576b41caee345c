"""Map file paths to tree-sitter languages and hand out parsers for them."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
from functools import cache
from pathlib import PurePath

from tree_sitter import Language, Parser

LANGUAGE_BY_SUFFIX: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
}

LINE_COMMENT: dict[str, str] = {
    "python": "#",
    "javascript": "//",
    "typescript": "//",
    "tsx": "//",
    "go": "//",
    "rust": "//",
    "java": "//",
    "c": "//",
    "cpp": "//",
}

# language -> (grammar module, function returning the language pointer, distribution name)
_GRAMMARS: dict[str, tuple[str, str, str]] = {
    "python": ("tree_sitter_python", "language", "tree-sitter-python"),
    "javascript": ("tree_sitter_javascript", "language", "tree-sitter-javascript"),
    "typescript": ("tree_sitter_typescript", "language_typescript", "tree-sitter-typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx", "tree-sitter-typescript"),
    "go": ("tree_sitter_go", "language", "tree-sitter-go"),
    "rust": ("tree_sitter_rust", "language", "tree-sitter-rust"),
    "java": ("tree_sitter_java", "language", "tree-sitter-java"),
    "c": ("tree_sitter_c", "language", "tree-sitter-c"),
    "cpp": ("tree_sitter_cpp", "language", "tree-sitter-cpp"),
}

SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(_GRAMMARS)

_local = threading.local()


def language_for_path(path: str | os.PathLike[str]) -> str | None:
    """Return the language name for a file path by its suffix, or None if unsupported."""
    return LANGUAGE_BY_SUFFIX.get(PurePath(os.fspath(path)).suffix.lower())


def _grammar(language: str) -> tuple[str, str, str]:
    try:
        return _GRAMMARS[language]
    except KeyError:
        raise ValueError(f"unsupported language: {language!r}") from None


@cache
def get_language(language: str) -> Language:
    """Return the (process-wide, immutable) tree-sitter Language for a language name."""
    module_name, function_name, _ = _grammar(language)
    module = importlib.import_module(module_name)
    return Language(getattr(module, function_name)())


def get_parser(language: str) -> Parser:
    """Return a Parser for the language, one per thread since parsers are not thread-safe."""
    parsers: dict[str, Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(language)
    if parser is None:
        parser = parsers[language] = Parser(get_language(language))
    return parser


@cache
def grammar_version(language: str) -> str:
    """Return a version string of the grammar and tree-sitter runtime, for cache keys."""
    _, _, distribution = _grammar(language)
    return (
        f"{distribution}=={importlib.metadata.version(distribution)};"
        f"tree-sitter=={importlib.metadata.version('tree-sitter')}"
    )
