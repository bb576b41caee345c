"""Summarize a source file's imports and top-level definitions with tree-sitter, for prompt context."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tree_sitter import Node, Tree

from lsp_server.context.languages import get_parser
from lsp_server.context.summaries.builder import (
    MAX_SIGNATURE_CHARS,
    MAX_VALUE_CHARS,
    Builder,
    annotation_text,
    node_text,
    parameter_types,
    value_type,
)
from lsp_server.context.summaries.c import walk_c
from lsp_server.context.summaries.go import walk_go
from lsp_server.context.summaries.imports import file_imports, import_statement_lines
from lsp_server.context.summaries.java import walk_java
from lsp_server.context.summaries.javascript import walk_js
from lsp_server.context.summaries.python import walk_python
from lsp_server.context.summaries.rust import walk_rust
from lsp_server.context.summaries.summary import CONTAINER_KINDS, FileSummary, Symbol, render_summary, symbol_source

__all__ = [
    "CONTAINER_KINDS",
    "MAX_SIGNATURE_CHARS",
    "MAX_VALUE_CHARS",
    "SUMMARIZER_VERSION",
    "FileSummary",
    "Symbol",
    "annotation_text",
    "import_statement_lines",
    "node_text",
    "parameter_types",
    "render_summary",
    "summarize",
    "symbol_source",
    "value_type",
]

SUMMARIZER_VERSION = 2

_Walker = Callable[[Builder, Iterable[Node], "str | None"], None]

_WALKERS: dict[str, _Walker] = {
    "python": walk_python,
    "javascript": walk_js,
    "typescript": walk_js,
    "tsx": walk_js,
    "go": walk_go,
    "rust": walk_rust,
    "java": walk_java,
    "c": walk_c,
    "cpp": walk_c,
}


def summarize(source: bytes | str, language: str, path: str, tree: Tree | None = None) -> FileSummary:
    """Summarize a file's imports and definitions; ``tree`` must be a parse of exactly ``source``."""
    walker = _WALKERS.get(language)
    if walker is None:
        raise ValueError(f"unsupported language: {language!r}")
    src = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    if tree is None:
        tree = get_parser(language).parse(src)
    builder = Builder(src, language)
    root = tree.root_node
    walker(builder, root.children, None)
    return FileSummary(
        path=path,
        language=language,
        imports=file_imports(builder, root),
        symbols=tuple(builder.symbols),
    )
