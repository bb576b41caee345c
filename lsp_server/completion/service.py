"""The completion service: from a document and a cursor to cleaned ghost text."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Callable

from lsp_server.audit import AuditLog
from lsp_server.completion.postprocess import clean_completion, is_mid_line
from lsp_server.context.secrets import is_secret_path, redact
from lsp_server.context.workspace import PromptContext
from lsp_server.model.backend import GenerationRequest
from lsp_server.model.runtime import ModelRuntime
from lsp_server.prompting.budget import Budget
from lsp_server.settings import Settings

log = logging.getLogger(__name__)

_BLOCK_OPENERS = (":", "{", "(", "[", "=>", "->")
# The local window is cut by characters before redaction so a huge document costs no more than a
# small one; the backend then fits it to the token budget.
_LOCAL_PREFIX_CHARS = 32_000
_LOCAL_SUFFIX_CHARS = 8_000
_TEMPLATE_MARGIN_TOKENS = 32
# Prompt layout for KV reuse: the window's first line is a multiple of _WINDOW_STEP, and the lines
# typed since the last multiple of _MIDDLE_STEP go after the FIM middle marker, so typing on them
# only appends tokens to a prompt whose beginning stays the same.
_WINDOW_STEP = 32
_MIDDLE_STEP = 8
_MAX_MIDDLE_CHARS = 1200

ContextProvider = Callable[[str, str, int, int], PromptContext | None]


@dataclass(frozen=True)
class DocumentSnapshot:
    """The text of an open document at one version."""

    uri: str
    text: str
    version: int | None


@dataclass(frozen=True)
class Suggestion:
    """Cleaned ghost text to insert at ``offset`` plus the figures behind it."""

    text: str
    offset: int
    multiline: bool
    latency_ms: float
    prompt_tokens: int
    evaluated_tokens: int
    generated_tokens: int
    stop_reason: str


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
    line = prefix.count("\n", 0, cut)
    while line % step and cut:
        cut = prefix.find("\n", cut) + 1
        line += 1
    return prefix[cut:], line


def _middle_chars(window: str, first_line: int) -> int:
    """How many trailing characters of the window were typed since the last _MIDDLE_STEP line."""
    cursor_line = first_line + window.count("\n")
    start = len(window)
    for _ in range(cursor_line % _MIDDLE_STEP + 1):
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


def _log_prompt(prompt: str) -> None:
    """Append the exact prompt to $IQUEST_PROMPT_LOG (a debugging aid, off unless set)."""
    path = os.environ.get("IQUEST_PROMPT_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"prompt": prompt}) + "\n")


def wants_multiline(mode: str, line_prefix: str, line_suffix: str) -> bool:
    """Decide single- or multi-line from the setting and the cursor's line."""
    if mode == "never" or is_mid_line(line_suffix):
        return False
    if mode == "always":
        return True
    stripped = line_prefix.rstrip()
    return not stripped or stripped.endswith(_BLOCK_OPENERS)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def early_stop(multiline: bool, line_prefix: str, max_lines: int) -> Callable[[str], bool]:
    """Stop generating once the cleaned text cannot grow any more."""
    opens_block = line_prefix.rstrip().endswith(_BLOCK_OPENERS)
    base = _indent(line_prefix) + (1 if opens_block else 0)

    def single(text: str) -> bool:
        return "\n" in text.lstrip("\n")

    def multi(text: str) -> bool:
        lines = text.split("\n")
        if len(lines) > max_lines + 1:
            return True
        # A complete later line indented below the cursor's block ends the block.
        return any(line.strip() and _indent(line) < base for line in lines[1:-1])

    return multi if multiline else single


class CompletionService:
    """Turns completion requests into suggestions; the newest request always wins."""

    def __init__(
        self,
        runtime: ModelRuntime,
        settings: Callable[[], Settings],
        audit: AuditLog,
        context: ContextProvider | None = None,
    ) -> None:
        self._runtime = runtime
        self._context = context
        self._settings = settings
        self._audit = audit
        self._current: asyncio.Task | None = None
        self._current_uri: str | None = None

    def _supersede(self, uri: str) -> None:
        """Cancel the previous request's task: its answer would be stale before it is shown."""
        task = asyncio.current_task()
        if self._current is not None and self._current is not task and not self._current.done():
            self._current.cancel()
        self._current, self._current_uri = task, uri

    def document_changed(self, uri: str) -> None:
        """Stop generating for ``uri``: the text it was computed for is gone."""
        if self._current_uri == uri and self._current is not None and not self._current.done():
            self._runtime.cancel_all()

    def _request(
        self, doc: DocumentSnapshot, offset: int, settings: Settings, n_ctx: int, multiline: bool
    ) -> GenerationRequest:
        """Budget the prompt, fetch repository context and redact everything that goes in."""
        prefix, suffix = doc.text[:offset], doc.text[offset:]
        budget = Budget.for_context(n_ctx, settings.max_tokens)
        prompt_budget = min(settings.max_prompt_tokens, budget.prefix_tokens + budget.suffix_tokens)
        suffix_tokens = min(budget.suffix_tokens, prompt_budget // 4)
        room = n_ctx - settings.max_tokens - prompt_budget - _TEMPLATE_MARGIN_TOKENS
        context_tokens = max(0, min(settings.context_tokens, room)) if settings.repo_context else 0
        repo = self._context(doc.uri, doc.text, offset, context_tokens) if context_tokens and self._context else None
        chunks = repo.chunks if repo else ()
        window, first_line = _local_window(prefix, _LOCAL_PREFIX_CHARS, _WINDOW_STEP)
        window = redact(window)
        return GenerationRequest(
            prefix=window,
            suffix=redact(_head_lines(suffix, _LOCAL_SUFFIX_CHARS)),
            max_tokens=settings.max_tokens,
            prefix_tokens=prompt_budget - suffix_tokens,
            suffix_tokens=suffix_tokens,
            deadline=time.monotonic() + settings.generation_timeout_ms / 1000,
            should_stop=early_stop(multiline, _line_prefix(prefix), settings.max_lines),
            # Repo-level tokens did worse than comment-headed snippets for the 0.5B coder
            # (scripts/eval_fim.py), so they are opt-in; either layout only when there is context.
            repo_name=repo.repo_name if chunks and settings.context_layout == "repo-tokens" else None,
            path=repo.path if chunks else None,
            context=tuple((chunk.path, chunk.text) for chunk in chunks),
            context_tokens=context_tokens,
            comment=repo.comment if repo else "#",
            middle_chars=_middle_chars(window, first_line),
            prefix_first_line=first_line,
            prefix_line_step=_WINDOW_STEP,
        )

    async def suggest(
        self, doc: DocumentSnapshot, offset: int, still_valid: Callable[[], bool] = lambda: True
    ) -> Suggestion | None:
        """Return ghost text for ``offset`` in ``doc``; None when there is nothing (still) worth showing."""
        self._supersede(doc.uri)
        if is_secret_path(doc.uri.rsplit("/", 1)[-1]):
            log.info("no completions in %s: it looks like a secrets file", doc.uri)
            return None
        settings = self._settings()
        started = time.perf_counter()
        prefix, suffix = doc.text[:offset], doc.text[offset:]
        multiline = wants_multiline(settings.multiline, _line_prefix(prefix), suffix.split("\n", 1)[0])
        backend = await self._runtime.wait_ready()
        result = await self._runtime.complete(self._request(doc, offset, settings, backend.info.context_length, multiline))
        _log_prompt(result.prompt)
        raw = result.text
        if result.stop_reason == "deadline":
            # Out of time: show only whole lines, never a half-written one.
            raw = raw[: raw.rfind("\n")] if "\n" in raw.lstrip("\n") else ""
        text = clean_completion(raw, prefix=prefix, suffix=suffix, multiline=multiline, max_lines=settings.max_lines)
        latency_ms = (time.perf_counter() - started) * 1000
        log.info(
            "completion %.0f ms: %d prompt tokens (%d evaluated), %d generated, stop=%s",
            latency_ms, result.prompt_tokens, result.evaluated_tokens, result.generated_tokens, result.stop_reason,
        )
        if not still_valid():
            log.info("dropping a suggestion for %s: the document changed while it was computed", doc.uri)
            return None
        if not text:
            return None
        self._audit.record(
            "inline_completion",
            uri=doc.uri,
            model=backend.info.name,
            prompt=result.prompt,
            output=text,
            offset=offset,
            version=doc.version,
            latency_ms=round(latency_ms, 1),
        )
        return Suggestion(
            text=text,
            offset=offset,
            multiline=multiline,
            latency_ms=latency_ms,
            prompt_tokens=result.prompt_tokens,
            evaluated_tokens=result.evaluated_tokens,
            generated_tokens=result.generated_tokens,
            stop_reason=result.stop_reason,
        )
