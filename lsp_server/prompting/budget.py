"""Fit the text around the cursor into a token budget, whole lines outward from the cursor.

Lines are tokenized one at a time so a huge file never gets tokenized whole. The sum of
separately counted lines is an approximation: a tokenizer may merge or split text where two
lines join, so the joined text can differ by a few tokens. The kept text is therefore
counted once more as a whole and, if it came out over budget, trimmed to fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

CountTokens = Callable[[str], int]

# Room for the FIM markers, a BOS token and the joins the per-line counts miss.
TEMPLATE_MARGIN_TOKENS = 16
# Where no tokenizer is at hand (remote servers, estimates before fetching context): code runs at about
# 3.5-4 characters per token in the coder vocabularies, so 3 keeps an estimate on the safe side of a budget.
SAFE_CHARS_PER_TOKEN = 3
# What a context chunk costs beyond its path and text: the comment header and the line breaks around it.
CHUNK_OVERHEAD_TOKENS = 4
# The finest step a window start moves in when the coarse one would cut a short window down.
_MIN_LINE_STEP = 8


@dataclass(frozen=True)
class Budget:
    """How many prompt tokens the prefix and the suffix may take."""

    prefix_tokens: int
    suffix_tokens: int

    @classmethod
    def for_context(
        cls,
        n_ctx: int,
        max_new_tokens: int,
        *,
        extra_reserved: int = 0,
        prefix_share: float = 0.75,
    ) -> Budget:
        """Split the context left after generation, template margin and ``extra_reserved`` (e.g. a repo header)."""
        if not 0.0 <= prefix_share <= 1.0:
            raise ValueError(f"prefix_share must be within [0, 1], got {prefix_share}")
        if max_new_tokens < 0 or extra_reserved < 0:
            raise ValueError("max_new_tokens and extra_reserved must not be negative")
        left = n_ctx - max_new_tokens - extra_reserved - TEMPLATE_MARGIN_TOKENS
        if left <= 0:
            raise ValueError(
                f"no room for a prompt: n_ctx {n_ctx} - generation {max_new_tokens} - reserved "
                f"{extra_reserved} - template margin {TEMPLATE_MARGIN_TOKENS} leaves {left} tokens"
            )
        prefix = int(left * prefix_share)
        return cls(prefix_tokens=prefix, suffix_tokens=left - prefix)


def fit_window(
    prefix: str,
    suffix: str,
    count_tokens: CountTokens,
    *,
    prefix_tokens: int,
    suffix_tokens: int,
) -> tuple[str, str]:
    """Keep the tail of ``prefix`` and the head of ``suffix`` by whole lines within their budgets."""
    if prefix_tokens < 0 or suffix_tokens < 0:
        raise ValueError("token budgets must not be negative")
    return _keep_tail(prefix, count_tokens, prefix_tokens), _keep_head(suffix, count_tokens, suffix_tokens)


def estimate_tokens(text: str) -> int:
    """A token count for ``text`` that errs high, without a tokenizer."""
    return -(-len(text) // SAFE_CHARS_PER_TOKEN)


def fit_local_window(
    head: str,
    suffix: str,
    count_tokens: CountTokens,
    *,
    prefix_tokens: int,
    suffix_tokens: int,
    first_line: int,
    line_step: int,
) -> tuple[str, str]:
    """``fit_window``, then the kept prefix starts on a line step (``start_on_step``) of ``head``."""
    prefix, suffix = fit_window(head, suffix, count_tokens, prefix_tokens=prefix_tokens, suffix_tokens=suffix_tokens)
    return start_on_step(prefix, head, first_line, line_step), suffix


def fit_context(chunks: Sequence[tuple[str, str]], count_tokens: CountTokens, budget: int) -> list[tuple[str, str]]:
    """The leading (path, text) chunks whose tokens fit ``budget`` (the order is the caller's)."""
    kept, used = [], 0
    for path, text in chunks:
        cost = count_tokens(path) + count_tokens(text) + CHUNK_OVERHEAD_TOKENS
        if used + cost > budget:
            break
        kept.append((path, text))
        used += cost
    return kept


def start_on_step(kept: str, full: str, first_line: int, step: int) -> str:
    """Start the window ``kept`` (a tail of ``full``, whose first line is ``first_line``) on an absolute
    line that is a multiple of ``step`` (never earlier), so it stays put while the user types."""
    if step <= 1:
        return kept
    start_line = first_line + full.count("\n") - kept.count("\n")
    drop = -(-start_line // step) * step - start_line
    if drop <= 0:
        return kept
    lines = kept.split("\n")
    if drop > (len(lines) - 1) // 2 and step > _MIN_LINE_STEP:
        # A short window (long lines, small budget) would lose most of itself: finer steps.
        return start_on_step(kept, full, first_line, _MIN_LINE_STEP)
    return "\n".join(lines[min(drop, len(lines) - 1) :])


def _keep_tail(text: str, count: CountTokens, budget: int) -> str:
    """Keep the cursor's partial line and as many whole lines above it as fit."""
    start = text.rfind("\n") + 1  # start of the cursor's line part
    cursor_part = text[start:]
    used = count(cursor_part) if cursor_part else 0
    if used > budget:
        return _longest_fitting(cursor_part, count, budget, from_end=True)
    costs: list[int] = []  # per kept line, nearest to the cursor first
    starts: list[int] = []
    while start > 0:
        line_start = text.rfind("\n", 0, start - 1) + 1
        cost = count(text[line_start:start])  # the line with its newline
        if used + cost > budget:
            break
        used += cost
        costs.append(cost)
        starts.append(line_start)
        start = line_start
    if not starts:
        return cursor_part

    def kept(n_lines: int) -> str:
        return text[starts[n_lines - 1] :] if n_lines else cursor_part

    return _recheck(kept, len(starts), count, budget)


def _keep_head(text: str, count: CountTokens, budget: int) -> str:
    """Keep the cursor's partial line and as many whole lines below it as fit."""
    end = text.find("\n")
    if end < 0:
        end = len(text)
    cursor_part = text[:end]
    used = count(cursor_part) if cursor_part else 0
    if used > budget:
        return _longest_fitting(cursor_part, count, budget, from_end=False)
    ends: list[int] = []
    while end < len(text):
        line_end = text.find("\n", end + 1)
        line_end = len(text) if line_end < 0 else line_end
        cost = count(text[end:line_end])  # the newline before the line, then the line
        if used + cost > budget:
            break
        used += cost
        ends.append(line_end)
        end = line_end
    if not ends:
        return cursor_part

    def kept(n_lines: int) -> str:
        return text[: ends[n_lines - 1]] if n_lines else cursor_part

    return _recheck(kept, len(ends), count, budget)


def _recheck(kept: Callable[[int], str], n_lines: int, count: CountTokens, budget: int) -> str:
    """Count the joined text once; if the per-line estimate was low, find how many lines fit."""
    if count(kept(n_lines)) <= budget:
        return kept(n_lines)
    # kept(0) fits (the cursor part was checked) and kept(n_lines) does not.
    return kept(largest_fitting(n_lines - 1, lambda n: count(kept(n)) <= budget))


def _longest_fitting(part: str, count: CountTokens, budget: int, *, from_end: bool) -> str:
    """Cut a single over-budget line by characters, keeping the end nearest the cursor."""

    def piece(n_chars: int) -> str:
        return part[len(part) - n_chars :] if from_end else part[:n_chars]

    # piece(len(part)) is known to be over budget.
    return piece(largest_fitting(len(part) - 1, lambda n: count(piece(n)) <= budget))


def largest_fitting(high: int, fits: Callable[[int], bool], low: int = 0) -> int:
    """Binary search for the largest n in [low, high] with ``fits(n)`` (``fits(low)`` is taken as given)."""
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low
