"""Outline walker for Go: functions, methods, types (struct and interface members) and package-level consts."""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Node

from lsp_server.context.summaries.builder import Builder, collapse, first_named
from lsp_server.context.summaries.nodes import GO_FUNCTIONS, GO_METHODS, GO_TYPE_DECLARATIONS


def _go_specs(node: Node, spec_types: tuple[str, ...]) -> list[Node]:
    specs = []
    for child in node.named_children:
        if child.type in spec_types:
            specs.append(child)
        elif child.type.endswith("_list"):
            specs.extend(c for c in child.named_children if c.type in spec_types)
    return specs


def _go_receiver_type(b: Builder, method: Node) -> str | None:
    receiver = method.child_by_field_name("receiver")
    parameter = first_named(receiver) if receiver is not None else None
    while parameter is not None and parameter.type != "parameter_declaration":
        parameter = parameter.next_named_sibling
    if parameter is None:
        return None
    text = b.field_text(parameter, "type").lstrip("*").strip()
    return text.split("[", 1)[0].strip() or None


def walk_go(b: Builder, nodes: Iterable[Node], parent: str | None) -> None:
    for node in nodes:
        kind = node.type
        if kind in GO_FUNCTIONS:
            b.definition(node, "function", None)
        elif kind in GO_METHODS:
            b.definition(node, "method", _go_receiver_type(b, node))
        elif kind in GO_TYPE_DECLARATIONS:
            specs = _go_specs(node, ("type_spec", "type_alias"))
            for spec in specs:
                _go_type(b, node, spec, grouped=len(specs) > 1 or _go_grouped(node))
        elif kind in ("const_declaration", "var_declaration"):
            keyword = "const" if kind == "const_declaration" else "var"
            specs = _go_specs(node, ("const_spec", "var_spec"))
            grouped = len(specs) > 1 or _go_grouped(node)
            for spec in specs:
                outer = spec if grouped else node
                value = spec.child_by_field_name("value")
                signature = f"{keyword} " + b.valued(spec.start_byte, value, spec.end_byte)
                doc = b.doc_above(outer) or (b.doc_above(node) if spec is specs[0] else "")
                for name in spec.children_by_field_name("name"):
                    b.add(b.text(name), "constant", signature, doc, outer, None)
        elif kind == "ERROR":
            walk_go(b, node.named_children, None)


def _go_grouped(declaration: Node) -> bool:
    return any(child.type == "(" or child.type.endswith("_list") for child in declaration.children)


def _go_type(b: Builder, declaration: Node, spec: Node, grouped: bool) -> None:
    outer = spec if grouped else declaration
    name = b.field_text(spec, "name")
    type_node = spec.child_by_field_name("type")
    doc = b.doc_above(outer)
    kind = "type"
    body_start = None
    if spec.type == "type_spec" and type_node is not None and type_node.type == "struct_type":
        kind = "struct"
        fields = first_named(type_node)
        body_start = fields.start_byte if fields is not None else None
    elif spec.type == "type_spec" and type_node is not None and type_node.type == "interface_type":
        kind = "interface"
        brace = next((c for c in type_node.children if c.type == "{"), None)
        body_start = brace.start_byte if brace is not None else None
    if body_start is not None:
        signature = "type " + collapse(b.src[spec.start_byte : body_start].decode("utf-8", "replace"))
    else:
        signature = "type " + b.valued(spec.start_byte, type_node, spec.end_byte)
    b.add(name, kind, signature, doc, outer, None)
    if kind == "interface" and type_node is not None:
        for element in type_node.named_children:
            if element.type == "method_elem":
                signature = collapse(b.text(element))
                b.add(b.field_text(element, "name"), "method", signature, b.doc_above(element), element, name)
