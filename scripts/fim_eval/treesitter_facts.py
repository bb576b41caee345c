"""Facts about JavaScript, TypeScript and Rust files from tree-sitter."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import tree_sitter

from .source import PUNCTUATION, Facts

COMMENTS = frozenset({"comment", "line_comment", "block_comment", "html_comment"})
IDENTIFIERS = frozenset(
    {
        "identifier",
        "property_identifier",
        "field_identifier",
        "type_identifier",
        "shorthand_property_identifier",
        "private_property_identifier",
        "shorthand_property_identifier_pattern",
        "statement_identifier",
    }
)
# nodes whose identifier leaves are uses of an imported name (a name, or a type in TypeScript/Rust)
USE_NODES = frozenset({"identifier", "type_identifier"})
RUST_ITEMS = frozenset(
    {
        "function_item",
        "struct_item",
        "enum_item",
        "trait_item",
        "type_item",
        "const_item",
        "static_item",
        "macro_definition",
        "mod_item",
        "union_item",
    }
)
_JS_RESOLVE = ("", ".js", ".mjs", ".cjs", ".ts", ".tsx", "/index.js", "/index.ts")


@cache
def parser(language: str) -> tree_sitter.Parser:
    if language == "javascript":
        import tree_sitter_javascript as grammar

        return tree_sitter.Parser(tree_sitter.Language(grammar.language()))
    if language == "typescript":
        import tree_sitter_typescript as grammar

        return tree_sitter.Parser(tree_sitter.Language(grammar.language_typescript()))
    if language == "rust":
        import tree_sitter_rust as grammar

        return tree_sitter.Parser(tree_sitter.Language(grammar.language()))
    raise ValueError(f"no tree-sitter grammar for {language!r}")


@dataclass
class _Parsed:
    facts: Facts
    root: tree_sitter.Node
    encoded: list[bytes]

    def column(self, point: tree_sitter.Point) -> int:
        """tree-sitter's byte column as a str index."""
        return len(self.encoded[point.row][: point.column].decode("utf-8", errors="replace"))

    def text(self, node: tree_sitter.Node) -> str:
        return node.text.decode("utf-8", errors="replace") if node.text is not None else ""


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    cursor = node.walk()
    while True:
        yield cursor.node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


def analyze(files: dict[str, str], language: str) -> dict[str, Facts]:
    """Facts for every file of ``language`` (a tree with syntax errors still gives facts for its sound parts)."""
    block = "block" if language == "rust" else "statement_block"
    parsed = {}
    for path, text in files.items():
        tree = parser(language).parse(text.encode("utf-8"))
        parsed[path] = _Parsed(Facts(path, text), tree.root_node, [line.encode("utf-8") for line in text.split("\n")])
    for item in parsed.values():
        _leaves_and_blocks(item, block)
    if language == "rust":
        defined = {path: _rust_items(item) for path, item in parsed.items()}
        for path, item in parsed.items():
            elsewhere = set().union(*(names for other, names in defined.items() if other != path))
            imported = {local for name, local in _rust_imports(item) if name in elsewhere}
            _mark_uses(item, imported - defined[path], block)
    else:
        for item in parsed.values():
            _mark_uses(item, _js_imports(item, parsed), block)
    return {path: item.facts for path, item in parsed.items()}


def _leaves_and_blocks(item: _Parsed, block: str) -> None:
    facts, lines = item.facts, item.facts.lines
    for node in _walk(item.root):
        start, end = node.start_point, node.end_point
        if node.type in COMMENTS:
            facts.commented.update(range(start.row, end.row + 1))
        elif node.type == block:
            body = [child for child in node.named_children if child.type not in COMMENTS]
            for child in body:
                column = item.column(child.start_point)
                if column == len(lines[child.start_point.row]) - len(lines[child.start_point.row].lstrip()):
                    facts.statements[child.start_point.row] = column
            first = body[0].start_point.row if body else start.row
            if body and first > start.row and first in facts.statements:
                facts.blocks.append((first, facts.statements[first], [child.end_point.row for child in body]))
        elif node.child_count == 0 and start.row == end.row:
            if node.type in IDENTIFIERS:
                facts.identifiers.append((start.row, item.column(start), item.column(end)))
            elif not node.is_named and node.type in PUNCTUATION:
                facts.punctuation.append((end.row, item.column(end)))
    facts.blocks.sort()


def _js_imports(item: _Parsed, parsed: dict[str, _Parsed]) -> set[str]:
    """Local names bound by ``import ... from './x'`` or ``require('./x')`` of another file of the project."""
    names: set[str] = set()
    for node in _walk(item.root):
        if node.type == "import_statement":
            source = node.child_by_field_name("source")
            if source is not None and _js_local_module(item.facts.path, item.text(source)[1:-1], parsed):
                clause = next((c for c in node.named_children if c.type == "import_clause"), None)
                if clause is not None:
                    names |= _bound_identifiers(item, clause)
        elif node.type == "variable_declarator":
            spec = _required_module(node)
            if spec is not None and _js_local_module(item.facts.path, spec, parsed):
                names |= _bound_identifiers(item, node.child_by_field_name("name"))
    return names


def _bound_identifiers(item: _Parsed, node: tree_sitter.Node | None) -> set[str]:
    """The identifiers a clause binds: for ``{a as b}`` / ``{a: b}`` only the local ``b``."""
    if node is None:
        return set()
    if node.type in ("identifier", "shorthand_property_identifier_pattern"):
        return {item.text(node)}
    if node.type == "import_specifier":
        return {item.text(node.child_by_field_name("alias") or node.child_by_field_name("name"))}
    if node.type == "pair_pattern":
        return _bound_identifiers(item, node.child_by_field_name("value"))
    return set().union(*(_bound_identifiers(item, child) for child in node.named_children))


def _js_local_module(path: str, spec: str, parsed: dict[str, _Parsed]) -> bool:
    if not spec.startswith("."):
        return False
    stem = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))
    stems = [stem, stem.removesuffix(".js")] if stem.endswith(".js") else [stem]  # TypeScript imports './x.js' for x.ts
    return any(f"{s}{suffix}" in parsed and f"{s}{suffix}" != path for s in stems for suffix in _JS_RESOLVE)


def _rust_items(item: _Parsed) -> set[str]:
    return {
        item.text(node.child_by_field_name("name"))
        for node in _walk(item.root)
        if node.type in RUST_ITEMS and node.child_by_field_name("name")
    }


def _rust_imports(item: _Parsed) -> set[tuple[str, str]]:
    """(name, local name) of what a ``use crate::…`` / ``use super::…`` / ``use self::…`` brings into the file."""
    names: set[tuple[str, str]] = set()
    for node in _walk(item.root):
        if node.type == "use_declaration":
            argument = node.child_by_field_name("argument")
            if argument is not None and item.text(argument).startswith(("crate::", "super::", "self::")):
                names |= _rust_use_names(item, argument)
    return names


def _rust_use_names(item: _Parsed, node: tree_sitter.Node) -> set[tuple[str, str]]:
    kind = node.type
    if kind == "identifier":
        return {(item.text(node), item.text(node))}
    if kind == "scoped_identifier":
        name = item.text(node.child_by_field_name("name"))
        return {(name, name)}
    if kind == "use_as_clause":
        path = node.child_by_field_name("path")
        name = item.text(path.child_by_field_name("name") if path.type == "scoped_identifier" else path)
        return {(name, item.text(node.child_by_field_name("alias")))}
    if kind == "scoped_use_list":
        return _rust_use_names(item, node.child_by_field_name("list"))
    if kind == "use_list":
        return set().union(*(_rust_use_names(item, child) for child in node.named_children))
    return set()  # `self`, `*`


def _declared_here(item: _Parsed) -> set[str]:
    """Names the file binds itself (variables, parameters), which would shadow an import of the same name."""
    names: set[str] = set()
    for node in _walk(item.root):
        if node.type == "variable_declarator" and _required_module(node) is None:
            names |= _bound_identifiers(item, node.child_by_field_name("name"))
        elif node.type in ("formal_parameters", "parameters", "let_declaration", "closure_parameters"):
            pattern = node.child_by_field_name("pattern") if node.type == "let_declaration" else node
            for leaf in _walk(pattern) if pattern is not None else ():
                if leaf.type == "identifier" and (
                    leaf.parent is None or leaf.parent.type not in ("type_annotation", "generic_type")
                ):
                    names.add(item.text(leaf))
    return names


def _mark_uses(item: _Parsed, imported: set[str], block: str) -> None:
    """The first use per line, inside a function or block body, of an imported name the file does not rebind."""
    imported -= _declared_here(item)
    if not imported:
        return
    uses = item.facts.imported_uses
    for node in _walk(item.root):
        if node.type in USE_NODES and item.text(node) in imported and _ancestor_types(node) & {block}:
            line, column = node.start_point.row, item.column(node.start_point)
            if column < uses.get(line, 1 << 30):
                uses[line] = column


def _ancestor_types(node: tree_sitter.Node) -> set[str]:
    types = set()
    while (node := node.parent) is not None:
        types.add(node.type)
    return types


def _required_module(declarator: tree_sitter.Node) -> str | None:
    """'./x' for ``name = require('./x')``, else None."""
    value = declarator.child_by_field_name("value")
    if (
        value is None
        or value.type != "call_expression"
        or getattr(value.child_by_field_name("function"), "text", None) != b"require"
    ):
        return None
    arguments = value.child_by_field_name("arguments").named_children
    if len(arguments) != 1 or arguments[0].type != "string":
        return None
    return arguments[0].text.decode("utf-8", errors="replace")[1:-1]
