"""Tree-sitter questions the actions ask: the enclosing definition, and whether text parses."""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from lsp_server.context.languages import get_parser
from lsp_server.context.summaries.nodes import (
    C_FUNCTIONS,
    C_STRUCTS,
    CPP_CLASSES,
    GO_FUNCTIONS,
    GO_METHODS,
    GO_TYPE_DECLARATIONS,
    JAVA_CLASSES,
    JAVA_CONSTRUCTORS,
    JAVA_ENUMS,
    JAVA_INTERFACES,
    JAVA_METHODS,
    JS_CLASSES,
    JS_EXPORTS,
    JS_FUNCTIONS,
    JS_METHODS,
    PYTHON_CLASSES,
    PYTHON_DECORATED,
    PYTHON_FUNCTIONS,
    RUST_ENUMS,
    RUST_FUNCTIONS,
    RUST_IMPLS,
    RUST_STRUCTS,
    RUST_TRAITS,
    TS_INTERFACES,
)

# Node types that are a function or a class-like definition, per language.
_FUNCTIONS: dict[str, frozenset[str]] = {
    "python": PYTHON_FUNCTIONS,
    "javascript": JS_FUNCTIONS | JS_METHODS,
    "typescript": JS_FUNCTIONS | JS_METHODS,
    "tsx": JS_FUNCTIONS | JS_METHODS,
    "go": GO_FUNCTIONS | GO_METHODS,
    "rust": RUST_FUNCTIONS,
    "java": JAVA_METHODS | JAVA_CONSTRUCTORS,
    "c": C_FUNCTIONS,
    "cpp": C_FUNCTIONS,
}
_CLASSES: dict[str, frozenset[str]] = {
    "python": PYTHON_CLASSES,
    "javascript": JS_CLASSES,
    "typescript": JS_CLASSES | TS_INTERFACES,
    "tsx": JS_CLASSES | TS_INTERFACES,
    "go": GO_TYPE_DECLARATIONS,
    "rust": RUST_STRUCTS | RUST_ENUMS | RUST_TRAITS | RUST_IMPLS,
    "java": JAVA_CLASSES | JAVA_INTERFACES | JAVA_ENUMS,
    "c": C_STRUCTS,
    "cpp": CPP_CLASSES | C_STRUCTS,
}
# Wrappers whose start is the definition's real start (decorators, export).
_WRAPPERS = PYTHON_DECORATED | JS_EXPORTS


@dataclass(frozen=True)
class EnclosingDefinition:
    """A function or class around a position; offsets are Python character offsets."""

    kind: str  # "function" or "class"
    name: str
    start: int  # where the definition (with its decorators) starts
    end: int
    body_start: int | None  # start of the body block, None when there is none


class _Offsets:
    """Byte offsets of a UTF-8 encoding back to character offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.data = text.encode("utf-8")

    def char(self, byte: int) -> int:
        return len(self.data[:byte].decode("utf-8", errors="ignore"))

    def byte(self, char: int) -> int:
        return len(self.text[:char].encode("utf-8"))


def _node_name(node: Node) -> str:
    name = node.child_by_field_name("name")
    if name is None and node.type in GO_TYPE_DECLARATIONS:
        spec = next((child for child in node.named_children if child.type == "type_spec"), None)
        name = spec.child_by_field_name("name") if spec is not None else None
    if name is None and node.type in C_FUNCTIONS:  # C/C++: the name is inside the declarator
        declarator = node.child_by_field_name("declarator")
        while declarator is not None and declarator.child_by_field_name("declarator") is not None:
            declarator = declarator.child_by_field_name("declarator")
        name = declarator
    if name is None and node.type in RUST_IMPLS:
        name = node.child_by_field_name("type")
    return name.text.decode("utf-8", errors="replace") if name is not None and name.text else ""


def enclosing_definition(
    text: str, language: str, offset: int, *, functions_only: bool = False
) -> EnclosingDefinition | None:
    """The innermost function (or class, unless ``functions_only``) that contains ``offset``."""
    definition, function = enclosing_definitions(text, language, offset)
    return function if functions_only else definition


def enclosing_definitions(
    text: str, language: str, offset: int
) -> tuple[EnclosingDefinition | None, EnclosingDefinition | None]:
    """The innermost function or class, and the innermost function, that contain ``offset`` (one parse)."""
    functions = _FUNCTIONS.get(language, frozenset())
    kinds = functions | _CLASSES.get(language, frozenset())
    if not kinds:
        return None, None
    offsets = _Offsets(text)
    tree = get_parser(language).parse(offsets.data)
    byte = offsets.byte(offset)
    node: Node | None = tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None and node.type not in kinds:
        node = node.parent
    function = node
    while function is not None and function.type not in functions:
        function = function.parent
    return _definition(node, language, offsets), _definition(function, language, offsets)


def _definition(node: Node | None, language: str, offsets: _Offsets) -> EnclosingDefinition | None:
    if node is None:
        return None
    outer = node
    while outer.parent is not None and outer.parent.type in _WRAPPERS:
        outer = outer.parent
    body = node.child_by_field_name("body")
    return EnclosingDefinition(
        kind="function" if node.type in _FUNCTIONS.get(language, ()) else "class",
        name=_node_name(node),
        start=offsets.char(outer.start_byte),
        end=offsets.char(outer.end_byte),
        body_start=offsets.char(body.start_byte) if body is not None else None,
    )


def error_count(text: str, language: str) -> int:
    """How many ERROR or MISSING nodes a parse of ``text`` has."""
    root = get_parser(language).parse(text.encode("utf-8")).root_node
    if not root.has_error:
        return 0
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1
        if node.has_error:
            stack.extend(node.children)
    return count
