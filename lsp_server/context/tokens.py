"""Identifier tokens of code, the vocabulary that context retrieval matches on."""

from __future__ import annotations

import keyword
import re

IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]{2,}\b")
# Words every file uses: they say nothing about which code is relevant.
COMMON_WORDS = frozenset(keyword.kwlist) | {
    "self",
    "this",
    "None",
    "True",
    "False",
    "null",
    "true",
    "false",
    "return",
    "const",
    "let",
    "var",
    "func",
    "function",
    "public",
    "private",
    "static",
    "void",
    "int",
    "str",
    "string",
    "bool",
    "print",
}


def identifiers(text: str) -> list[str]:
    """The identifiers of ``text`` in order, without common words (repeats kept)."""
    return [name for name in IDENTIFIER.findall(text) if name not in COMMON_WORDS]
