"""Outline walker for Python: classes, functions, methods, attributes, constants and type aliases."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tree_sitter import Node

from lsp_server.context.summaries.builder import (
    Builder,
    annotation_text,
    collapse,
    first_named,
    parameter_types,
    value_type,
)
from lsp_server.context.summaries.nodes import PYTHON_CLASSES, PYTHON_DECORATED, PYTHON_FUNCTIONS

_STRING_QUOTES = re.compile(r"^[rRuUbBfF]*(\"\"\"|'''|\"|')")
_CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
_DEFINITIONS = PYTHON_CLASSES | PYTHON_FUNCTIONS


def _first_line(text: str) -> str:
    for line in text.split("\n"):
        line = line.strip()
        if line:
            return line
    return ""


def _python_docstring(b: Builder, body: Node | None) -> str:
    if body is None:
        return ""
    first = first_named(body)
    while first is not None and first.type == "comment":
        first = first.next_named_sibling
    if first is None or first.type != "expression_statement":
        return ""
    string = first_named(first)
    if string is None or string.type != "string":
        return ""
    text = b.text(string)
    match = _STRING_QUOTES.match(text)
    if match is None:
        return ""
    quote = match.group(1)
    inner = text[match.end() :]
    if inner.endswith(quote):
        inner = inner[: -len(quote)]
    return _first_line(inner)


def _python_blocks(node: Node) -> list[Node]:
    """The statement blocks of an if/try/with statement, including its clauses."""
    blocks = []
    for child in node.named_children:
        if child.type == "block":
            blocks.append(child)
        elif child.type.endswith("_clause"):
            blocks.extend(g for g in child.named_children if g.type == "block")
    return blocks


def walk_python(b: Builder, nodes: Iterable[Node], parent: str | None) -> None:
    for outer in nodes:
        node = outer
        if node.type in PYTHON_DECORATED:
            node = node.child_by_field_name("definition")
            if node is None:
                continue
        kind = node.type
        if kind in _DEFINITIONS:
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            doc = _python_docstring(b, body) or b.doc_above(outer)
            if kind in PYTHON_CLASSES:
                b.add(b.text(name), "class", b.header(outer, node, body), doc, outer, parent)
                if body is not None:
                    walk_python(b, body.named_children, b.text(name))
            else:
                method = "method" if parent is not None else "function"
                b.add(b.text(name), method, b.header(outer, node, body), doc, outer, parent)
                if parent is not None and b.text(name) == "__init__" and body is not None:
                    params = parameter_types(b.src, node.child_by_field_name("parameters"))
                    _python_instance_attributes(b, body, parent, params, set())
        elif parent is not None:
            if kind == "expression_statement":
                _python_class_attribute(b, node, parent)
            continue
        elif kind == "expression_statement":
            _python_constant(b, node)
        elif kind == "type_alias_statement":
            name = node.child_by_field_name("left")
            value = node.child_by_field_name("right")
            signature = b.valued(node.start_byte, value, node.end_byte)
            b.add(b.text(name), "type", signature, b.doc_above(node), node, None)
        elif kind in ("if_statement", "try_statement", "with_statement"):
            for block in _python_blocks(node):
                walk_python(b, block.named_children, None)
        elif kind == "ERROR":
            walk_python(b, node.named_children, None)


def _python_class_attribute(b: Builder, statement: Node, parent: str) -> None:
    """A class-level ``name = value`` or ``name: T`` (dataclass fields, enum members, managers)."""
    assignment = first_named(statement)
    if assignment is None or assignment.type != "assignment":
        return
    left = assignment.child_by_field_name("left")
    if left is None or left.type != "identifier":
        return
    annotation = assignment.child_by_field_name("type")
    value = assignment.child_by_field_name("right")
    typed = annotation_text(b.src, annotation) if annotation is not None else value_type(b.src, value, {})
    signature = b.valued(assignment.start_byte, value, assignment.end_byte)
    b.add(b.text(left), "attribute", signature, b.doc_above(statement), statement, parent, typed)


def _python_instance_attributes(b: Builder, block: Node, parent: str, params: dict[str, str], seen: set[str]) -> None:
    """``self.x = ...`` in ``__init__`` (also inside if/try/with blocks), first assignment of each name."""
    for statement in block.named_children:
        if statement.type in ("if_statement", "try_statement", "with_statement"):
            for inner in _python_blocks(statement):
                _python_instance_attributes(b, inner, parent, params, seen)
            continue
        assignment = first_named(statement) if statement.type == "expression_statement" else None
        if assignment is None or assignment.type != "assignment":
            continue
        left = assignment.child_by_field_name("left")
        if left is None or left.type != "attribute" or b.field_text(left, "object") != "self":
            continue
        name = b.field_text(left, "attribute")
        if name in seen:
            continue
        seen.add(name)
        annotation = assignment.child_by_field_name("type")
        value = assignment.child_by_field_name("right")
        if annotation is not None:
            typed = annotation_text(b.src, annotation)
            signature = f"self.{name}: {typed}"
        else:
            typed = value_type(b.src, value, params)
            from_parameter = value is not None and value.type == "identifier" and typed
            signature = (
                f"self.{name}: {typed}"
                if from_parameter
                else b.valued(assignment.start_byte, value, assignment.end_byte)
            )
        b.add(name, "attribute", collapse(signature), "", statement, parent, typed)


def _python_constant(b: Builder, statement: Node) -> None:
    assignment = first_named(statement)
    if assignment is None or assignment.type != "assignment":
        return
    left = assignment.child_by_field_name("left")
    if left is None or left.type != "identifier":
        return
    annotated = assignment.child_by_field_name("type") is not None
    name = b.text(left)
    if not (annotated or _CONSTANT_NAME.match(name)):
        return
    value = assignment.child_by_field_name("right")
    signature = b.valued(assignment.start_byte, value, assignment.end_byte)
    b.add(name, "constant", signature, b.doc_above(statement), statement, None)
