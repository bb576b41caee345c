"""Token healing: how much typed text is taken back, and which tokens may spell it again."""

from __future__ import annotations

import numpy as np
import pytest

from lsp_server.model.healing import MAX_HEALED_TOKENS, TokenHealer

PIECES = [
    b"",
    b"f",
    b" f",
    b" file",
    b".",
    b".seek",
    b"(",
    b"0",
    b")",
    b"    ",
    b"   ",
    b" x",
    b"fi",
    b"le",
    b" ",
    b"\xc3",
    b"\xa9",
    b"\xc3\xa9t",
]
ID = {piece: token for token, piece in enumerate(PIECES) if piece}


def ids(*pieces: bytes) -> list[int]:
    return [ID[piece] for piece in pieces]


@pytest.fixture
def healer() -> TokenHealer:
    return TokenHealer(PIECES)


def test_a_partial_word_is_taken_back_with_its_space(healer: TokenHealer) -> None:
    tokens = ids(b"    ", b" f")
    assert healer.back_off(tokens, typed=2) == 1


def test_a_word_split_over_tokens_is_taken_back_whole(healer: TokenHealer) -> None:
    assert healer.back_off(ids(b"(", b"fi", b"le"), typed=3) == 2


def test_punctuation_is_taken_back_alone(healer: TokenHealer) -> None:
    assert healer.back_off(ids(b" f", b"."), typed=2) == 1


def test_nothing_is_taken_back_from_outside_the_typed_text(healer: TokenHealer) -> None:
    assert healer.back_off(ids(b"fi", b"le"), typed=0) == 0
    assert healer.back_off(ids(b"fi", b"le"), typed=1) == 1


def test_never_more_than_the_cap(healer: TokenHealer) -> None:
    tokens = ids(*[b"f"] * (MAX_HEALED_TOKENS + 3))
    assert healer.back_off(tokens, typed=len(tokens)) == MAX_HEALED_TOKENS


def test_special_tokens_are_never_taken_back(healer: TokenHealer) -> None:
    assert healer.back_off([ID[b"f"], 0], typed=2) == 0


def test_allowed_tokens_extend_or_start_the_pending_text(healer: TokenHealer) -> None:
    assert {PIECES[t] for t in healer.allowed(b" f")} == {b" f", b" file", b" "}
    assert {PIECES[t] for t in healer.allowed(b".")} == {b".", b".seek"}


def test_indentation_is_spelled_whole_or_all_but_its_last_space(healer: TokenHealer) -> None:
    # Never "   " then " ": the model would go on with single spaces.
    assert {PIECES[t] for t in healer.allowed(b"    ")} == {b"    ", b"   "}
    # Its last space: any piece that starts with one, a word after it too.
    assert {PIECES[t] for t in healer.allowed(b" ")} == {b" ", b" f", b" file", b" x", b"   ", b"    "}


def test_allowed_handles_partial_utf8(healer: TokenHealer) -> None:
    assert {PIECES[t] for t in healer.allowed(b"\xc3")} == {b"\xc3", b"\xc3\xa9t"}
    assert {PIECES[t] for t in healer.allowed(b"\xff")} == set()


def test_choose_takes_the_most_likely_agreeing_token(healer: TokenHealer) -> None:
    logits = np.zeros(len(PIECES), dtype=np.float32)
    logits[ID[b"."]] = 9.0  # the model's favourite overall does not agree with " f"
    logits[ID[b" file"]] = 3.0
    logits[ID[b" f"]] = 2.0
    assert PIECES[healer.choose(logits, b" f")] == b" file"


def test_choose_skips_banned_tokens_unless_none_else_agrees(healer: TokenHealer) -> None:
    logits = np.zeros(len(PIECES), dtype=np.float32)
    logits[ID[b"."]] = 9.0
    logits[ID[b" file"]] = 3.0
    logits[ID[b" f"]] = 2.0
    assert PIECES[healer.choose(logits, b"", {ID[b"."]})] == b" file"  # nothing pending: any token but the banned
    assert PIECES[healer.choose(logits, b" f", {ID[b" file"]})] == b" f"
    assert PIECES[healer.choose(logits, b".seek", {ID[b"."], ID[b".seek"]})] == b"."  # every agreeing one banned


def test_still_pending(healer: TokenHealer) -> None:
    assert TokenHealer.still_pending(b" fi", b" file") == b""
    assert TokenHealer.still_pending(b" fi", b" ") == b"fi"


# --------------------------------------------------------------------------- the real Qwen2.5-Coder vocabulary


@pytest.fixture(scope="module")
def qwen():
    """The 0.5B coder's tokenizer alone (vocab_only: no weights), and a healer over its pieces."""
    from lsp_session import require_model

    from lsp_server.model.catalog import load_catalog
    from lsp_server.model.fetch import model_file
    from lsp_server.model.llama_loading import import_llama, vocab_pieces

    require_model("qwen2.5-coder-0.5b")
    llama_cpp = import_llama()
    path = model_file(load_catalog().get("qwen2.5-coder-0.5b"))
    llm = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    return llm, TokenHealer(vocab_pieces(llm))


def _tokens(llm, text: str) -> list[int]:
    return llm.tokenize(text.encode(), add_bos=False, special=False)


def _healed(qwen, typed: str) -> bytes:
    llm, healer = qwen
    tokens = _tokens(llm, typed)
    cut = healer.back_off(tokens, len(tokens))
    return b"".join(healer.piece(t) for t in tokens[len(tokens) - cut :])


@pytest.mark.parametrize(
    ("typed", "healed"),
    [
        ("    f", b" f"),  # the issue's case: `f` of `file` at the start of a body line
        ("    return os.path.jo", b".jo"),  # one token: the dot goes back with the word
        ("    return os.path.", b"."),
        ("result = compute(", b"("),
        ("x = ", b" "),
        ("    self.assertEq", b".assertEq"),  # ".assert" + "Eq": the whole word goes back
    ],
)
def test_real_tokenizations_take_back_the_cursor_token(qwen, typed: str, healed: bytes) -> None:
    assert _healed(qwen, typed) == healed


def test_a_long_word_is_taken_back_to_its_start(qwen) -> None:
    llm, healer = qwen
    typed = "value = compute_totals_for_every_reg"
    tokens = _tokens(llm, typed)
    assert len(tokens[tokens.index(_tokens(llm, " compute")[0]) :]) > 1, "the word must span several tokens"
    assert _healed(qwen, typed) == b" compute_totals_for_every_reg"[-len(_healed(qwen, typed)) :]
    assert len(_healed(qwen, typed)) > len(b"reg")


def test_the_word_the_user_means_can_be_spelled_in_one_token(qwen) -> None:
    llm, healer = qwen
    allowed = {healer.piece(t) for t in healer.allowed(b" f")}
    assert b" file" in allowed and b" for" in allowed and b".seek" not in allowed
    assert {healer.piece(t) for t in healer.allowed(b".")} >= {b".join", b".seek", b"."}


@pytest.mark.parametrize("indent", [8, 12])
def test_indentation_is_taken_back_and_spelled_as_the_tokenizer_writes_it(qwen, indent: int) -> None:
    llm, healer = qwen
    pending = _healed(qwen, "    def f(self):\n" + " " * indent)
    assert pending == b" " * indent
    spelled = {healer.piece(t) for t in healer.allowed(pending)}
    # What BPE makes of the indented line the user is about to write is among them.
    assert healer.piece(_tokens(llm, " " * indent + "return x")[0]) in spelled
    assert all(piece.startswith(pending) or piece == pending[:-1] for piece in spelled)


def test_no_special_token_can_spell_text(qwen) -> None:
    llm, healer = qwen
    specials = llm.tokenize(b"<|fim_middle|><|endoftext|><|file_sep|>", add_bos=False, special=True)
    assert len(specials) == 3
    assert all(healer.piece(t) == b"" for t in specials)
    assert not set(specials) & set(healer.allowed(b"<").tolist())
