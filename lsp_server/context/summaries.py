"""Summarize a source file's imports and top-level definitions with tree-sitter, for prompt context."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from tree_sitter import Node, Query, QueryCursor, Tree

from lsp_server.context.languages import LINE_COMMENT, get_language, get_parser

SUMMARIZER_VERSION = 2

MAX_SIGNATURE_CHARS = 200
# A constant's value is shown in its signature only when it is this short and on one line.
MAX_VALUE_CHARS = 60

_COMMENTS = frozenset({"comment", "line_comment", "block_comment"})
# Children that come before a declaration's header proper and are left out of its signature.
_LEADING_NOISE = _COMMENTS | {"decorator", "marker_annotation", "annotation", "attribute_declaration"}
_NOT_HEADER = _COMMENTS | {"field_initializer_list"}
CONTAINER_KINDS = frozenset({"class", "struct", "interface", "enum", "trait", "impl"})
_WHITESPACE = re.compile(r"\s+")
_PY_STRING_QUOTES = re.compile(r"^[rRuUbBfF]*(\"\"\"|'''|\"|')")
_PY_CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Symbol:
    """One definition in a file: its name, kind, declaration header and first doc line."""

    name: str
    kind: str
    signature: str
    doc: str
    start_line: int
    end_line: int
    parent: str | None = None
    # For attributes: the type of the value as written (an annotation, or "Callee()" for a call's result).
    value_type: str = ""


@dataclass(frozen=True)
class FileSummary:
    """The imports and definitions of one source file."""

    path: str
    language: str
    imports: tuple[str, ...]
    symbols: tuple[Symbol, ...]


def summarize(source: bytes | str, language: str, path: str, tree: Tree | None = None) -> FileSummary:
    """Summarize a file's imports and definitions; ``tree`` must be a parse of exactly ``source``."""
    walker = _WALKERS.get(language)
    if walker is None:
        raise ValueError(f"unsupported language: {language!r}")
    src = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    if tree is None:
        tree = get_parser(language).parse(src)
    builder = _Builder(src, language)
    root = tree.root_node
    walker(builder, root.children, None)
    return FileSummary(
        path=path,
        language=language,
        imports=_imports(builder, root),
        symbols=tuple(builder.symbols),
    )


def render_summary(summary: FileSummary, *, max_symbols: int | None = None) -> str:
    """Render a summary as a compact outline: an imports line, then one line per symbol."""
    comment = LINE_COMMENT.get(summary.language, "#")
    unit = "    " if summary.language == "python" else "  "
    lines: list[str] = []
    if summary.imports:
        lines.append(f"{comment} imports: {', '.join(summary.imports)}")
    symbols = summary.symbols if max_symbols is None else summary.symbols[: max(max_symbols, 0)]
    # Open containers as (name, end_line); a member is indented under the innermost one it belongs to.
    open_containers: list[tuple[str, int]] = []
    for symbol in symbols:
        while open_containers and open_containers[-1][1] < symbol.start_line:
            open_containers.pop()
        if symbol.parent is None:
            open_containers.clear()
        else:
            while open_containers and open_containers[-1][0] != symbol.parent:
                open_containers.pop()
        line = unit * len(open_containers) + symbol.signature
        if symbol.doc:
            line += f"  {comment} {symbol.doc}"
        if not lines or lines[-1] != line:  # e.g. Go's `var a, b int` declares two names in one line
            lines.append(line)
        if symbol.kind in CONTAINER_KINDS:
            open_containers.append((symbol.name, symbol.end_line))
    omitted = len(summary.symbols) - len(symbols)
    if omitted > 0:
        lines.append(f"{comment} ... {omitted} more symbols")
    return "\n".join(lines)


def symbol_source(source: str | bytes, symbol: Symbol, language: str, max_lines: int = 40) -> str:
    """Return a definition's source lines with the comment directly above, cut to ``max_lines``."""
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    # Split on "\n" only: tree-sitter rows count "\n", not every character str.splitlines breaks on.
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    start = min(symbol.start_line, len(lines))
    end = min(symbol.end_line, len(lines) - 1)
    start = _comment_start_above(lines, start, language)
    kept = lines[start : end + 1]
    if max_lines > 0 and len(kept) > max_lines:
        first = kept[0]
        indent = first[: len(first) - len(first.lstrip())]
        kept = kept[: max_lines - 1] + [f"{indent}{LINE_COMMENT.get(language, '#')} ..."]
    return "\n".join(kept)


def _comment_start_above(lines: list[str], start: int, language: str) -> int:
    """Move ``start`` up over the comment lines directly above it."""
    line_marker = LINE_COMMENT.get(language, "#")
    row = start - 1
    while row >= 0:
        stripped = lines[row].strip()
        if stripped.startswith(line_marker):
            row -= 1
        elif language != "python" and stripped.endswith("*/"):
            top = row
            while top >= 0 and "/*" not in lines[top]:
                top -= 1
            if top < 0:
                break
            row = top - 1
        else:
            break
    return row + 1


# --- shared helpers ---------------------------------------------------------------------------


def _end_row(node: Node) -> int:
    """The last row a node covers, not counting a trailing newline some grammars include."""
    end = node.end_point
    if end.column == 0 and end.row > node.start_point.row:
        return end.row - 1
    return end.row


def _first_named(node: Node) -> Node | None:
    # Node.named_child raises IndexError (not None) past the end.
    return node.named_child(0) if node.named_child_count else None


def _last_named(node: Node) -> Node | None:
    return node.named_child(node.named_child_count - 1) if node.named_child_count else None


def _first_child_type(node: Node) -> str | None:
    return node.child(0).type if node.child_count else None


def _sig_start(node: Node) -> int:
    """Byte where a declaration's header starts, after decorators, annotations and comments."""
    for child in node.children:
        if child.type in _LEADING_NOISE:
            continue
        if child.type == "modifiers":
            for modifier in child.children:
                if modifier.type not in _LEADING_NOISE:
                    return modifier.start_byte
            continue
        return child.start_byte
    return node.start_byte


def _collapse(text: str) -> str:
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
    return _collapse(node_text(src, annotation).lstrip(":"))


def parameter_types(src: bytes, parameters: Node | None) -> dict[str, str]:
    """The parameters of a Python, JavaScript or TypeScript parameter list: name -> type as written ("" if none)."""
    types: dict[str, str] = {}
    for parameter in parameters.named_children if parameters is not None else ():
        if parameter.type == "identifier":
            types[node_text(src, parameter)] = ""
            continue
        name = parameter.child_by_field_name("name") or parameter.child_by_field_name("pattern")
        name = name or parameter.child_by_field_name("left") or _first_named(parameter)
        if name is not None and name.type == "identifier":
            types[node_text(src, name)] = annotation_text(src, parameter.child_by_field_name("type"))
    return types


def value_type(src: bytes, value: Node | None, known: dict[str, str]) -> str:
    """The type a value has, as written: "Callee()" for a call or ``new``, a known name's type, else ""."""
    while value is not None and value.type in ("await", "await_expression", "parenthesized_expression"):
        value = _first_named(value)
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


def _first_line(text: str) -> str:
    for line in text.split("\n"):
        line = line.strip()
        if line:
            return line
    return ""


class _Builder:
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
        start = _sig_start(outer)
        if body is None:
            end = decl.end_byte
        else:
            end = start
            for child in decl.children:
                if child.start_byte >= body.start_byte:
                    break
                if child.type not in _NOT_HEADER:
                    end = max(end, child.end_byte)
        return _collapse(self.src[start:end].decode("utf-8", "replace"))

    def short_value(self, value: Node) -> str:
        """A value as written when it is short and on one line, else "..."."""
        shown = self.text(value)
        return "..." if "\n" in shown or len(shown) > MAX_VALUE_CHARS else shown

    def valued(self, start: int, value: Node | None, end: int) -> str:
        """A variable-like signature: the text up to its value, then the value when it is short."""
        if value is None:
            return _collapse(self.src[start:end].decode("utf-8", "replace"))
        head = self.src[start : value.start_byte].decode("utf-8", "replace")
        return _collapse(head + self.short_value(value))

    def declarator_signature(self, outer: Node, first: Node, declarator: Node, value: Node | None) -> str:
        """Signature of one declarator in a multi-declarator statement (``const a = 1, b = 2``)."""
        prefix = self.src[_sig_start(outer) : first.start_byte].decode("utf-8", "replace")
        if value is None:
            return _collapse(prefix + self.text(declarator))
        head = self.src[declarator.start_byte : value.start_byte].decode("utf-8", "replace")
        return _collapse(prefix + head + self.short_value(value))

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
            elif prev.type in _COMMENTS and _end_row(prev) == row - 1 and self.starts_line(prev):
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


_Walker = Callable[[_Builder, Iterable[Node], "str | None"], None]


# --- Python -----------------------------------------------------------------------------------


def _python_docstring(b: _Builder, body: Node | None) -> str:
    if body is None:
        return ""
    first = _first_named(body)
    while first is not None and first.type == "comment":
        first = first.next_named_sibling
    if first is None or first.type != "expression_statement":
        return ""
    string = _first_named(first)
    if string is None or string.type != "string":
        return ""
    text = b.text(string)
    match = _PY_STRING_QUOTES.match(text)
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


def _walk_python(b: _Builder, nodes: Iterable[Node], parent: str | None) -> None:
    for outer in nodes:
        node = outer
        if node.type == "decorated_definition":
            node = node.child_by_field_name("definition")
            if node is None:
                continue
        kind = node.type
        if kind in ("class_definition", "function_definition"):
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            doc = _python_docstring(b, body) or b.doc_above(outer)
            if kind == "class_definition":
                b.add(b.text(name), "class", b.header(outer, node, body), doc, outer, parent)
                if body is not None:
                    _walk_python(b, body.named_children, b.text(name))
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
                _walk_python(b, block.named_children, None)
        elif kind == "ERROR":
            _walk_python(b, node.named_children, None)


def _python_class_attribute(b: _Builder, statement: Node, parent: str) -> None:
    """A class-level ``name = value`` or ``name: T`` (dataclass fields, enum members, managers)."""
    assignment = _first_named(statement)
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


def _python_instance_attributes(b: _Builder, block: Node, parent: str, params: dict[str, str], seen: set[str]) -> None:
    """``self.x = ...`` in ``__init__`` (also inside if/try/with blocks), first assignment of each name."""
    for statement in block.named_children:
        if statement.type in ("if_statement", "try_statement", "with_statement"):
            for inner in _python_blocks(statement):
                _python_instance_attributes(b, inner, parent, params, seen)
            continue
        assignment = _first_named(statement) if statement.type == "expression_statement" else None
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
        b.add(name, "attribute", _collapse(signature), "", statement, parent, typed)


def _python_constant(b: _Builder, statement: Node) -> None:
    assignment = _first_named(statement)
    if assignment is None or assignment.type != "assignment":
        return
    left = assignment.child_by_field_name("left")
    if left is None or left.type != "identifier":
        return
    annotated = assignment.child_by_field_name("type") is not None
    name = b.text(left)
    if not (annotated or _PY_CONSTANT_NAME.match(name)):
        return
    value = assignment.child_by_field_name("right")
    signature = b.valued(assignment.start_byte, value, assignment.end_byte)
    b.add(name, "constant", signature, b.doc_above(statement), statement, None)


# --- JavaScript / TypeScript ------------------------------------------------------------------

_JS_CLASSES = frozenset({"class_declaration", "abstract_class_declaration", "class"})
_JS_FUNCTIONS = frozenset({"function_declaration", "generator_function_declaration", "function_signature"})
_JS_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function", "generator_function"})
_JS_METHODS = frozenset({"method_definition", "method_signature", "abstract_method_signature"})
_JS_FIELDS = frozenset({"public_field_definition", "field_definition"})


def _js_unwrap(node: Node) -> Node | None:
    """The declaration inside export/declare/expression wrappers, or None."""
    while True:
        kind = node.type
        if kind == "export_statement":
            inner = node.child_by_field_name("declaration")
        elif kind == "ambient_declaration":
            inner = next((c for c in node.named_children if c.type not in _COMMENTS), None)
        elif kind == "expression_statement":
            inner = _first_named(node)
            if inner is None or inner.type not in ("internal_module", "module"):
                return None
        else:
            return node
        if inner is None:
            return None
        node = inner


def _walk_js(b: _Builder, nodes: Iterable[Node], parent: str | None) -> None:
    for outer in nodes:
        if outer.type == "ERROR":
            _walk_js(b, outer.named_children, parent)
            continue
        node = _js_unwrap(outer)
        if node is None:
            continue
        kind = node.type
        name = b.field_text(node, "name")
        body = node.child_by_field_name("body")
        doc = b.doc_above(outer)
        if kind in _JS_CLASSES:
            b.add(name, "class", b.header(outer, node, body), doc, outer, None)
            if body is not None:
                _walk_js_members(b, body, name)
        elif kind in _JS_FUNCTIONS:
            b.add(name, "function", b.header(outer, node, body), doc, outer, None)
        elif kind == "interface_declaration":
            b.add(name, "interface", b.header(outer, node, body), doc, outer, None)
            if body is not None:
                _walk_js_members(b, body, name)
        elif kind == "type_alias_declaration":
            value = node.child_by_field_name("value")
            signature = b.valued(_sig_start(outer), value, node.end_byte)
            b.add(name, "type", signature, doc, outer, None)
        elif kind == "enum_declaration":
            b.add(name, "enum", b.header(outer, node, body), doc, outer, None)
        elif kind in ("internal_module", "module"):
            b.add(name.strip("\"'"), "namespace", b.header(outer, node, body), doc, outer, None)
            if body is not None:
                _walk_js(b, body.named_children, None)
        elif kind == "lexical_declaration" and _first_child_type(node) == "const":
            _js_consts(b, outer, node, doc)


def _js_consts(b: _Builder, outer: Node, declaration: Node, doc: str) -> None:
    declarators = [c for c in declaration.named_children if c.type == "variable_declarator"]
    for declarator in declarators:
        name = declarator.child_by_field_name("name")
        if name is None or name.type != "identifier":
            continue
        value = declarator.child_by_field_name("value")
        if value is not None and value.type in _JS_FUNCTION_VALUES:
            signature = b.header(outer, value, value.child_by_field_name("body"))
            b.add(b.text(name), "function", signature, doc, outer, None)
        elif not _is_module_load(b, value):
            signature = b.declarator_signature(outer, declarators[0], declarator, value)
            b.add(b.text(name), "constant", signature, doc, outer, None)


def _is_module_load(b: _Builder, value: Node | None) -> bool:
    """Whether a value is ``require(...)`` or ``await import(...)``: an import, not a constant."""
    if value is not None and value.type == "await_expression":
        value = _first_named(value)
    if value is None or value.type != "call_expression":
        return False
    function = value.child_by_field_name("function")
    return function is not None and (function.type == "import" or b.text(function) == "require")


def _walk_js_members(b: _Builder, body: Node, parent: str) -> None:
    for member in body.named_children:
        kind = member.type
        name = b.text(member.child_by_field_name("name") or member.child_by_field_name("property"))
        if kind in _JS_METHODS:
            signature = b.header(member, member, member.child_by_field_name("body"))
            b.add(name, "method", signature, b.doc_above(member), member, parent)
            if name == "constructor":
                _js_constructor_attributes(b, member, parent)
        elif kind in _JS_FIELDS:
            value = member.child_by_field_name("value")
            if value is not None and value.type in _JS_FUNCTION_VALUES:
                signature = b.header(member, value, value.child_by_field_name("body"))
                b.add(name, "method", signature, b.doc_above(member), member, parent)
            else:
                annotation = member.child_by_field_name("type")
                typed = annotation_text(b.src, annotation) if annotation is not None else value_type(b.src, value, {})
                signature = b.valued(_sig_start(member), value, member.end_byte)
                b.add(name, "attribute", signature, b.doc_above(member), member, parent, typed)


def _js_constructor_attributes(b: _Builder, constructor: Node, parent: str) -> None:
    """TypeScript parameter properties and ``this.x = ...`` statements directly in a constructor."""
    parameters = constructor.child_by_field_name("parameters")
    params = parameter_types(b.src, parameters)
    for parameter in parameters.named_children if parameters is not None else ():
        if any(c.type in ("accessibility_modifier", "readonly") for c in parameter.children):
            name = b.field_text(parameter, "pattern")
            b.add(name, "attribute", _collapse(b.text(parameter)), "", parameter, parent, params.get(name, ""))
    body = constructor.child_by_field_name("body")
    seen: set[str] = set()
    for statement in body.named_children if body is not None else ():
        assignment = _first_named(statement) if statement.type == "expression_statement" else None
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
        b.add(name, "attribute", _collapse(signature), "", statement, parent, typed)


# --- Go ---------------------------------------------------------------------------------------


def _go_specs(node: Node, spec_types: tuple[str, ...]) -> list[Node]:
    specs = []
    for child in node.named_children:
        if child.type in spec_types:
            specs.append(child)
        elif child.type.endswith("_list"):
            specs.extend(c for c in child.named_children if c.type in spec_types)
    return specs


def _go_receiver_type(b: _Builder, method: Node) -> str | None:
    receiver = method.child_by_field_name("receiver")
    parameter = _first_named(receiver) if receiver is not None else None
    while parameter is not None and parameter.type != "parameter_declaration":
        parameter = parameter.next_named_sibling
    if parameter is None:
        return None
    text = b.field_text(parameter, "type").lstrip("*").strip()
    return text.split("[", 1)[0].strip() or None


def _walk_go(b: _Builder, nodes: Iterable[Node], parent: str | None) -> None:
    for node in nodes:
        kind = node.type
        if kind == "function_declaration":
            b.definition(node, "function", None)
        elif kind == "method_declaration":
            b.definition(node, "method", _go_receiver_type(b, node))
        elif kind == "type_declaration":
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
            _walk_go(b, node.named_children, None)


def _go_grouped(declaration: Node) -> bool:
    return any(child.type == "(" or child.type.endswith("_list") for child in declaration.children)


def _go_type(b: _Builder, declaration: Node, spec: Node, grouped: bool) -> None:
    outer = spec if grouped else declaration
    name = b.field_text(spec, "name")
    type_node = spec.child_by_field_name("type")
    doc = b.doc_above(outer)
    kind = "type"
    body_start = None
    if spec.type == "type_spec" and type_node is not None and type_node.type == "struct_type":
        kind = "struct"
        fields = _first_named(type_node)
        body_start = fields.start_byte if fields is not None else None
    elif spec.type == "type_spec" and type_node is not None and type_node.type == "interface_type":
        kind = "interface"
        brace = next((c for c in type_node.children if c.type == "{"), None)
        body_start = brace.start_byte if brace is not None else None
    if body_start is not None:
        signature = "type " + _collapse(b.src[spec.start_byte : body_start].decode("utf-8", "replace"))
    else:
        signature = "type " + b.valued(spec.start_byte, type_node, spec.end_byte)
    b.add(name, kind, signature, doc, outer, None)
    if kind == "interface" and type_node is not None:
        for element in type_node.named_children:
            if element.type == "method_elem":
                signature = _collapse(b.text(element))
                b.add(b.field_text(element, "name"), "method", signature, b.doc_above(element), element, name)


# --- Rust -------------------------------------------------------------------------------------

_RUST_TYPES = {"struct_item": "struct", "union_item": "struct", "enum_item": "enum"}


def _rust_type_name(b: _Builder, node: Node | None) -> str:
    """``Point`` from ``Point<T>``, ``&'a mut Point`` or ``crate::geo::Point``."""
    text = b.text(node).split("<", 1)[0]
    text = text.lstrip("&").strip()
    if text.startswith("'"):
        text = text.split(None, 1)[-1]
    text = text.removeprefix("mut ").removeprefix("dyn ").strip()
    return text.rsplit("::", 1)[-1]


def _walk_rust(b: _Builder, nodes: Iterable[Node], parent: str | None) -> None:
    for node in nodes:
        kind = node.type
        if kind in ("function_item", "function_signature_item"):
            b.definition(node, "method" if parent is not None else "function", parent)
        elif parent is not None and kind not in ("const_item", "static_item", "type_item"):
            continue
        elif kind in _RUST_TYPES:
            body = node.child_by_field_name("body")
            if body is not None and body.type == "ordered_field_declaration_list":
                body = None
            signature = b.header(node, node, body)
            b.add(b.field_text(node, "name"), _RUST_TYPES[kind], signature, b.doc_above(node), node, None)
        elif kind == "trait_item":
            body = node.child_by_field_name("body")
            name = b.field_text(node, "name")
            b.add(name, "trait", b.header(node, node, body), b.doc_above(node), node, None)
            if body is not None:
                _walk_rust(b, body.named_children, name)
        elif kind == "impl_item":
            body = node.child_by_field_name("body")
            name = _rust_type_name(b, node.child_by_field_name("type"))
            b.add(name, "impl", b.header(node, node, body), b.doc_above(node), node, None)
            if body is not None:
                _walk_rust(b, body.named_children, name)
        elif kind == "type_item":
            value = node.child_by_field_name("type")
            signature = b.valued(_sig_start(node), value, node.end_byte)
            b.add(b.field_text(node, "name"), "type", signature, b.doc_above(node), node, parent)
        elif kind in ("const_item", "static_item"):
            value = node.child_by_field_name("value")
            signature = b.valued(_sig_start(node), value, node.end_byte)
            b.add(b.field_text(node, "name"), "constant", signature, b.doc_above(node), node, parent)
        elif kind == "mod_item" and node.child_by_field_name("body") is not None:
            b.definition(node, "namespace", None)
        elif kind == "ERROR":
            _walk_rust(b, node.named_children, None)


# --- Java -------------------------------------------------------------------------------------

_JAVA_TYPES = {
    "class_declaration": "class",
    "record_declaration": "class",
    "interface_declaration": "interface",
    "annotation_type_declaration": "interface",
    "enum_declaration": "enum",
}
_JAVA_METHODS = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "compact_constructor_declaration",
        "annotation_type_element_declaration",
    }
)


def _java_modifiers(b: _Builder, node: Node) -> set[str]:
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    if modifiers is None:
        return set()
    return {b.text(c) for c in modifiers.children if c.type not in _LEADING_NOISE}


def _walk_java(b: _Builder, nodes: Iterable[Node], parent: str | None) -> None:
    for node in nodes:
        kind = node.type
        if kind in _JAVA_TYPES:
            name = b.field_text(node, "name")
            body = node.child_by_field_name("body")
            b.add(name, _JAVA_TYPES[kind], b.header(node, node, body), b.doc_above(node), node, parent)
            if body is not None:
                members = list(body.named_children)
                for child in body.named_children:
                    if child.type == "enum_body_declarations":
                        members.extend(child.named_children)
                _walk_java(b, members, name)
        elif kind in _JAVA_METHODS and parent is not None:
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
            _walk_java(b, node.named_children, parent)


# --- C / C++ ----------------------------------------------------------------------------------

_C_TYPES = {
    "class_specifier": "class",
    "struct_specifier": "struct",
    "union_specifier": "struct",
    "enum_specifier": "enum",
}
_C_TRANSPARENT = frozenset({"preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif", "preproc_elifdef", "ERROR"})
_C_FUNCTION_NAMES = frozenset(
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
_C_TEMPLATE_INNER = frozenset(
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
_C_CONST_QUALIFIERS = frozenset({"const", "constexpr", "constinit"})


def _c_function(node: Node) -> tuple[Node, Node] | None:
    """The (function_declarator, name node) a declaration declares, following pointer declarators."""
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type in ("pointer_declarator", "reference_declarator"):
        inner = declarator.child_by_field_name("declarator")
        declarator = inner if inner is not None else _last_named(declarator)
    if declarator is None or declarator.type != "function_declarator":
        return None
    name = declarator.child_by_field_name("declarator")
    if name is None or name.type not in _C_FUNCTION_NAMES:
        return None
    return declarator, name


def _c_qualified_name(b: _Builder, name: Node) -> tuple[str, str | None]:
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


def _walk_c(b: _Builder, nodes: Iterable[Node], parent: str | None) -> None:
    for outer in nodes:
        if outer.type in _C_TRANSPARENT:
            _walk_c(b, outer.named_children, parent)
            continue
        if outer.type == "linkage_specification":
            body = outer.child_by_field_name("body")
            if body is not None:
                _walk_c(b, body.named_children if body.type == "declaration_list" else [body], parent)
            continue
        node = outer
        while node.type == "template_declaration":
            inner = next((c for c in reversed(node.named_children) if c.type in _C_TEMPLATE_INNER), None)
            if inner is None:
                break
            node = inner
        _c_declaration(b, outer, node, parent)


def _c_declaration(b: _Builder, outer: Node, node: Node, parent: str | None) -> None:
    kind = node.type
    if kind == "namespace_definition":
        body = node.child_by_field_name("body")
        name = b.field_text(node, "name")
        if name:
            b.add(name, "namespace", b.header(outer, node, body), b.doc_above(outer), outer, None)
        if body is not None:
            _walk_c(b, body.named_children, None)
    elif kind in _C_TYPES:
        _c_type(b, outer, node, parent)
    elif kind == "function_definition":
        _c_function_symbol(b, outer, node, parent, node.child_by_field_name("body"))
    elif kind in ("declaration", "field_declaration"):
        type_node = node.child_by_field_name("type")
        if type_node is not None and type_node.type in _C_TYPES:
            _c_type(b, outer, type_node, parent)
        if _c_function(node) is not None:
            _c_function_symbol(b, outer, node, parent, None)
        elif (
            parent is None
            and kind == "declaration"
            and any(c.type == "type_qualifier" and b.text(c) in _C_CONST_QUALIFIERS for c in node.children)
        ):
            _c_constants(b, outer, node)
    elif kind == "type_definition":
        type_node = node.child_by_field_name("type")
        declarators = node.children_by_field_name("declarator")
        name = b.text(_c_declared_name(declarators[0]) if declarators else None)
        body = type_node.child_by_field_name("body") if type_node is not None else None
        if type_node is not None and body is not None:
            symbol_kind = _C_TYPES.get(type_node.type, "type")
            signature = f"{b.header(outer, type_node, body)} {name}"
        else:
            symbol_kind = "type"
            signature = b.header(outer, node, None)
        b.add(name, symbol_kind, signature, b.doc_above(outer), outer, parent)
    elif kind == "alias_declaration":
        value = node.child_by_field_name("type")
        signature = b.valued(_sig_start(outer), value, node.end_byte)
        b.add(b.field_text(node, "name"), "type", signature, b.doc_above(outer), outer, parent)
    elif kind == "preproc_def" and parent is None and node.child_by_field_name("value") is not None:
        signature = _collapse(b.text(node))
        b.add(b.field_text(node, "name"), "constant", signature, b.doc_above(outer), outer, None)


def _c_type(b: _Builder, outer: Node, node: Node, parent: str | None) -> None:
    body = node.child_by_field_name("body")
    name = b.field_text(node, "name")
    if body is None or not name:
        return
    b.add(name, _C_TYPES[node.type], b.header(outer, node, body), b.doc_above(outer), outer, parent)
    if node.type != "enum_specifier":
        _walk_c(b, body.named_children, name)


def _c_function_symbol(b: _Builder, outer: Node, node: Node, parent: str | None, body: Node | None) -> None:
    found = _c_function(node)
    if found is None:
        return
    _, name_node = found
    name, scope = _c_qualified_name(b, name_node)
    owner = parent if parent is not None else scope
    kind = "method" if owner is not None else "function"
    b.add(name, kind, b.header(outer, node, body), b.doc_above(outer), outer, owner)


def _c_constants(b: _Builder, outer: Node, node: Node) -> None:
    declarators = node.children_by_field_name("declarator")
    doc = b.doc_above(outer)
    for declarator in declarators:
        value = declarator.child_by_field_name("value") if declarator.type == "init_declarator" else None
        name = _c_declared_name(declarator)
        if name is None:
            continue
        signature = b.declarator_signature(outer, declarators[0], declarator, value)
        b.add(b.text(name), "constant", signature, doc, outer, None)


_WALKERS: dict[str, _Walker] = {
    "python": _walk_python,
    "javascript": _walk_js,
    "typescript": _walk_js,
    "tsx": _walk_js,
    "go": _walk_go,
    "rust": _walk_rust,
    "java": _walk_java,
    "c": _walk_c,
    "cpp": _walk_c,
}


# --- imports ----------------------------------------------------------------------------------

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


def _imports(b: _Builder, root: Node) -> tuple[str, ...]:
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


def _import_names(b: _Builder, capture: str, node: Node, captures: dict[str, list[Node]]) -> list[str]:
    if capture == "source":
        function = captures.get("function")
        if function and not (function[0].type == "import" or b.text(function[0]) == "require"):
            return []
        return [_string_value(b.text(node))]
    if capture == "include":
        text = b.text(node)
        return [text if node.type == "system_lib_string" else _string_value(text)]
    if capture == "use":
        return [_collapse(b.text(node))]
    if capture == "mod":
        return [f"mod {b.field_text(node, 'name')}"]
    if capture == "crate":
        return [_collapse(b.text(node))]
    if capture == "import":
        return _keyword_import_names(b, node)
    return []


def _keyword_import_names(b: _Builder, node: Node) -> list[str]:
    kind = node.type
    if kind == "import_statement":
        names = []
        for child in node.children_by_field_name("name"):
            if child.type == "aliased_import":
                child = child.child_by_field_name("name") or child
            names.append(b.text(child))
        return names
    if kind == "import_from_statement":
        return [_collapse(b.text(node.child_by_field_name("module_name")))]
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
