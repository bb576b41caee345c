"""Prompt skeletons: template text with numbered slots for user text, which never becomes special tokens."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_SLOT = re.compile("\x00(\\d+)\x00")

Tokenize = Callable[[str], list[int]]


def slot(index: int) -> str:
    """A placeholder for user text in a template skeleton (NUL never occurs in a template)."""
    return f"\x00{index}\x00"


def fill_skeleton(skeleton: str, values: Sequence[str], plain: Tokenize, special: Tokenize) -> list[int]:
    """The tokens of ``skeleton``: its own text with ``special``, each slot's value with ``plain``."""
    tokens: list[int] = []
    for index, piece in enumerate(_SLOT.split(skeleton)):
        if index % 2:
            tokens += plain(values[int(piece)])
        elif piece:
            tokens += special(piece)
    return tokens
