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


def _tail_lines(text: str, limit: int) -> str:
    """The last ``limit`` characters, starting at a line start so no secret is cut in half."""
    if len(text) <= limit:
        return text
    return text[text.find("\n", len(text) - limit) + 1 :]


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
        line_prefix = prefix[prefix.rfind("\n") + 1 :]
        line_suffix = suffix.split("\n", 1)[0]
        multiline = wants_multiline(settings.multiline, line_prefix, line_suffix)
        backend = await self._runtime.wait_ready()
        budget = Budget.for_context(backend.info.context_length, settings.max_tokens)
        prompt_budget = min(settings.max_prompt_tokens, budget.prefix_tokens + budget.suffix_tokens)
        suffix_tokens = min(budget.suffix_tokens, prompt_budget // 4)
        room = backend.info.context_length - settings.max_tokens - prompt_budget - _TEMPLATE_MARGIN_TOKENS
        context_tokens = max(0, min(settings.context_tokens, room)) if settings.repo_context else 0
        repo = None
        if context_tokens and self._context is not None:
            repo = self._context(doc.uri, doc.text, offset, context_tokens)
        request = GenerationRequest(
            prefix=redact(_tail_lines(prefix, _LOCAL_PREFIX_CHARS)),
            suffix=redact(_head_lines(suffix, _LOCAL_SUFFIX_CHARS)),
            max_tokens=settings.max_tokens,
            prefix_tokens=prompt_budget - suffix_tokens,
            suffix_tokens=suffix_tokens,
            deadline=time.monotonic() + settings.generation_timeout_ms / 1000,
            should_stop=early_stop(multiline, line_prefix, settings.max_lines),
            # Repo-level tokens hurt the 0.5B coder (scripts/eval_fim.py), so comment-headed
            # snippets are the default layout; either only when there is context to show.
            repo_name=repo.repo_name if repo and repo.chunks and settings.context_layout == "repo-tokens" else None,
            path=repo.path if repo and repo.chunks else None,
            context=tuple((chunk.path, chunk.text) for chunk in repo.chunks) if repo else (),
            context_tokens=context_tokens,
            comment=repo.comment if repo else "#",
        )
        result = await self._runtime.complete(request)
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
