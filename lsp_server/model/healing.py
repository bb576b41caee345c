"""Token healing: take the cursor's partial token off the prompt and make the answer start with it.

A prompt that ends inside a word (``f`` of ``file``) or right after punctuation that BPE merges
with what follows (``.`` of ``.seek``) ends on a token boundary the model never saw in training:
it takes ``f`` for a whole name. So the trailing tokens of the typed text are taken back off, and
the first generated tokens are constrained to spell them again (a mask over the vocabulary's byte
pieces), leaving the model free to pick the token that continues the word.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Sequence

import numpy as np

# How much typed text may be taken back: a few tokens of the word at the cursor, never a line.
MAX_HEALED_TOKENS = 4
MAX_HEALED_BYTES = 32


def is_word_byte(byte: int) -> bool:
    """Identifier bytes: ASCII letters, digits, underscore, and any byte of a non-ASCII character."""
    return byte >= 0x80 or byte == 0x5F or 0x30 <= byte <= 0x39 or 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A


def _word_tail(text: bytes) -> int:
    """Length of the trailing identifier of ``text`` with the one space BPE glues to its front."""
    end = len(text)
    start = end
    while start > 0 and is_word_byte(text[start - 1]):
        start -= 1
    if start < end and start > 0 and text[start - 1] == 0x20:
        start -= 1
    return end - start


def _is_indentation(text: bytes) -> bool:
    """True for two or more spaces, or two or more tabs."""
    return len(text) > 1 and (not text.strip(b" ") or not text.strip(b"\t"))


def _first_after_prefix(prefix: bytes) -> bytes:
    """The smallest byte string above every string that starts with ``prefix`` ("" if none)."""
    stripped = prefix.rstrip(b"\xff")
    return stripped[:-1] + bytes([stripped[-1] + 1]) if stripped else b""


def healed_chars(text: str) -> int:
    """How many trailing characters of ``text`` to take back without a tokenizer (remote servers).

    The word at the cursor with its leading space, else the last character unless it ends a line.
    """
    end = len(text)
    start = end
    while start > 0 and end - start < MAX_HEALED_BYTES and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    if start < end:
        return end - start + (1 if start > 0 and text[start - 1] == " " else 0)
    return 1 if text and text[-1] != "\n" else 0


class TokenHealer:
    """The vocabulary's byte pieces, indexed to find the tokens that can spell a given text."""

    def __init__(self, pieces: Sequence[bytes]) -> None:
        self._pieces = list(pieces)
        # Special and control tokens have no plain-text piece: they never take part in healing.
        order = [token for token, piece in enumerate(self._pieces) if piece]
        order.sort(key=self._pieces.__getitem__)
        self._sorted_pieces = [self._pieces[token] for token in order]
        self._sorted_ids = np.array(order, dtype=np.intc)
        self._ids_of: dict[bytes, list[int]] = {}
        for token in order:
            self._ids_of.setdefault(self._pieces[token], []).append(token)

    def piece(self, token: int) -> bytes:
        """The bytes ``token`` stands for ("" for special tokens)."""
        return self._pieces[token]

    def back_off(self, tokens: Sequence[int], typed: int) -> int:
        """How many trailing tokens to take off; only the last ``typed`` tokens are the user's text.

        Inside a word: the tokens that hold the word (and its leading space). Otherwise: the last
        token alone, since punctuation and whitespace also merge with what follows.
        """
        typed = min(typed, len(tokens), MAX_HEALED_TOKENS)
        if typed <= 0:
            return 0
        tail = b"".join(self._pieces[t] for t in tokens[len(tokens) - typed :])
        word = _word_tail(tail)
        removed, count = 0, 0
        while count < typed:
            piece = self._pieces[tokens[len(tokens) - 1 - count]]
            if not piece or removed + len(piece) > MAX_HEALED_BYTES:
                break
            removed += len(piece)
            count += 1
            if removed >= word:
                break
        return count

    def allowed(self, pending: bytes) -> np.ndarray:
        """Token ids whose piece starts with ``pending`` or is a proper start of it.

        Indentation (``pending`` all spaces or all tabs) may start only with all of it but one character, which a
        piece with that one in front completes (``"       "`` + ``" let"``), as BPE writes indentation in training:
        a run of shorter pieces (``"   "`` + ``" "`` + ``" "`` ...) is never seen, and the model goes on with spaces.
        """
        low = bisect_left(self._sorted_pieces, pending)
        bound = _first_after_prefix(pending)
        high = bisect_left(self._sorted_pieces, bound) if bound else len(self._sorted_pieces)
        sizes = [len(pending) - 1] if _is_indentation(pending) else range(1, len(pending))
        shorter = [token for size in sizes for token in self._ids_of.get(pending[:size], ())]
        extending = self._sorted_ids[low:high]
        return np.concatenate([extending, np.asarray(shorter, dtype=np.intc)]) if shorter else extending

    def choose(self, logits: np.ndarray, pending: bytes, banned: Collection[int] = ()) -> int:
        """The most likely token that agrees with ``pending`` (any token when nothing is pending) and is not
        ``banned``, unless every token that agrees is."""
        if not pending:
            scores = logits.copy()
            scores[list(banned)] = -np.inf
            return int(np.argmax(scores))
        candidates = self.allowed(pending)
        if banned:
            kept = candidates[~np.isin(candidates, list(banned))]
            candidates = kept if kept.size else candidates
        return int(candidates[int(np.argmax(logits[candidates]))])

    @staticmethod
    def still_pending(pending: bytes, piece: bytes) -> bytes:
        """What is left to spell after ``piece`` was generated."""
        return b"" if piece.startswith(pending) else pending[len(piece) :]
