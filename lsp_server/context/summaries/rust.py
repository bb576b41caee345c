"""Outline walker for Rust: functions, types, traits and impls with their items, consts, statics and modules."""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Node

from lsp_server.context.summaries.builder import Builder, sig_start
from lsp_server.context.summaries.nodes import (
    RUST_ENUMS,
    RUST_FUNCTION_SIGNATURES,
    RUST_FUNCTIONS,
    RUST_IMPLS,
    RUST_STRUCTS,
    RUST_TRAITS,
    RUST_UNIONS,
)

_FUNCTIONS = RUST_FUNCTIONS | RUST_FUNCTION_SIGNATURES
_TYPES = {**dict.fromkeys(RUST_STRUCTS | RUST_UNIONS, "struct"), **dict.fromkeys(RUST_ENUMS, "enum")}


def _rust_type_name(b: Builder, node: Node | None) -> str:
    """``Point`` from ``Point<T>``, ``&'a mut Point`` or ``crate::geo::Point``."""
    text = b.text(node).split("<", 1)[0]
    text = text.lstrip("&").strip()
    if text.startswith("'"):
        text = text.split(None, 1)[-1]
    text = text.removeprefix("mut ").removeprefix("dyn ").strip()
    return text.rsplit("::", 1)[-1]


def walk_rust(b: Builder, nodes: Iterable[Node], parent: str | None) -> None:
    for node in nodes:
        kind = node.type
        if kind in _FUNCTIONS:
            b.definition(node, "method" if parent is not None else "function", parent)
        elif parent is not None and kind not in ("const_item", "static_item", "type_item"):
            continue
        elif kind in _TYPES:
            body = node.child_by_field_name("body")
            if body is not None and body.type == "ordered_field_declaration_list":
                body = None
            signature = b.header(node, node, body)
            b.add(b.field_text(node, "name"), _TYPES[kind], signature, b.doc_above(node), node, None)
        elif kind in RUST_TRAITS:
            body = node.child_by_field_name("body")
            name = b.field_text(node, "name")
            b.add(name, "trait", b.header(node, node, body), b.doc_above(node), node, None)
            if body is not None:
                walk_rust(b, body.named_children, name)
        elif kind in RUST_IMPLS:
            body = node.child_by_field_name("body")
            name = _rust_type_name(b, node.child_by_field_name("type"))
            b.add(name, "impl", b.header(node, node, body), b.doc_above(node), node, None)
            if body is not None:
                walk_rust(b, body.named_children, name)
        elif kind == "type_item":
            value = node.child_by_field_name("type")
            signature = b.valued(sig_start(node), value, node.end_byte)
            b.add(b.field_text(node, "name"), "type", signature, b.doc_above(node), node, parent)
        elif kind in ("const_item", "static_item"):
            value = node.child_by_field_name("value")
            signature = b.valued(sig_start(node), value, node.end_byte)
            b.add(b.field_text(node, "name"), "constant", signature, b.doc_above(node), node, parent)
        elif kind == "mod_item" and node.child_by_field_name("body") is not None:
            b.definition(node, "namespace", None)
        elif kind == "ERROR":
            walk_rust(b, node.named_children, None)
