"""Where a refused answer is generated again: the least sure token of its first visible word."""

from __future__ import annotations

from lsp_server.model.llama_decode import restart_position


def test_a_refused_answer_restarts_at_the_least_sure_token_of_its_first_word():
    # `Self::` + `NFD(nfd) => ...` (the line below): `FD` won over `FC` by less than `N` over `" NFC"`.
    pieces = [b"::", b"N", b"FD", b"(n", b"fd", b")"]
    assert restart_position(pieces, b"::", [9.0, 4.65, 2.14, 3.6, 0.5, 0.1]) == 2
    # The same answer where the first token was the close call: the restart is there.
    assert restart_position(pieces, b"::", [9.0, 0.4, 2.14, 3.6, 0.5, 0.1]) == 1


def test_the_first_word_starts_after_the_healed_text_and_blanks():
    pieces = [b"   ", b" return", b" sum", b"(values"]
    assert restart_position(pieces, b"  ", [0.1, 5.0, 0.2, 0.3]) == 1  # the indentation is not a word
    assert restart_position([b" NFC", b"(n"], b"", [3.0, 0.1]) == 0  # a word with its space glued in front
    assert restart_position([b"foo", b"bar", b"baz"], b"", [2.0]) == 0  # margins not kept count as sure


def test_a_punctuation_mark_is_a_word_of_its_own_and_blanks_are_none():
    assert restart_position([b"}", b"\n", b"else"], b"", [3.0, 0.1, 0.2]) == 0
    assert restart_position([b"    ", b"\n"], b"", [0.1, 0.1]) is None
