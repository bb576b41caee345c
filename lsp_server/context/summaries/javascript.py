"""Outline walker for JavaScript, TypeScript and TSX: classes, functions, interfaces, types, enums and consts."""

from __future__ import annotations

from collections.abc import Iterable

from tree_sitter import Node

from lsp_server.context.summaries.builder import (
    COMMENTS,
    Builder,
    annotation_text,
    collapse,
    first_named,
    parameter_types,
    sig_start,
    value_type,
)
from lsp_server.context.summaries.nodes import (
    JS_CLASS_EXPRESSIONS,
    JS_CLASSES,
    JS_EXPORTS,
    JS_FUNCTIONS,
    JS_METHODS,
    TS_ABSTRACT_CLASSES,
    TS_FUNCTION_SIGNATURES,
    TS_INTERFACES,
    TS_METHOD_SIGNATURES,
)

# What the outline lists as a class, a function or a method, TypeScript's bodiless and abstract forms included.
_CLASSES = JS_CLASSES | TS_ABSTRACT_CLASSES | JS_CLASS_EXPRESSIONS
_FUNCTIONS = JS_FUNCTIONS | TS_FUNCTION_SIGNATURES
_METHODS = JS_METHODS | TS_METHOD_SIGNATURES
_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function", "generator_function"})
_FIELDS = frozenset({"public_field_definition", "field_definition"})


def _first_child_type(node: Node) -> str | None:
    return node.child(0).type if node.child_count else None


def _js_unwrap(node: Node) -> Node | None:
    """The declaration inside export/declare/expression wrappers, or None."""
    while True:
        kind = node.type
        if kind in JS_EXPORTS:
            inner = node.child_by_field_name("declaration")
        elif kind == "ambient_declaration":
            inner = next((c for c in node.named_children if c.type not in COMMENTS), None)
        elif kind == "expression_statement":
            inner = first_named(node)
            if inner is None or inner.type not in ("internal_module", "module"):
                return None
        else:
            return node
        if inner is None:
            return None
        node = inner


def walk_js(b: Builder, nodes: Iterable[Node], parent: str | None) -> None:
    for outer in nodes:
        if outer.type == "ERROR":
            walk_js(b, outer.named_children, parent)
            continue
        node = _js_unwrap(outer)
        if node is None:
            continue
        kind = node.type
        name = b.field_text(node, "name")
        body = node.child_by_field_name("body")
        doc = b.doc_above(outer)
        if kind in _CLASSES:
            b.add(name, "class", b.header(outer, node, body), doc, outer, None)
            if body is not None:
                _walk_js_members(b, body, name)
        elif kind in _FUNCTIONS:
            b.add(name, "function", b.header(outer, node, body), doc, outer, None)
        elif kind in TS_INTERFACES:
            b.add(name, "interface", b.header(outer, node, body), doc, outer, None)
            if body is not None:
                _walk_js_members(b, body, name)
        elif kind == "type_alias_declaration":
            value = node.child_by_field_name("value")
            signature = b.valued(sig_start(outer), value, node.end_byte)
            b.add(name, "type", signature, doc, outer, None)
        elif kind == "enum_declaration":
            b.add(name, "enum", b.header(outer, node, body), doc, outer, None)
        elif kind in ("internal_module", "module"):
            b.add(name.strip("\"'"), "namespace", b.header(outer, node, body), doc, outer, None)
            if body is not None:
                walk_js(b, body.named_children, None)
        elif kind == "lexical_declaration" and _first_child_type(node) == "const":
            _js_consts(b, outer, node, doc)


def _js_consts(b: Builder, outer: Node, declaration: Node, doc: str) -> None:
    declarators = [c for c in declaration.named_children if c.type == "variable_declarator"]
    for declarator in declarators:
        name = declarator.child_by_field_name("name")
        if name is None or name.type != "identifier":
            continue
        value = declarator.child_by_field_name("value")
        if value is not None and value.type in _FUNCTION_VALUES:
            signature = b.header(outer, value, value.child_by_field_name("body"))
            b.add(b.text(name), "function", signature, doc, outer, None)
        elif not _is_module_load(b, value):
            signature = b.declarator_signature(outer, declarators[0], declarator, value)
            b.add(b.text(name), "constant", signature, doc, outer, None)


def _is_module_load(b: Builder, value: Node | None) -> bool:
    """Whether a value is ``require(...)`` or ``await import(...)``: an import, not a constant."""
    if value is not None and value.type == "await_expression":
        value = first_named(value)
    if value is None or value.type != "call_expression":
        return False
    function = value.child_by_field_name("function")
    return function is not None and (function.type == "import" or b.text(function) == "require")


def _walk_js_members(b: Builder, body: Node, parent: str) -> None:
    for member in body.named_children:
        kind = member.type
        name = b.text(member.child_by_field_name("name") or member.child_by_field_name("property"))
        if kind in _METHODS:
            signature = b.header(member, member, member.child_by_field_name("body"))
            b.add(name, "method", signature, b.doc_above(member), member, parent)
            if name == "constructor":
                _js_constructor_attributes(b, member, parent)
        elif kind in _FIELDS:
            value = member.child_by_field_name("value")
            if value is not None and value.type in _FUNCTION_VALUES:
                signature = b.header(member, value, value.child_by_field_name("body"))
                b.add(name, "method", signature, b.doc_above(member), member, parent)
            else:
                annotation = member.child_by_field_name("type")
                typed = annotation_text(b.src, annotation) if annotation is not None else value_type(b.src, value, {})
                signature = b.valued(sig_start(member), value, member.end_byte)
                b.add(name, "attribute", signature, b.doc_above(member), member, parent, typed)


def _js_constructor_attributes(b: Builder, constructor: Node, parent: str) -> None:
    """TypeScript parameter properties and ``this.x = ...`` statements directly in a constructor."""
    parameters = constructor.child_by_field_name("parameters")
    params = parameter_types(b.src, parameters)
    for parameter in parameters.named_children if parameters is not None else ():
        if any(c.type in ("accessibility_modifier", "readonly") for c in parameter.children):
            name = b.field_text(parameter, "pattern")
            b.add(name, "attribute", collapse(b.text(parameter)), "", parameter, parent, params.get(name, ""))
    body = constructor.child_by_field_name("body")
    seen: set[str] = set()
    for statement in body.named_children if body is not None else ():
        assignment = first_named(statement) if statement.type == "expression_statement" else None
        if assignment is None or assignment.type != "assignment_expression":
            continue
        left = assignment.child_by_field_name("left")
        if left is None or left.type != "member_expression" or b.field_text(left, "object") != "this":
            continue
        name = b.field_text(left, "property")
        if name in seen:
            continue
        seen.add(name)
        value = assignment.child_by_field_name("right")
        typed = value_type(b.src, value, params)
        from_parameter = value is not None and value.type == "identifier" and typed
        signature = (
            f"this.{name}: {typed}" if from_parameter else b.valued(assignment.start_byte, value, assignment.end_byte)
        )
        b.add(name, "attribute", collapse(signature), "", statement, parent, typed)
