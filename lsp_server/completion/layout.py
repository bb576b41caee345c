"""Prompt layout: budgets, the local window, repository context, redaction, the forced middle."""

from __future__ import annotations

import time
from dataclasses import dataclass

from lsp_server.completion.line_mode import closes_brackets, early_stop
from lsp_server.completion.postprocess import repeats_code_below
from lsp_server.context.secrets import redact
from lsp_server.context.workspace import ContextProvider
from lsp_server.model.backend import GenerationRequest
from lsp_server.prompting.budget import TEMPLATE_MARGIN_TOKENS, Budget
from lsp_server.settings import Settings

# The local window is cut by characters before redaction so a huge document costs no more than a
# small one; the backend then fits it to the token budget.
_LOCAL_PREFIX_CHARS = 32_000
_LOCAL_SUFFIX_CHARS = 8_000
# Context is what is left of the window after generation and the local window: the template's margin for
# the markers, and as much again for the file headers around the context chunks.
_CONTEXT_MARGIN_TOKENS = 2 * TEMPLATE_MARGIN_TOKENS
# Prompt layout for KV reuse: the window's first line is a multiple of _WINDOW_STEP, and the lines
# typed since the last multiple of the middleLines setting go after the FIM middle marker, so typing
# on them only appends tokens to a prompt whose beginning stays the same.
_WINDOW_STEP = 32
_MAX_MIDDLE_CHARS = 1200

# How many characters a token of the local window holds, about (code: 3 to 4.5): the parts of the
# document beyond that many may come back as similar windows in the repository context.
_LOCAL_CHARS_PER_TOKEN = 4
# Repository context gets the room the document leaves in eighths of the prompt budget (256 tokens,
# about 1,000 characters, of the default 2,048): the context, at the prompt's start, changes only
# when a step is crossed.
_CONTEXT_ROOM_STEPS = 8
# A prompt may take this share of generationTimeoutMs to evaluate; one that would take longer (a new
# place on a slow CPU) is answered from a short prompt first, and the full one is evaluated after.
_EVAL_SHARE_OF_TIMEOUT = 0.75


@dataclass(frozen=True)
class DocumentSnapshot:
    """The text of an open document at one version."""

    uri: str
    text: str
    version: int | None


def build_request(
    doc: DocumentSnapshot,
    offset: int,
    settings: Settings,
    n_ctx: int,
    multiline: bool,
    context: ContextProvider | None,
    prompt_cap: int | None = None,
) -> GenerationRequest:
    """Budget the prompt (within the machine's ``prompt_cap``), fetch repository context, redact all that goes in."""
    prefix, suffix = doc.text[:offset], doc.text[offset:]
    prompt_budget, suffix_tokens, local = _split_budget(settings, n_ctx, prompt_cap)
    room = _room(len(prefix), len(suffix), local, prompt_budget, n_ctx, settings)
    context_tokens = max(0, min(settings.context_tokens, room)) if settings.repo_context and context else 0
    # A long document leaves no room: the floor is taken from its window for the most specific context.
    floor = (
        min(settings.context_floor_tokens, settings.context_tokens, prompt_budget // 2)
        if settings.repo_context and context
        else 0
    )
    taken = max(0, floor - context_tokens)
    context_tokens += taken
    local = (local[0] - taken * _LOCAL_CHARS_PER_TOKEN, local[1])
    repo = context(doc.uri, doc.text, offset, context_tokens, local) if context_tokens and context else None
    chunks = repo.chunks if repo else ()
    window, first_line = _local_window(prefix, _LOCAL_PREFIX_CHARS, _WINDOW_STEP)
    window = redact(window)
    shown_suffix = redact(_head_lines(suffix, _LOCAL_SUFFIX_CHARS))
    line_prefix = _line_prefix(prefix)
    return GenerationRequest(
        prefix=window,
        suffix=shown_suffix,
        max_tokens=settings.max_tokens,
        prefix_tokens=prompt_budget - suffix_tokens - taken,
        suffix_tokens=suffix_tokens,
        deadline=time.monotonic() + settings.generation_timeout_ms / 1000,
        should_stop=early_stop(
            multiline,
            line_prefix,
            settings.max_lines,
            closes_brackets(settings.multiline, suffix),
        ),
        # Repo-level tokens did worse than comment-headed snippets for the 0.5B coder
        # (scripts/eval_fim.py), so they are opt-in; either layout only when there is context.
        repo_name=repo.repo_name if repo and chunks and settings.context_layout == "repo-tokens" else None,
        path=repo.path if repo and chunks else None,
        context=tuple((chunk.path, chunk.text) for chunk in chunks),
        context_tokens=context_tokens,
        comment=repo.comment if repo else "#",
        middle_chars=_middle_chars(window, first_line, settings.middle_lines),
        prefix_first_line=first_line,
        prefix_line_step=_WINDOW_STEP,
        eval_budget_s=settings.generation_timeout_ms / 1000 * _EVAL_SHARE_OF_TIMEOUT,
        repeats_code_below=repeats_code_below(line_prefix, shown_suffix),
    )


def room_for_context(text: str, offset: int, settings: Settings, n_ctx: int) -> int:
    """The prompt tokens that ``text`` leaves repository context at ``offset`` before any floor (0: a long file)."""
    prompt_budget, _, local = _split_budget(settings, n_ctx, None)
    return _room(offset, len(text) - offset, local, prompt_budget, n_ctx, settings)


def _split_budget(settings: Settings, n_ctx: int, prompt_cap: int | None) -> tuple[int, int, tuple[int, int]]:
    """The prompt budget, its suffix tokens, and the characters the local window reaches before and after the cursor."""
    budget = Budget.for_context(n_ctx, settings.max_tokens)
    prompt_budget = min(
        settings.max_prompt_tokens,
        prompt_cap or settings.max_prompt_tokens,
        budget.prefix_tokens + budget.suffix_tokens,
    )
    suffix_tokens = min(budget.suffix_tokens, prompt_budget // 4)
    local = ((prompt_budget - suffix_tokens) * _LOCAL_CHARS_PER_TOKEN, suffix_tokens * _LOCAL_CHARS_PER_TOKEN)
    return prompt_budget, suffix_tokens, local


def _room(
    prefix_chars: int, suffix_chars: int, local: tuple[int, int], prompt_budget: int, n_ctx: int, settings: Settings
) -> int:
    return min(
        _room_left_by_document(prefix_chars, suffix_chars, local, prompt_budget),
        n_ctx - settings.max_tokens - prompt_budget - _CONTEXT_MARGIN_TOKENS,
    )


def _room_left_by_document(prefix_chars: int, suffix_chars: int, local: tuple[int, int], prompt_budget: int) -> int:
    """The prompt tokens the document's own window leaves for repository context, estimated.

    The document comes first: a 2,048-token window of the file beat 1,024 of the file plus 1,024 of
    context by 13 points (README, the quality/latency curve), so context fills only what a short file
    or a cursor near either end leaves. Rounded down to a step so that typing rarely moves it.
    """
    chars = min(prefix_chars, local[0]) + min(suffix_chars, local[1])
    room = max(0, prompt_budget - -(-chars // _LOCAL_CHARS_PER_TOKEN))
    step = max(1, prompt_budget // _CONTEXT_ROOM_STEPS)
    return room - room % step


def _line_prefix(prefix: str) -> str:
    return prefix[prefix.rfind("\n") + 1 :]


def _local_window(prefix: str, limit: int, step: int) -> tuple[str, int]:
    """At most ``limit`` trailing characters starting on a line that is a multiple of ``step``.

    Starting on a line (not mid-line) keeps secrets whole for redaction; the step keeps the start
    still while the user types. Returns the text and the absolute number of its first line.
    """
    if len(prefix) <= limit:
        return prefix, 0
    cut = prefix.find("\n", len(prefix) - limit) + 1
    if not cut:  # the cursor's line alone is longer than the limit: no window rather than all of it
        return "", prefix.count("\n")
    line = prefix.count("\n", 0, cut)
    while line % step and cut:
        cut = prefix.find("\n", cut) + 1
        line += 1
    return prefix[cut:], line


def _middle_chars(window: str, first_line: int, step: int) -> int:
    """How many trailing characters of the window were typed since the last line that is a multiple of ``step``."""
    cursor_line = first_line + window.count("\n")
    start = len(window)
    for _ in range(cursor_line % step + 1):
        start = window.rfind("\n", 0, start)
        if start < 0:
            break
    middle = len(window) - (start + 1)
    if middle > _MAX_MIDDLE_CHARS:  # very long lines: just the cursor's line
        middle = len(window) - (window.rfind("\n") + 1)
    return middle


def _head_lines(text: str, limit: int) -> str:
    """The first ``limit`` characters, ending at a line end."""
    if len(text) <= limit:
        return text
    return text[: max(0, text.rfind("\n", 0, limit))]
