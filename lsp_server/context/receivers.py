"""Resolve the names at the cursor to what the line needs: the classes of its receivers and the function it calls."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from lsp_server.context.index import Definition, WorkspaceIndex
from lsp_server.context.languages import get_parser, language_for_path
from lsp_server.context.summaries import CONTAINER_KINDS, annotation_text, node_text, parameter_types, value_type

_DOTTED = r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*"
_CHAIN = re.compile(rf"(?<![\w$.]){_DOTTED}\.?")
_CALLEE = re.compile(rf"({_DOTTED})\s*$")
_TYPE_NAME = re.compile(_DOTTED)
_CONSTRUCTED = re.compile(rf"\s*(?:new\s+)?({_DOTTED})\s*\(")
_PY_RETURN = re.compile(r"->\s*(.+?):?$")
_TS_RETURN = re.compile(r"\)\s*:\s*([^=]+?)\s*(?:=>|\{)?$")
# Generic wrappers and builtins inside annotations: the class is what they wrap.
_TYPE_WRAPPERS = frozenset(
    "Optional Union List Dict Set Tuple Sequence Iterable Iterator Mapping Type ClassVar Final Annotated list dict set"
    " tuple type None str int float bool bytes object Any Promise Array Record Partial Readonly ReadonlyArray Map"
    " number string boolean void undefined null unknown any never".split()
)
_MAX_CLASSES = 6
_MAX_ATTRIBUTE_HOPS = 2
_LINES_BEFORE = 48
_LINES_AFTER = 16
_CALL_LOOKBACK_CHARS = 600
_FUNCTIONS = frozenset(
    {
        "function_definition",
        "function_declaration",
        "method_definition",
        "arrow_function",
        "function_expression",
        "generator_function_declaration",
        "function",
    }
)
_DECLARATION_WRAPPERS = frozenset(
    {"expression_statement", "lexical_declaration", "variable_declaration", "export_statement"}
)
_CLASSES = frozenset({"class_definition", "class_declaration", "abstract_class_declaration", "class"})
_IMPORT_WRAPPERS = frozenset(
    {
        "if_statement",
        "try_statement",
        "block",
        "else_clause",
        "except_clause",
        "finally_clause",
        "lexical_declaration",
        "variable_declaration",
        "export_statement",
    }
)


@dataclass
class _Scope:
    """What the names of one file mean at the cursor."""

    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # local -> (module, name or None)
    types: dict[str, str] = field(default_factory=dict)  # local -> type as written ("": unknown, shadows)
    own_class: str | None = None
    function_lines: tuple[int, int] | None = None


class ReceiverResolver:
    """Finds, for a cursor, the definitions in other files that the code at the cursor uses members of."""

    def __init__(self, index: WorkspaceIndex) -> None:
        self._index = index

    def needed(self, rel: str, text: str, offset: int) -> list[Definition]:
        """The called function (or class) at the cursor, then the classes of receivers near it, nearest first."""
        language = language_for_path(rel)
        if language not in ("python", "javascript", "typescript", "tsx"):
            return []
        src = text.encode("utf-8", "surrogatepass")
        cursor = len(text[:offset].encode("utf-8", "surrogatepass"))
        scope = _scope(src, get_parser(language).parse(src).root_node, cursor)
        resolve = _Resolution(self._index, rel, language, scope)
        found: dict[tuple[str, int], Definition] = {}

        def keep(definition: Definition | None) -> None:
            if definition is not None and definition.path != rel:
                found.setdefault((definition.path, definition.symbol.start_line), definition)

        keep(resolve.callee(_call_before(text, offset)))
        for line in _lines_by_distance(text, offset, scope.function_lines):
            for chain in _CHAIN.findall(line.replace("?.", ".")):
                for definition in resolve.chain_classes(chain):
                    keep(definition)
                if len(found) > _MAX_CLASSES:
                    return list(found.values())[: _MAX_CLASSES + 1]
        return list(found.values())


def _call_before(text: str, offset: int) -> list[str]:
    """The dotted name of the innermost call whose argument list the cursor is in (``foo.bar(a, |``)."""
    depth = 0
    start = max(0, offset - _CALL_LOOKBACK_CHARS)
    for i in range(offset - 1, start - 1, -1):
        ch = text[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                match = _CALLEE.search(text, max(start, i - 200), i)
                return match.group(1).split(".") if match else []
            depth -= 1
        elif ch in ";{}":
            break
    return []


def _lines_by_distance(text: str, offset: int, function_lines: tuple[int, int] | None) -> list[str]:
    """The cursor's line, then the enclosing function's lines (or a window) nearest first."""
    lines = text.split("\n")
    cursor_line = text.count("\n", 0, offset)
    first, last = cursor_line - _LINES_BEFORE, cursor_line + _LINES_AFTER
    if function_lines is not None:
        first, last = max(first, function_lines[0]), min(last, function_lines[1])
    numbers = sorted(range(max(0, first), min(len(lines) - 1, last) + 1), key=lambda n: (abs(n - cursor_line), n))
    return [lines[n] for n in numbers]


def _scope(src: bytes, root: Node, cursor: int) -> _Scope:
    scope = _Scope()
    _collect_imports(src, root, scope)
    _collect_assignments(src, root, cursor, scope.types, deep=False)
    before = len(src[:cursor].rstrip()) - 1  # the last character typed: at a line's end the cursor touches no node
    node = root.descendant_for_byte_range(max(0, before), max(0, before))
    enclosing: list[Node] = []
    while node is not None:
        if node.type in _FUNCTIONS or node.type == "ERROR":  # an unclosed function often parses as ERROR
            enclosing.append(node)
        elif node.type in _CLASSES and scope.own_class is None:
            scope.own_class = node_text(src, node.child_by_field_name("name"))
        node = node.parent
    for function in reversed(enclosing):  # outermost first: inner bindings win
        if function.type == "ERROR":
            for part in function.named_children:
                if part.start_byte < cursor and part.type in ("formal_parameters", "parameters"):
                    scope.types.update(parameter_types(src, part))
            _collect_assignments(src, function, cursor, scope.types, deep=False)
            continue
        scope.types.update(parameter_types(src, function.child_by_field_name("parameters")))
        if function.type == "arrow_function" and function.child_by_field_name("parameter") is not None:
            scope.types[node_text(src, function.child_by_field_name("parameter"))] = ""
        body = function.child_by_field_name("body")
        if body is not None:
            _collect_assignments(src, body, cursor, scope.types, deep=True)
    functions = [f for f in enclosing if f.type != "ERROR"]
    if functions:
        scope.function_lines = (functions[-1].start_point.row, functions[-1].end_point.row)
    return scope


def _collect_imports(src: bytes, root: Node, scope: _Scope) -> None:
    """Module-level imports (also inside top-level if/try blocks and exports); walking only these is cheap."""
    stack = list(reversed(root.named_children))
    while stack:
        node = stack.pop()
        kind = node.type
        if kind in ("import_statement", "import_from_statement") and node.child_by_field_name("source") is None:
            _python_import(src, node, scope.imports)
        elif kind == "import_statement":
            _js_import(src, node, scope.imports)
        elif kind == "variable_declarator" and _is_require(src, node.child_by_field_name("value")):
            _js_require(src, node, scope.imports)
        elif kind in _IMPORT_WRAPPERS:
            stack.extend(reversed(node.named_children))


def _is_require(src: bytes, value: Node | None) -> bool:
    return (
        value is not None
        and value.type == "call_expression"
        and node_text(src, value.child_by_field_name("function")) == "require"
    )


def _python_import(src: bytes, node: Node, imports: dict[str, tuple[str, str | None]]) -> None:
    module = node_text(src, node.child_by_field_name("module_name"))
    for name in node.children_by_field_name("name"):
        alias = None
        if name.type == "aliased_import":
            alias = node_text(src, name.child_by_field_name("alias"))
            name = name.child_by_field_name("name")
        dotted = node_text(src, name)
        if node.type == "import_statement":
            imports[alias or dotted] = (dotted, None)
        else:
            imports[alias or dotted] = (module, dotted)


def _js_import(src: bytes, node: Node, imports: dict[str, tuple[str, str | None]]) -> None:
    spec = node_text(src, node.child_by_field_name("source")).strip("\"'`")
    clause = next((c for c in node.named_children if c.type == "import_clause"), None)
    for part in clause.named_children if clause is not None else ():
        if part.type == "identifier":  # default import: the module's default export, usually named alike
            imports[node_text(src, part)] = (spec, node_text(src, part))
        elif part.type == "namespace_import":
            imports[node_text(src, part.named_children[-1])] = (spec, None)
        elif part.type == "named_imports":
            for specifier in part.named_children:
                name = node_text(src, specifier.child_by_field_name("name"))
                alias = node_text(src, specifier.child_by_field_name("alias"))
                if name:
                    imports[alias or name] = (spec, name)


def _js_require(src: bytes, declarator: Node, imports: dict[str, tuple[str, str | None]]) -> None:
    call = declarator.child_by_field_name("value")
    arguments = call.child_by_field_name("arguments") if call is not None else None
    if arguments is None or not arguments.named_children or arguments.named_children[0].type != "string":
        return
    spec = node_text(src, arguments.named_children[0]).strip("\"'`")
    target = declarator.child_by_field_name("name")
    if target is None:
        return
    if target.type == "identifier":
        imports[node_text(src, target)] = (spec, None)
    elif target.type == "object_pattern":
        for part in target.named_children:
            if part.type == "shorthand_property_identifier_pattern":
                imports[node_text(src, part)] = (spec, node_text(src, part))
            elif part.type == "pair_pattern":
                imports[node_text(src, part.child_by_field_name("value"))] = (
                    spec,
                    node_text(src, part.child_by_field_name("key")),
                )


def _collect_assignments(src: bytes, block: Node, cursor: int, types: dict[str, str], deep: bool) -> None:
    """Names bound in ``block`` before the cursor (not in nested defs or classes; ``deep``: not only its statements)."""
    stack = list(reversed(block.named_children))
    while stack:
        node = stack.pop()
        if node.start_byte >= cursor or node.type in _FUNCTIONS or node.type in _CLASSES:
            continue
        kind = node.type
        if kind == "assignment" or kind == "assignment_expression":
            left = node.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                annotation = node.child_by_field_name("type")
                typed = annotation_text(src, annotation) if annotation is not None else ""
                types[node_text(src, left)] = typed or value_type(src, node.child_by_field_name("right"), types)
        elif kind == "variable_declarator":
            name = node.child_by_field_name("name")
            annotation = node.child_by_field_name("type")
            typed = annotation_text(src, annotation) if annotation is not None else ""
            typed = typed or value_type(src, node.child_by_field_name("value"), types)
            if name is not None and name.type == "identifier" and typed != "require()":  # an import: see _js_require
                types[node_text(src, name)] = typed
        elif kind in ("for_statement", "for_in_statement"):
            left = node.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                types[node_text(src, left)] = ""
        if deep or kind in _DECLARATION_WRAPPERS:
            stack.extend(reversed(node.named_children))


class _Resolution:
    """Name and type lookups from one file's point of view, through its imports and the index."""

    def __init__(self, index: WorkspaceIndex, rel: str, language: str, scope: _Scope) -> None:
        self._index = index
        self._rel = rel
        self._python = language == "python"
        self._scope = scope
        self._imported_paths: dict[str, list[str]] = {}

    def callee(self, parts: list[str]) -> Definition | None:
        """The function, method or class a call names."""
        if not parts:
            return None
        if len(parts) == 1:
            entity = self._entity([parts[0]])
            return entity if isinstance(entity, Definition) else None
        owner = self._entity(parts[:-1])
        if isinstance(owner, str):
            return self._top_level(owner, parts[-1])
        if owner is not None:
            return self._member(owner, parts[-1])
        return None

    def chain_classes(self, chain: str) -> list[Definition]:
        """The classes of a dotted chain's receivers: ``order.customer.`` -> Order, Customer."""
        parts = chain.rstrip(".").split(".")
        receivers = len(parts) if chain.endswith(".") else len(parts) - 1
        if receivers == 0:
            typed = self._scope.types.get(parts[0])
            return [c for c in [self._type_class(typed, self._rel)] if c is not None] if typed else []
        classes = []
        for size in range(1, min(receivers, 1 + _MAX_ATTRIBUTE_HOPS) + 1):
            entity = self._entity(parts[:size])
            if isinstance(entity, Definition) and entity.symbol.kind in CONTAINER_KINDS:
                classes.append(entity)
        return classes

    def _entity(self, parts: list[str], values: bool = True) -> Definition | str | None:
        """What a dotted name in this file is: a class (a value's class), a function, a module path.

        With ``values`` False the name is a type's: local variables do not count.
        """
        head = parts[0]
        scope = self._scope
        if head in ("self", "this") and values:
            entity = self._own_class()
        elif head in scope.types and values:
            typed = scope.types[head]
            entity = self._type_class(typed, self._rel) if typed else None
        else:
            for size in range(len(parts), 0, -1):
                dotted = ".".join(parts[:size])
                if dotted in scope.imports:
                    entity = self._imported(*scope.imports[dotted])
                    for part in parts[size:]:
                        entity = self._step(entity, part)
                    return entity
            entity = self._named(head, self._rel)
        for part in parts[1:]:
            entity = self._step(entity, part)
        return entity

    def _step(self, entity: Definition | str | None, part: str) -> Definition | str | None:
        if isinstance(entity, str):
            return self._module_entity(entity, part)
        if entity is not None and entity.symbol.kind in CONTAINER_KINDS:
            return self._attribute_class(entity, part)
        return None

    def _imported(self, module: str, name: str | None) -> Definition | str | None:
        """What ``import module`` (name None) or ``from module import name`` binds."""
        path = self._index.resolve_import(self._rel, module)
        if name is None:
            return path
        found = self._module_entity(path, name) if path is not None else None
        if found is None and self._python:  # `from package import module`
            return self._index.resolve_import(self._rel, module + name if module.endswith(".") else f"{module}.{name}")
        return found

    def _module_entity(self, path: str, name: str) -> Definition | None:
        """A top-level name of a module: a class or function itself, or the class of a typed constant."""
        found = self._top_level(path, name)
        if (
            found is not None
            and found.symbol.kind not in CONTAINER_KINDS
            and found.symbol.kind not in ("function", "method")
        ):
            return self._type_class(_declared_type(found), path)
        return found

    def _top_level(self, path: str, name: str) -> Definition | None:
        return next((d for d in self._index.definitions(name) if d.path == path and d.symbol.parent is None), None)

    def _member(self, owner: Definition, name: str) -> Definition | None:
        return next(
            (d for d in self._index.definitions(name) if d.path == owner.path and d.symbol.parent == owner.symbol.name),
            None,
        )

    def _attribute_class(self, owner: Definition, name: str) -> Definition | None:
        member = self._member(owner, name)
        if member is None or member.symbol.kind != "attribute" or not member.symbol.value_type:
            return None
        return self._type_class(member.symbol.value_type, owner.path)

    def _own_class(self) -> Definition | None:
        name = self._scope.own_class
        return next((d for d in self._index.definitions(name) if d.path == self._rel), None) if name else None

    def _type_class(self, typed: str, path: str) -> Definition | None:
        """The class a type as written names (seen from ``path``); a call's result through its return annotation."""
        if typed.endswith("()"):
            parts = typed[:-2].split(".")
            callee = self._entity(parts, values=False) if path == self._rel else self._named(parts[-1], path)
            if isinstance(callee, Definition) and callee.symbol.kind in ("function", "method"):
                returned = _returned_type(callee.symbol.signature)
                return self._type_class(returned, callee.path) if returned and not returned.endswith("()") else None
            return callee if isinstance(callee, Definition) else None
        for name in _TYPE_NAME.findall(typed.replace("'", " ").replace('"', " ")):
            if name.split(".")[-1] in _TYPE_WRAPPERS:
                continue
            found = (
                self._entity(name.split("."), values=False)
                if path == self._rel
                else self._named(name.split(".")[-1], path)
            )
            if isinstance(found, Definition) and found.symbol.kind in CONTAINER_KINDS:
                return found
        return None

    def _named(self, name: str, path: str) -> Definition | None:
        """A top-level definition called ``name``: in ``path``, else in a module it imports, else anywhere."""
        found = [d for d in self._index.definitions(name) if d.symbol.parent is None and d.symbol.kind != "attribute"]
        if not found:
            return None
        nearby = self._imports_of(path)
        found.sort(key=lambda d: (d.path != path, d.path not in nearby, d.symbol.kind not in CONTAINER_KINDS, d.path))
        return found[0]

    def _imports_of(self, path: str) -> list[str]:
        if path not in self._imported_paths:
            summary = self._index.summary(path)
            specs = summary.imports if summary is not None else ()
            self._imported_paths[path] = [p for p in (self._index.resolve_import(path, s) for s in specs) if p]
        return self._imported_paths[path]


def _declared_type(definition: Definition) -> str:
    """The type a constant or attribute is declared with (``X: T = ...`` or ``X = T(...)``), as written."""
    symbol = definition.symbol
    if symbol.value_type:
        return symbol.value_type
    head, _, value = symbol.signature.partition("=")
    if ":" in head:
        return head.split(":", 1)[1].strip()
    call = _CONSTRUCTED.match(value)
    return call.group(1) + "()" if call else ""


def _returned_type(signature: str) -> str:
    match = _PY_RETURN.search(signature) or _TS_RETURN.search(signature)
    return match.group(1).strip() if match else ""
