"""Where and how a doc comment goes for a definition, in each language's own style."""

from __future__ import annotations

import re

from lsp_server.actions.syntax import EnclosingDefinition
from lsp_server.actions.textedit import TextChange

_PY_DOCSTRING_START = re.compile(r'^[rRuU]?("""|\'\'\'|"|\')')
_SLASH_STAR = frozenset({"javascript", "typescript", "tsx", "java", "c", "cpp"})


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _indent_at(text: str, offset: int) -> str:
    start = _line_start(text, offset)
    line = text[start : text.find("\n", start) if "\n" in text[start:] else len(text)]
    return line[: len(line) - len(line.lstrip(" \t"))]


def has_doc(text: str, language: str, definition: EnclosingDefinition) -> bool:
    """Whether the definition already has a docstring (Python) or a comment right above it."""
    if language == "python":
        return definition.body_start is not None and bool(_PY_DOCSTRING_START.match(text[definition.body_start :]))
    start = _line_start(text, definition.start)
    above = text[:start].rstrip("\n").rsplit("\n", 1)[-1].strip()
    return above.startswith(("//", "/*", "*", "///"))


def can_document(text: str, language: str, definition: EnclosingDefinition) -> bool:
    """Whether a doc comment can be inserted (a Python body must start on its own line)."""
    if language != "python":
        return True
    body = definition.body_start
    return body is not None and "\n" in text[definition.start : body]


def doc_change(text: str, language: str, definition: EnclosingDefinition, doc: str) -> TextChange:
    """The insertion that documents ``definition`` with ``doc`` (plain text, one or more lines)."""
    lines = doc.strip().splitlines() or [""]
    if language == "python":
        assert definition.body_start is not None
        at = _line_start(text, definition.body_start)
        indent = _indent_at(text, definition.body_start)
        lines = [line.replace('"""', '\\"\\"\\"') for line in lines]
        if len(lines) == 1:
            block = f'{indent}"""{lines[0].strip()}"""\n'
        else:
            body = "\n".join(f"{indent}{line}".rstrip() for line in lines[1:])
            block = f'{indent}"""{lines[0].strip()}\n{body}\n{indent}"""\n'
        return TextChange(at, at, block)
    at = _line_start(text, definition.start)
    indent = _indent_at(text, definition.start)
    if language in _SLASH_STAR:
        lines = [line.replace("*/", "* /") for line in lines]
        if len(lines) == 1:
            block = f"{indent}/** {lines[0].strip()} */\n"
        else:
            block = (
                f"{indent}/**\n" + "".join(f"{indent} * {line}".rstrip() + "\n" for line in lines) + f"{indent} */\n"
            )
    else:
        marker = "///" if language == "rust" else "//"
        block = "".join(f"{indent}{marker} {line}".rstrip() + "\n" for line in lines)
    return TextChange(at, at, block)
