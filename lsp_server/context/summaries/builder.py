"""The builder that collects a file's symbols, and the node helpers the per-language walkers share."""

from __future__ import annotations

import re

from tree_sitter import Node

from lsp_server.context.summaries.summary import Symbol

MAX_SIGNATURE_CHARS = 200
# A constant's value is shown in its signature only when it is this short and on one line.
MAX_VALUE_CHARS = 60

COMMENTS = frozenset({"comment", "line_comment", "block_comment"})
# Children that come before a declaration's header proper and are left out of its signature.
LEADING_NOISE = COMMENTS | {"decorator", "marker_annotation", "annotation", "attribute_declaration"}
_NOT_HEADER = COMMENTS | {"field_initializer_list"}
_WHITESPACE = re.compile(r"\s+")


def _end_row(node: Node) -> int:
    """The last row a node covers, not counting a trailing newline some grammars include."""
    end = node.end_point
    if end.column == 0 and end.row > node.start_point.row:
        return end.row - 1
    return end.row


def first_named(node: Node) -> Node | None:
    # Node.named_child raises IndexError (not None) past the end.
    return node.named_child(0) if node.named_child_count else None


def last_named(node: Node) -> Node | None:
    return node.named_child(node.named_child_count - 1) if node.named_child_count else None


def sig_start(node: Node) -> int:
    """Byte where a declaration's header starts, after decorators, annotations and comments."""
    for child in node.children:
        if child.type in LEADING_NOISE:
            continue
        if child.type == "modifiers":
            for modifier in child.children:
                if modifier.type not in LEADING_NOISE:
                    return modifier.start_byte
            continue
        return child.start_byte
    return node.start_byte


def collapse(text: str) -> str:
    text = _WHITESPACE.sub(" ", text).strip().rstrip(";").rstrip()
    for before, after in (("( ", "("), (" )", ")"), ("[ ", "["), (" ]", "]")):
        text = text.replace(before, after)
    if len(text) > MAX_SIGNATURE_CHARS:
        text = text[: MAX_SIGNATURE_CHARS - 3].rstrip() + "..."
    return text


def _clean_comment_line(line: str) -> str:
    s = line.strip()
    if s.startswith("//"):
        s = s[2:].lstrip("/!")
    elif s.startswith("/*"):
        s = s[2:].lstrip("*!")
    elif s.startswith("#"):
        s = s.lstrip("#")
    elif s.startswith("*") and not s.startswith("*/"):
        s = s.lstrip("*")
    if s.endswith("*/"):
        s = s[:-2].rstrip("*")
    s = s.strip()
    # Banners such as "// -------" carry no words.
    return s if any(ch.isalnum() for ch in s) else ""


def node_text(src: bytes, node: Node | None) -> str:
    """The source text of ``node`` ("" for None)."""
    return "" if node is None else src[node.start_byte : node.end_byte].decode("utf-8", "replace")


def annotation_text(src: bytes, annotation: Node | None) -> str:
    """A type annotation as written, without the colon TypeScript's type_annotation node includes."""
    return collapse(node_text(src, annotation).lstrip(":"))


def parameter_types(src: bytes, parameters: Node | None) -> dict[str, str]:
    """The parameters of a Python, JavaScript or TypeScript parameter list: name -> type as written ("" if none)."""
    types: dict[str, str] = {}
    for parameter in parameters.named_children if parameters is not None else ():
        if parameter.type == "identifier":
            types[node_text(src, parameter)] = ""
            continue
        name = parameter.child_by_field_name("name") or parameter.child_by_field_name("pattern")
        name = name or parameter.child_by_field_name("left") or first_named(parameter)
        if name is not None and name.type == "identifier":
            types[node_text(src, name)] = annotation_text(src, parameter.child_by_field_name("type"))
    return types


def value_type(src: bytes, value: Node | None, known: dict[str, str]) -> str:
    """The type a value has, as written: "Callee()" for a call or ``new``, a known name's type, else ""."""
    while value is not None and value.type in ("await", "await_expression", "parenthesized_expression"):
        value = first_named(value)
    if value is None:
        return ""
    if value.type in ("call", "call_expression"):
        callee = value.child_by_field_name("function")
        return node_text(src, callee) + "()" if callee is not None and callee.type in _CALLEE_TYPES else ""
    if value.type == "new_expression":
        return node_text(src, value.child_by_field_name("constructor")) + "()"
    if value.type == "identifier":
        return known.get(node_text(src, value), "")
    return ""


_CALLEE_TYPES = frozenset({"identifier", "attribute", "member_expression"})


class Builder:
    """Collects the symbols of one file while the per-language walkers visit its tree."""

    def __init__(self, src: bytes, language: str) -> None:
        self.src = src
        self.language = language
        self.symbols: list[Symbol] = []

    def text(self, node: Node | None) -> str:
        return node_text(self.src, node)

    def field_text(self, node: Node, field: str) -> str:
        return self.text(node.child_by_field_name(field))

    def header(self, outer: Node, decl: Node, body: Node | None) -> str:
        """The declaration from its header start (in ``outer``) up to the start of ``body``."""
        start = sig_start(outer)
        if body is None:
            end = decl.end_byte
        else:
            end = start
            for child in decl.children:
                if child.start_byte >= body.start_byte:
                    break
                if child.type not in _NOT_HEADER:
                    end = max(end, child.end_byte)
        return collapse(self.src[start:end].decode("utf-8", "replace"))

    def short_value(self, value: Node) -> str:
        """A value as written when it is short and on one line, else "..."."""
        shown = self.text(value)
        return "..." if "\n" in shown or len(shown) > MAX_VALUE_CHARS else shown

    def valued(self, start: int, value: Node | None, end: int) -> str:
        """A variable-like signature: the text up to its value, then the value when it is short."""
        if value is None:
            return collapse(self.src[start:end].decode("utf-8", "replace"))
        head = self.src[start : value.start_byte].decode("utf-8", "replace")
        return collapse(head + self.short_value(value))

    def declarator_signature(self, outer: Node, first: Node, declarator: Node, value: Node | None) -> str:
        """Signature of one declarator in a multi-declarator statement (``const a = 1, b = 2``)."""
        prefix = self.src[sig_start(outer) : first.start_byte].decode("utf-8", "replace")
        if value is None:
            return collapse(prefix + self.text(declarator))
        head = self.src[declarator.start_byte : value.start_byte].decode("utf-8", "replace")
        return collapse(prefix + head + self.short_value(value))

    def starts_line(self, node: Node) -> bool:
        line_start = self.src.rfind(b"\n", 0, node.start_byte) + 1
        return not self.src[line_start : node.start_byte].strip()

    def doc_above(self, node: Node) -> str:
        """First line of the comment block directly above ``node`` (skipping Rust attributes)."""
        row = node.start_point.row
        prev = node.prev_named_sibling
        block: list[Node] = []
        while prev is not None:
            if prev.type == "attribute_item" and _end_row(prev) == row - 1:
                row = prev.start_point.row
            elif prev.type in COMMENTS and _end_row(prev) == row - 1 and self.starts_line(prev):
                text = self.text(prev)
                if text.startswith(("//!", "/*!")):  # inner docs describe the enclosing module
                    break
                block.append(prev)
                row = prev.start_point.row
            else:
                break
            prev = prev.prev_named_sibling
        for comment in reversed(block):
            for line in self.text(comment).split("\n"):
                if self.language == "go" and line.lstrip().startswith(("//go:", "//nolint", "//lint:")):
                    continue
                cleaned = _clean_comment_line(line)
                if cleaned:
                    return cleaned
        return ""

    def start_row(self, outer: Node) -> int:
        """First row of a definition, including Rust attributes directly above it."""
        row = outer.start_point.row
        prev = outer.prev_named_sibling
        while prev is not None and prev.type == "attribute_item" and _end_row(prev) == row - 1:
            row = prev.start_point.row
            prev = prev.prev_named_sibling
        return row

    def definition(self, node: Node, kind: str, parent: str | None, name: str | None = None) -> None:
        """Add a definition whose header runs up to its ``body`` field (or to its end)."""
        body = node.child_by_field_name("body")
        if name is None:
            name = self.field_text(node, "name")
        self.add(name, kind, self.header(node, node, body), self.doc_above(node), node, parent)

    def add(
        self, name: str, kind: str, signature: str, doc: str, outer: Node, parent: str | None, value_type: str = ""
    ) -> None:
        if not name:
            return
        start = self.start_row(outer) if self.language == "rust" else outer.start_point.row
        self.symbols.append(Symbol(name, kind, signature, doc, start, _end_row(outer), parent, value_type))
