"""Outline walker for Java: classes, records, interfaces, enums, their methods and static final constants."""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Node

from lsp_server.context.summaries.builder import LEADING_NOISE, Builder
from lsp_server.context.summaries.nodes import (
    JAVA_ANNOTATION_ELEMENTS,
    JAVA_ANNOTATION_TYPES,
    JAVA_CLASSES,
    JAVA_COMPACT_CONSTRUCTORS,
    JAVA_CONSTRUCTORS,
    JAVA_ENUMS,
    JAVA_INTERFACES,
    JAVA_METHODS,
    JAVA_RECORDS,
)

_TYPES = {
    **dict.fromkeys(JAVA_CLASSES | JAVA_RECORDS, "class"),
    **dict.fromkeys(JAVA_INTERFACES | JAVA_ANNOTATION_TYPES, "interface"),
    **dict.fromkeys(JAVA_ENUMS, "enum"),
}
_METHODS = JAVA_METHODS | JAVA_CONSTRUCTORS | JAVA_COMPACT_CONSTRUCTORS | JAVA_ANNOTATION_ELEMENTS


def _java_modifiers(b: Builder, node: Node) -> set[str]:
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    if modifiers is None:
        return set()
    return {b.text(c) for c in modifiers.children if c.type not in LEADING_NOISE}


def walk_java(b: Builder, nodes: Iterable[Node], parent: str | None) -> None:
    for node in nodes:
        kind = node.type
        if kind in _TYPES:
            name = b.field_text(node, "name")
            body = node.child_by_field_name("body")
            b.add(name, _TYPES[kind], b.header(node, node, body), b.doc_above(node), node, parent)
            if body is not None:
                members = list(body.named_children)
                for child in body.named_children:
                    if child.type == "enum_body_declarations":
                        members.extend(child.named_children)
                walk_java(b, members, name)
        elif kind in _METHODS and parent is not None:
            b.definition(node, "method", parent)
        elif parent is not None and (
            kind == "constant_declaration"
            or (kind == "field_declaration" and {"static", "final"} <= _java_modifiers(b, node))
        ):
            declarators = node.children_by_field_name("declarator")
            doc = b.doc_above(node)
            for declarator in declarators:
                value = declarator.child_by_field_name("value")
                signature = b.declarator_signature(node, declarators[0], declarator, value)
                b.add(b.field_text(declarator, "name"), "constant", signature, doc, node, parent)
        elif kind == "ERROR":
            walk_java(b, node.named_children, parent)
