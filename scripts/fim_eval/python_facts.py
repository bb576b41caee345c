"""Facts about Python files from ``ast`` and ``tokenize``."""

from __future__ import annotations

import ast
import io
import keyword
import posixpath
import tokenize

from .source import PUNCTUATION, Facts

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_BLOCKS = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
)


def analyze(files: dict[str, str], package: str) -> dict[str, Facts]:
    """Facts for every file that parses; ``package`` is the import name of the workspace folder."""
    trees = {}
    for path, text in files.items():
        try:
            trees[path] = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
    defined = {path: _top_level_names(tree) for path, tree in trees.items()}
    facts = {}
    for path, tree in trees.items():
        file = Facts(path, files[path])
        functions = sorted(
            (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))),
            key=lambda f: (f.lineno, f.col_offset),
        )
        _statements(file, functions)
        _tokens(file)
        _blocks(file, tree)
        _imported_uses(file, tree, functions, package, defined)
        facts[path] = file
    return facts


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _statements(file: Facts, functions: list[FunctionNode]) -> None:
    lines = file.lines
    for function in functions:
        for inner in ast.walk(function):
            if inner is function or not isinstance(inner, ast.stmt) or _is_docstring(inner):
                continue
            code = lines[inner.lineno - 1]
            # the statement must start the line's code (not `a = 1; b = 2`, not `if x: y`)
            if inner.col_offset == len(code) - len(code.lstrip()):
                file.statements[inner.lineno - 1] = inner.col_offset


def _tokens(file: Facts) -> None:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(file.text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return
    for token in tokens:
        line = token.start[0] - 1
        if token.type == tokenize.COMMENT:
            file.commented.add(line)
        elif (
            token.type == tokenize.NAME
            and not keyword.iskeyword(token.string)
            and not keyword.issoftkeyword(token.string)
        ):
            file.identifiers.append((line, token.start[1], token.end[1]))
        elif token.type == tokenize.OP and token.string in PUNCTUATION and token.end[0] - 1 == line:
            file.punctuation.append((line, token.end[1]))


def _blocks(file: Facts, tree: ast.Module) -> None:
    for node in ast.walk(tree):
        if not isinstance(node, _BLOCKS):
            continue
        body = (
            node.body[1:]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_docstring(node.body[0])
            else node.body
        )
        if not body:
            continue
        start = body[0].lineno - 1
        if start <= node.lineno - 1 or start not in file.statements:
            continue  # `def f(): return 1` on one line, or a block outside any function
        file.blocks.append((start, file.statements[start], [stmt.end_lineno - 1 for stmt in body]))
    file.blocks.sort()


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _bound_names(function: FunctionNode) -> set[str]:
    """Names a function (or anything nested in it) binds: parameters, assignment targets, nested defs."""
    names: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not function:
            names.add(node.name)
    return names


def _resolve_module(path: str, node: ast.ImportFrom, package: str, known: dict[str, set[str]]) -> str | None:
    """The workspace-relative path of the module ``node`` imports from, if it is a file of the workspace."""
    if node.level:
        base = posixpath.dirname(path)
        for _ in range(node.level - 1):
            base = posixpath.dirname(base)
        parts = node.module.split(".") if node.module else []
    else:
        parts = (node.module or "").split(".")
        if parts[0] != package:
            return None
        base, parts = "", parts[1:]
    if not parts:
        return None
    stem = posixpath.join(base, *parts)
    for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
        if candidate in known:
            return candidate
    return None


def _imported_uses(
    file: Facts, tree: ast.Module, functions: list[FunctionNode], package: str, defined: dict[str, set[str]]
) -> None:
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = _resolve_module(file.path, node, package, defined)
            if module is not None and module != file.path:
                imported.update(alias.asname or alias.name for alias in node.names if alias.name in defined[module])
    for function in functions:
        shadowed = _bound_names(function)  # a parameter or local variable with the same name is not the import
        for stmt in function.body:
            for node in ast.walk(stmt):
                if (
                    isinstance(node, ast.Name)
                    and isinstance(node.ctx, ast.Load)
                    and node.id in imported
                    and node.id not in shadowed
                ):
                    line = node.lineno - 1
                    if node.col_offset < file.imported_uses.get(line, 1 << 30):
                        file.imported_uses[line] = node.col_offset
