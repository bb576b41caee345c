"""Outline walker for C and C++: functions, methods, structs, classes, namespaces, typedefs and constants."""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Node

from lsp_server.context.summaries.builder import Builder, collapse, last_named, sig_start
from lsp_server.context.summaries.nodes import C_ENUMS, C_FUNCTIONS, C_STRUCTS, C_UNIONS, CPP_CLASSES

_TYPES = {
    **dict.fromkeys(CPP_CLASSES, "class"),
    **dict.fromkeys(C_STRUCTS | C_UNIONS, "struct"),
    **dict.fromkeys(C_ENUMS, "enum"),
}
_TRANSPARENT = frozenset({"preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif", "preproc_elifdef", "ERROR"})
_FUNCTION_NAMES = frozenset(
    {
        "identifier",
        "field_identifier",
        "qualified_identifier",
        "destructor_name",
        "operator_name",
        "template_function",
        "operator_cast",
    }
)
_TEMPLATE_INNER = frozenset(
    {
        "function_definition",
        "declaration",
        "field_declaration",
        "class_specifier",
        "struct_specifier",
        "union_specifier",
        "alias_declaration",
        "template_declaration",
    }
)
_CONST_QUALIFIERS = frozenset({"const", "constexpr", "constinit"})


def _c_function(node: Node) -> tuple[Node, Node] | None:
    """The (function_declarator, name node) a declaration declares, following pointer declarators."""
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type in ("pointer_declarator", "reference_declarator"):
        inner = declarator.child_by_field_name("declarator")
        declarator = inner if inner is not None else last_named(declarator)
    if declarator is None or declarator.type != "function_declarator":
        return None
    name = declarator.child_by_field_name("declarator")
    if name is None or name.type not in _FUNCTION_NAMES:
        return None
    return declarator, name


def _c_qualified_name(b: Builder, name: Node) -> tuple[str, str | None]:
    """(name, enclosing scope) for ``ns::Class::method``; scope is None for a plain name."""
    scope = None
    while name.type == "qualified_identifier":
        scope_node = name.child_by_field_name("scope")
        if scope_node is not None:
            scope = b.text(scope_node).split("<", 1)[0]
        inner = name.child_by_field_name("name")
        if inner is None:
            break
        name = inner
    if name.type == "template_function":
        name = name.child_by_field_name("name") or name
    return b.text(name), scope


def _c_declared_name(declarator: Node | None) -> Node | None:
    """The name a (possibly pointer, array or parenthesized) declarator declares."""
    while declarator is not None and declarator.type not in ("identifier", "type_identifier"):
        inner = declarator.child_by_field_name("declarator")
        if inner is None:
            inner = next(
                (c for c in declarator.named_children if c.type.endswith(("declarator", "identifier"))),
                None,
            )
        declarator = inner
    return declarator


def walk_c(b: Builder, nodes: Iterable[Node], parent: str | None) -> None:
    for outer in nodes:
        if outer.type in _TRANSPARENT:
            walk_c(b, outer.named_children, parent)
            continue
        if outer.type == "linkage_specification":
            body = outer.child_by_field_name("body")
            if body is not None:
                walk_c(b, body.named_children if body.type == "declaration_list" else [body], parent)
            continue
        node = outer
        while node.type == "template_declaration":
            inner = next((c for c in reversed(node.named_children) if c.type in _TEMPLATE_INNER), None)
            if inner is None:
                break
            node = inner
        _c_declaration(b, outer, node, parent)


def _c_declaration(b: Builder, outer: Node, node: Node, parent: str | None) -> None:
    kind = node.type
    if kind == "namespace_definition":
        body = node.child_by_field_name("body")
        name = b.field_text(node, "name")
        if name:
            b.add(name, "namespace", b.header(outer, node, body), b.doc_above(outer), outer, None)
        if body is not None:
            walk_c(b, body.named_children, None)
    elif kind in _TYPES:
        _c_type(b, outer, node, parent)
    elif kind in C_FUNCTIONS:
        _c_function_symbol(b, outer, node, parent, node.child_by_field_name("body"))
    elif kind in ("declaration", "field_declaration"):
        type_node = node.child_by_field_name("type")
        if type_node is not None and type_node.type in _TYPES:
            _c_type(b, outer, type_node, parent)
        if _c_function(node) is not None:
            _c_function_symbol(b, outer, node, parent, None)
        elif (
            parent is None
            and kind == "declaration"
            and any(c.type == "type_qualifier" and b.text(c) in _CONST_QUALIFIERS for c in node.children)
        ):
            _c_constants(b, outer, node)
    elif kind == "type_definition":
        type_node = node.child_by_field_name("type")
        declarators = node.children_by_field_name("declarator")
        name = b.text(_c_declared_name(declarators[0]) if declarators else None)
        body = type_node.child_by_field_name("body") if type_node is not None else None
        if type_node is not None and body is not None:
            symbol_kind = _TYPES.get(type_node.type, "type")
            signature = f"{b.header(outer, type_node, body)} {name}"
        else:
            symbol_kind = "type"
            signature = b.header(outer, node, None)
        b.add(name, symbol_kind, signature, b.doc_above(outer), outer, parent)
    elif kind == "alias_declaration":
        value = node.child_by_field_name("type")
        signature = b.valued(sig_start(outer), value, node.end_byte)
        b.add(b.field_text(node, "name"), "type", signature, b.doc_above(outer), outer, parent)
    elif kind == "preproc_def" and parent is None and node.child_by_field_name("value") is not None:
        signature = collapse(b.text(node))
        b.add(b.field_text(node, "name"), "constant", signature, b.doc_above(outer), outer, None)


def _c_type(b: Builder, outer: Node, node: Node, parent: str | None) -> None:
    body = node.child_by_field_name("body")
    name = b.field_text(node, "name")
    if body is None or not name:
        return
    b.add(name, _TYPES[node.type], b.header(outer, node, body), b.doc_above(outer), outer, parent)
    if node.type not in C_ENUMS:
        walk_c(b, body.named_children, name)


def _c_function_symbol(b: Builder, outer: Node, node: Node, parent: str | None, body: Node | None) -> None:
    found = _c_function(node)
    if found is None:
        return
    _, name_node = found
    name, scope = _c_qualified_name(b, name_node)
    owner = parent if parent is not None else scope
    kind = "method" if owner is not None else "function"
    b.add(name, kind, b.header(outer, node, body), b.doc_above(outer), outer, owner)


def _c_constants(b: Builder, outer: Node, node: Node) -> None:
    declarators = node.children_by_field_name("declarator")
    doc = b.doc_above(outer)
    for declarator in declarators:
        value = declarator.child_by_field_name("value") if declarator.type == "init_declarator" else None
        name = _c_declared_name(declarator)
        if name is None:
            continue
        signature = b.declarator_signature(outer, declarators[0], declarator, value)
        b.add(b.text(name), "constant", signature, doc, outer, None)
