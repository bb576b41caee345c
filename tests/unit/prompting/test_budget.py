"""Tests for fitting prefix and suffix windows into a token budget."""

from __future__ import annotations

import pytest

from lsp_server.prompting.budget import TEMPLATE_MARGIN_TOKENS, Budget, fit_window, start_on_step


def words(text: str) -> int:
    return len(text.split())


class CountingWords:
    """A word counter that records how often and on how much text it was called."""

    def __init__(self) -> None:
        self.calls = 0
        self.chars = 0

    def __call__(self, text: str) -> int:
        self.calls += 1
        self.chars += len(text)
        return len(text.split())


def numbered(n: int, start: int = 0) -> str:
    return "".join(f"w{i} x{i}\n" for i in range(start, start + n))  # two words a line


def test_everything_fits_unchanged():
    prefix, suffix = "a b\nc d\ne", "f\ng h\n"
    assert fit_window(prefix, suffix, words, prefix_tokens=100, suffix_tokens=100) == (prefix, suffix)


def test_keeps_prefix_tail_by_whole_lines():
    prefix = numbered(10) + "cur"  # 10 lines of 2 words, cursor part 1 word
    kept, _ = fit_window(prefix, "", words, prefix_tokens=7, suffix_tokens=0)
    assert kept == "w7 x7\nw8 x8\nw9 x9\ncur"
    assert words(kept) <= 7


def test_keeps_suffix_head_by_whole_lines():
    suffix = "rest\n" + numbered(10)
    _, kept = fit_window("", suffix, words, prefix_tokens=0, suffix_tokens=5)
    assert kept == "rest\nw0 x0\nw1 x1"
    assert words(kept) <= 5


def test_prefix_ending_in_newline_keeps_lines_and_empty_cursor_part():
    kept, _ = fit_window(numbered(5), "", words, prefix_tokens=4, suffix_tokens=0)
    assert kept == "w3 x3\nw4 x4\n"


def test_never_keeps_a_partial_line():
    prefix = "one two three\nfour\ncur"
    kept, _ = fit_window(prefix, "", words, prefix_tokens=4, suffix_tokens=0)
    assert kept == "four\ncur"


def test_cursor_line_kept_when_it_fits_exactly_even_with_no_room_for_more():
    kept, _ = fit_window("a b\nc d", "", words, prefix_tokens=2, suffix_tokens=0)
    assert kept == "c d"


def test_over_budget_cursor_line_cut_from_far_end():
    prefix = "above\n" + " ".join(f"t{i}" for i in range(20))
    kept, _ = fit_window(prefix, "", words, prefix_tokens=3, suffix_tokens=0)
    assert kept.endswith("t17 t18 t19")
    assert words(kept) <= 3 and "above" not in kept and "\n" not in kept


def test_over_budget_suffix_cursor_line_cut_at_far_end():
    suffix = " ".join(f"t{i}" for i in range(20)) + "\nbelow"
    _, kept = fit_window("", suffix, words, prefix_tokens=0, suffix_tokens=2)
    assert kept.startswith("t0 t1") and words(kept) <= 2 and "below" not in kept


def test_zero_budget_keeps_nothing_countable():
    prefix, suffix = fit_window("a\nb c", "d e\nf", words, prefix_tokens=0, suffix_tokens=0)
    assert words(prefix) == 0 and words(suffix) == 0
    assert "a" not in prefix and "f" not in suffix


def test_empty_texts():
    assert fit_window("", "", words, prefix_tokens=0, suffix_tokens=0) == ("", "")


def test_negative_budget_rejected():
    with pytest.raises(ValueError):
        fit_window("a", "b", words, prefix_tokens=-1, suffix_tokens=10)


def test_joined_text_is_rechecked_when_line_counts_underestimate():
    # floor(chars/4): each "abcde\n" counts 1 alone, but ten joined lines count 15.
    def quarter_chars(text: str) -> int:
        return len(text) // 4

    prefix = "abcde\n" * 40
    kept, _ = fit_window(prefix, "", quarter_chars, prefix_tokens=10, suffix_tokens=0)
    assert quarter_chars(kept) <= 10
    assert kept.endswith("abcde\n") and kept.count("\n") == 7  # 42 chars -> 10 tokens; 8 lines would be 12
    _, kept_suffix = fit_window("", "\n" + "abcde\n" * 40, quarter_chars, prefix_tokens=0, suffix_tokens=10)
    assert quarter_chars(kept_suffix) <= 10 and kept_suffix.startswith("\nabcde")


def test_huge_prefix_counts_only_lines_near_the_cursor():
    counter = CountingWords()
    prefix = numbered(50_000) + "cur"
    suffix = numbered(50_000, start=50_000)
    kept_prefix, kept_suffix = fit_window(prefix, suffix, counter, prefix_tokens=201, suffix_tokens=200)
    kept_lines = kept_prefix.count("\n") + kept_suffix.count("\n")
    # 100 whole lines above "cur"; the suffix's first line is the cursor part, then 99 lines.
    assert kept_prefix.count("\n") == 100 and kept_suffix.count("\n") == 99
    # One count per kept line, one for each stopping line, cursor parts and one re-check each.
    assert counter.calls <= kept_lines + 8
    # Never tokenized anything close to the whole file.
    assert counter.chars < 10 * (len(kept_prefix) + len(kept_suffix))


def test_budget_for_context_splits_what_is_left():
    b = Budget.for_context(4096, 128)
    left = 4096 - 128 - TEMPLATE_MARGIN_TOKENS
    assert b.prefix_tokens + b.suffix_tokens == left
    assert b.prefix_tokens == int(left * 0.75)


def test_budget_for_context_honours_reserved_and_share():
    b = Budget.for_context(2048, 48, extra_reserved=100, prefix_share=1.0)
    assert b == Budget(prefix_tokens=2048 - 48 - 100 - TEMPLATE_MARGIN_TOKENS, suffix_tokens=0)


@pytest.mark.parametrize(
    ("n_ctx", "new", "reserved", "share"),
    [(128, 128, 0, 0.75), (100, 90, 0, 0.75), (512, 0, 600, 0.75), (4096, 64, 0, 1.5), (4096, -1, 0, 0.5)],
)
def test_budget_for_context_rejects_impossible_inputs(n_ctx, new, reserved, share):
    with pytest.raises(ValueError):
        Budget.for_context(n_ctx, new, extra_reserved=reserved, prefix_share=share)


def test_window_starts_on_a_line_step_and_stays_put_while_typing():
    full = "".join(f"line {i}\n" for i in range(100))
    kept = full[full.index("line 37\n") :]  # the budget kept lines 37.. of a document starting at line 0
    started = start_on_step(kept, full, 0, 32)
    assert started.startswith("line 64\n")  # never earlier than what was kept
    assert start_on_step(kept + "typed", full + "typed", 0, 32).startswith("line 64\n")
    assert start_on_step(kept, full, 0, 1) == kept


def test_a_short_window_keeps_most_of_its_lines():
    full = "".join(f"line {i}\n" for i in range(60))
    kept = full[full.index("line 37\n") :]  # only 23 lines fit: starting at line 64 would keep one
    assert start_on_step(kept, full, 0, 32).startswith("line 40\n")


def test_estimate_tokens_errs_high_at_three_characters_a_token():
    from lsp_server.prompting.budget import estimate_tokens

    assert [estimate_tokens("x" * n) for n in (0, 1, 3, 4, 300)] == [0, 1, 1, 2, 100]


def test_fit_context_keeps_the_leading_chunks_that_fit_with_their_overhead():
    from lsp_server.prompting.budget import CHUNK_OVERHEAD_TOKENS, fit_context

    chunks = [("a.py", "x" * 10), ("b.py", "y" * 10), ("c.py", "z")]
    count = len  # one token a character
    cost = len("a.py") + 10 + CHUNK_OVERHEAD_TOKENS
    assert fit_context(chunks, count, 2 * cost) == chunks[:2]
    assert fit_context(chunks, count, 2 * cost - 1) == chunks[:1]  # c.py would fit, but the order is kept
    assert fit_context(chunks, count, cost - 1) == []


def test_fit_local_window_fits_then_starts_on_the_line_step():
    from lsp_server.prompting.budget import fit_local_window

    head = "".join(f"line {i}\n" for i in range(40))
    prefix, suffix = fit_local_window(
        head, "tail\n", lambda text: len(text.split()), prefix_tokens=30, suffix_tokens=5, first_line=0, line_step=8
    )
    kept, _ = fit_window(head, "tail\n", lambda text: len(text.split()), prefix_tokens=30, suffix_tokens=5)
    assert prefix == start_on_step(kept, head, 0, 8) and prefix.startswith("line 32\n") and suffix == "tail\n"


def test_largest_fitting_searches_from_a_given_low():
    from lsp_server.prompting.budget import largest_fitting

    calls: list[int] = []

    def fits(n: int) -> bool:
        calls.append(n)
        return n <= 37

    assert largest_fitting(100, fits) == 37
    calls.clear()
    assert largest_fitting(100, fits, low=30) == 37 and min(calls) > 30
    assert largest_fitting(5, fits, low=5) == 5
