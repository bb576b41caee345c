"""The ``off`` / ``on`` modes (and the ablations): our real server over LSP, one server per project and mode."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from lsp_server.settings import CONTEXT_SOURCES

from .scoring import Result, score
from .tasks import Case

SERVER_MODES = ("off", "on")
ABLATION_MODES = tuple(f"on-no-{source}" for source in CONTEXT_SOURCES)
LANGUAGE_IDS = {"python": "python", "javascript": "javascript", "typescript": "typescript", "rust": "rust"}


def server_options(mode: str, model: str, timeout_ms: int) -> dict[str, Any]:
    """initializationOptions (under ``iquest``) for ``mode``: off, on, or on-no-SOURCE
    (every context source but one)."""
    options: dict[str, Any] = {
        "model": model,
        "repoContext": mode != "off",
        "auditLog": False,
        "maxTokens": 64,
        "multiline": "auto",
        "generationTimeoutMs": timeout_ms,
        "speculate": False,  # a speculative generation after each answer would run into the next request
        "warmUp": False,
        "fullPromptSeconds": 0,  # like the timeout: the machine's speed must not change the prompt measured
        "kvSnapshotDiskMb": 0,  # every run starts from nothing saved
    }
    if mode.startswith("on-no-"):
        dropped = mode.removeprefix("on-no-")
        if dropped not in CONTEXT_SOURCES:
            raise ValueError(f"unknown context source {dropped!r} (known: {', '.join(CONTEXT_SOURCES)})")
        options["contextSources"] = [source for source in CONTEXT_SOURCES if source != dropped]
    elif mode not in SERVER_MODES:
        raise ValueError(f"unknown server mode {mode!r}")
    return options


def utf16_column(text: str, character: int) -> int:
    return len(text[:character].encode("utf-16-le")) // 2


async def _wait_until_ready(session, repo_context: bool) -> dict[str, Any]:
    """start_session returns at the first progress end, which may be the index's: wait for the model and the index."""
    wanted = "ready" if repo_context else "off"
    deadline = time.monotonic() + 300
    status = await session.status()
    while status.get("state") != "ready" or (status.get("index") or {}).get("state") != wanted:
        if status.get("state") == "failed":
            raise SystemExit(f"the model did not load: {status.get('error') or session.messages}")
        if (status.get("index") or {}).get("state") == "failed" or time.monotonic() > deadline:
            raise SystemExit(f"model {status.get('state')!r}, index {status.get('index')!r}; expected index {wanted!r}")
        await asyncio.sleep(0.2)
        status = await session.status()
    return status


async def _grown_block(
    session, uri: str, task, line_text: str, first: str, first_ms: float, status: dict, timeout_ms: int
) -> tuple[str, float]:
    """The answer once the block shown with its first lines grew, and its time since the first request; the first
    answer if its generation ended without more.

    ``status`` is the server's status right after the first answer. The server counts a grown block
    (``blocksGrown``) as soon as the generation ends; the notice may come seconds later (with ``candidates``
    >= 2 an alternative is sampled first).
    """
    started = time.perf_counter() - first_ms / 1000
    deadline = time.monotonic() + timeout_ms / 1000 + 120
    grown_before, generations = status["completion"]["blocksGrown"], status.get("generations", 0)
    ended_at = None
    while time.monotonic() < deadline:
        now = await session.status()
        if not session.grown.empty() or now["completion"]["blocksGrown"] > grown_before:
            try:
                await asyncio.wait_for(session.grown.get(), timeout=max(1.0, deadline - time.monotonic()))
            except TimeoutError:
                break
            whole = await session.inline(uri, task.line, utf16_column(line_text, task.character))
            return whole, (time.perf_counter() - started) * 1000
        if now.get("generations", 0) > generations:
            ended_at = ended_at or time.monotonic()
            if time.monotonic() - ended_at > 1.0:  # ended, and counted as grown within a second if at all
                break
        await asyncio.sleep(0.05)
    return first, first_ms


async def run_mode(
    workspace: Path,
    cases: Sequence[Case],
    mode: str,
    model: str,
    timeout_ms: int,
    log: TextIO | None = None,
    extra: dict[str, Any] | None = None,
    grown: bool = False,
) -> list[Result]:
    """One server for ``workspace``; every case once in ``mode``, with ``extra`` settings on top.

    With ``grown`` each case also scores, as mode ``MODE+grown``, what the editor shows once a block answered
    with its first lines has the rest (``iquest/suggestionGrew``, then the same request again), timed from
    the first request; the first answer where no such notice comes.
    """
    from lsprotocol import types

    from lsp_server.session_client import start_session

    options = {**server_options(mode, model, timeout_ms), **(extra or {})}
    session = await start_session(workspace, options, log=log, grown_blocks=grown)
    results: list[Result] = []
    try:
        status = await _wait_until_ready(session, options["repoContext"])
        if session.messages:
            print(f"  [server] {' | '.join(session.messages)}", file=sys.stderr)
        generations = status.get("generations", 0)
        first_lines = status["completion"]["firstLines"]
        for number, case in enumerate(cases):
            task = case.task
            uri = session.open(workspace / task.path, case.document, LANGUAGE_IDS[task.language], version=number + 1)
            line_text = case.document.split("\n")[task.line]
            started = time.perf_counter()
            error = ""
            try:
                request = session.inline(uri, task.line, utf16_column(line_text, task.character))
                suggestion = await asyncio.wait_for(request, timeout=timeout_ms / 1000 + 120)
            except Exception as exc:  # a failed request counts as an empty suggestion
                suggestion, error = "", f"{type(exc).__name__}: {exc}"
            latency = (time.perf_counter() - started) * 1000
            before = await session.status()
            ran = before.get("generations", 0) > generations  # an empty answer may come without a generation
            last = (before.get("lastGeneration") or {}) if ran else {}
            figures = (error, last.get("stopReason", ""), last.get("promptTokens", 0), bool(last.get("shortPrompt")))
            results.append(score(case, mode, suggestion, latency, *figures))
            if grown:
                shown_first_lines = before["completion"]["firstLines"] > first_lines
                first_lines = before["completion"]["firstLines"]
                whole, whole_ms = suggestion, latency
                if shown_first_lines:
                    whole, whole_ms = await _grown_block(
                        session, uri, task, line_text, suggestion, latency, before, timeout_ms
                    )
                results.append(score(case, f"{mode}+grown", whole, whole_ms, *figures))
            session.client.text_document_did_close(
                types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri))
            )
            generations = (await session.status()).get("generations", 0)
    finally:
        await session.close()
    return results
