"""A file's imports (module names as written) and the line spans of its top-level import statements."""

from __future__ import annotations

from functools import cache

from tree_sitter import Node, Query, QueryCursor

from lsp_server.context.languages import get_language, get_parser
from lsp_server.context.summaries.builder import Builder, collapse

_JS_IMPORTS = """
(import_statement source: (string) @source)
(export_statement source: (string) @source)
(call_expression
  function: (identifier) @function (#eq? @function "require")
  arguments: (arguments . (string) @source))
(call_expression function: (import) arguments: (arguments . (string) @source))
"""
_IMPORT_QUERIES = {
    "python": "(import_statement) @import (import_from_statement) @import (future_import_statement) @import",
    "javascript": _JS_IMPORTS,
    "typescript": _JS_IMPORTS + "(import_require_clause source: (string) @source)",
    "tsx": _JS_IMPORTS + "(import_require_clause source: (string) @source)",
    "go": "(import_spec path: (_) @source)",
    "rust": "(use_declaration argument: (_) @use) (mod_item !body) @mod (extern_crate_declaration) @crate",
    "java": "(import_declaration) @import",
    "c": "(preproc_include path: (_) @include)",
    "cpp": "(preproc_include path: (_) @include)",
}


@cache
def _import_query(language: str) -> Query:
    return Query(get_language(language), _IMPORT_QUERIES[language])


def file_imports(b: Builder, root: Node) -> tuple[str, ...]:
    """The names a file imports, in source order, each once."""
    found: list[tuple[int, str]] = []
    for _, captures in QueryCursor(_import_query(b.language)).matches(root):
        for capture, nodes in captures.items():
            for node in nodes:
                for name in _import_names(b, capture, node, captures):
                    found.append((node.start_byte, name))
    found.sort(key=lambda item: item[0])
    return tuple(dict.fromkeys(name for _, name in found if name))


def _string_value(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        return text[1:-1]
    return text


def _import_names(b: Builder, capture: str, node: Node, captures: dict[str, list[Node]]) -> list[str]:
    if capture == "source":
        function = captures.get("function")
        if function and not (function[0].type == "import" or b.text(function[0]) == "require"):
            return []
        return [_string_value(b.text(node))]
    if capture == "include":
        text = b.text(node)
        return [text if node.type == "system_lib_string" else _string_value(text)]
    if capture == "use":
        return [collapse(b.text(node))]
    if capture == "mod":
        return [f"mod {b.field_text(node, 'name')}"]
    if capture == "crate":
        return [collapse(b.text(node))]
    if capture == "import":
        return _keyword_import_names(b, node)
    return []


def _keyword_import_names(b: Builder, node: Node) -> list[str]:
    kind = node.type
    if kind == "import_statement":
        names = []
        for child in node.children_by_field_name("name"):
            if child.type == "aliased_import":
                child = child.child_by_field_name("name") or child
            names.append(b.text(child))
        return names
    if kind == "import_from_statement":
        return [collapse(b.text(node.child_by_field_name("module_name")))]
    if kind == "future_import_statement":
        return ["__future__"]
    # Java: the imported name, with ".*" for on-demand imports.
    name = next((c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None)
    if name is None:
        return []
    wildcard = any(c.type == "asterisk" for c in node.children)
    return [b.text(name) + (".*" if wildcard else "")]


# The statements that hold an import capture (a require() call sits in a declaration or an expression).
_IMPORT_STATEMENTS = frozenset(
    {
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "export_statement",
        "lexical_declaration",
        "variable_declaration",
        "expression_statement",
        "use_declaration",
        "mod_item",
        "extern_crate_declaration",
        "import_declaration",
        "preproc_include",
    }
)
# Imports guarded at the top level (try/except ImportError, if TYPE_CHECKING) count as the file's own.
_GUARDS = frozenset({"if_statement", "try_statement", "else_clause", "except_clause", "block"})


def import_statement_lines(source: str, language: str) -> list[tuple[int, int]]:
    """(first line, last line) of each top-level import statement of ``source``, in order."""
    if language not in _IMPORT_QUERIES:
        return []
    tree = get_parser(language).parse(source.encode("utf-8", "surrogatepass"))
    root = tree.root_node
    spans: dict[tuple[int, int], None] = {}
    for _, captures in QueryCursor(_import_query(language)).matches(root):
        for nodes in captures.values():
            for node in nodes:
                statement = node
                while statement is not None and statement.type not in _IMPORT_STATEMENTS:
                    statement = statement.parent
                if statement is not None and _at_top_level(statement, root):
                    spans.setdefault((statement.start_point[0], statement.end_point[0]), None)
    return sorted(spans)


def _at_top_level(node: Node, root: Node) -> bool:
    parent = node.parent
    while parent is not None and parent != root:
        if parent.type not in _GUARDS:
            return False
        parent = parent.parent
    return parent is not None
