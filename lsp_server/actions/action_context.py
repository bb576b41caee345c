"""What every action needs: its inputs checked, prompts fitted, generations streamed, results audited."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lsp_server.actions.results import Position, Proposal
from lsp_server.actions.security import feedback, outcome, scan_edits, with_scan
from lsp_server.actions.sources import ActionError, Source, Sources
from lsp_server.actions.textedit import FileEdit
from lsp_server.audit import AuditLog
from lsp_server.context.secrets import is_secret_path, redact
from lsp_server.context.summaries import FileSummary
from lsp_server.context.workspace import ContextProvider
from lsp_server.model.backend import ChatRequest, GenerationResult
from lsp_server.model.runtime import ModelRuntime
from lsp_server.positions import offset_at
from lsp_server.progress import Progress
from lsp_server.prompting import chat
from lsp_server.prompting.budget import estimate_tokens
from lsp_server.prompting.prompt_log import log_prompt
from lsp_server.scan.service import Scanner, ScanReport
from lsp_server.settings import Settings

log = logging.getLogger(__name__)

PROMPT_OVERHEAD_TOKENS = 256

# Workspace summaries for the refactor-plan seed (empty when the index is off).
Summaries = Callable[[], Mapping[str, FileSummary]]

_REPORT_EVERY_S = 0.25


class ActionContext:
    """The sources, settings, model, repository context and audit log that every action shares (no pygls)."""

    def __init__(
        self,
        runtime: ModelRuntime,
        settings: Callable[[], Settings],
        audit: AuditLog,
        sources: Sources,
        prompt_context: ContextProvider | None = None,
        summaries: Summaries = dict,
        scanner: Scanner | None = None,
    ) -> None:
        self.runtime = runtime
        self.settings = settings
        self.audit = audit
        self.sources = sources
        self.prompt_context = prompt_context
        self.summaries = summaries
        self.scanner = scanner if scanner is not None else Scanner()

    def offsets(self, source: Source, start: Position, end: Position) -> tuple[int, int]:
        """Character offsets of an LSP range in the source; ActionError when it is outside."""
        try:
            encoding = self.sources.position_encoding
            begin, finish = offset_at(source.text, *start, encoding), offset_at(source.text, *end, encoding)
        except (TypeError, ValueError) as exc:
            raise ActionError(f"{source.uri}: {exc}") from exc
        if finish < begin:
            raise ActionError(f"{source.uri}: the range ends before it starts")
        return begin, finish

    def source(self, data: Mapping[str, Any]) -> tuple[Source, int, int]:
        """The document, start and end offsets named by action data; ActionError for bad input or secrets files."""
        try:
            uri, start, end = str(data["uri"]), tuple(data["start"]), tuple(data["end"])
        except (KeyError, TypeError) as exc:
            raise ActionError(f"missing or malformed action data: {exc}") from exc
        source = self.sources.get(uri)
        if source.path is not None and is_secret_path(source.path):
            raise ActionError(f"{uri} looks like a secrets file; no AI actions there")
        begin, finish = self.offsets(source, start, end)  # type: ignore[arg-type]
        return source, begin, finish

    def rel(self, source: Source) -> str:
        """The workspace-relative path shown to the model."""
        files = self.sources.files
        if source.path is not None and files is not None and files.contains(source.path):
            return files.relative(source.path)
        return source.uri.rsplit("/", 1)[-1]

    async def budget(self) -> tuple[Callable[[str], int], int]:
        """The model's token counter (an estimate for backends without one) and its context window."""
        backend = await self.runtime.wait_ready()
        count = getattr(backend, "count_tokens", None) or estimate_tokens
        return count, backend.info.context_length

    def repo_context(self, source: Source, offset: int, budget: int) -> list[tuple[str, str]]:
        """Redacted repository context for a place in a file, from the index."""
        settings = self.settings()
        if self.prompt_context is None or not settings.repo_context or budget <= 0:
            return []
        found = self.prompt_context(source.uri, source.text, offset, budget, None)
        if found is None:
            return []
        return [(chunk.path, redact(chunk.text)) for chunk in found.chunks]

    async def prompt_parts(
        self, source: Source, code: str, offset: int, max_tokens: int
    ) -> tuple[str, list[tuple[str, str]]]:
        """Redacted code that fits the window, and repository context in the room left."""
        count, n_ctx = await self.budget()
        room = n_ctx - max_tokens - PROMPT_OVERHEAD_TOKENS
        code = redact(code)
        code_tokens = count(code)
        if code_tokens > room * 3 // 4:
            raise ActionError(f"the code is too long for the model's context window ({n_ctx} tokens); select less")
        context_budget = min(room - code_tokens, n_ctx // 4)
        return code, self.repo_context(source, offset, context_budget)

    async def generate(
        self, messages: chat.Messages, max_tokens: int, report: Progress, label: str
    ) -> GenerationResult:
        """One chat generation with streamed progress; cancelling the caller stops the model."""
        settings = self.settings()
        last = [0.0]

        def on_text(text: str) -> None:
            now = time.monotonic()
            if now - last[0] >= _REPORT_EVERY_S:
                last[0] = now
                line = text.rstrip().rsplit("\n", 1)[-1][-60:]
                report(f"{label}: {line}" if line else label, 10 + min(80, 80 * len(text) // max(1, max_tokens * 3)))

        report(label, 10)
        request = ChatRequest(
            messages=messages,
            max_tokens=max_tokens,
            deadline=time.monotonic() + settings.action_timeout_ms / 1000,
            on_text=on_text,
        )
        result = await self.runtime.chat(request)
        log_prompt(result.prompt, f"action:{label}")
        log.info(
            "%s: %d prompt tokens (%d evaluated), %d generated in %.0f ms, stop=%s",
            label,
            result.prompt_tokens,
            result.evaluated_tokens,
            result.generated_tokens,
            result.total_ms,
            result.stop_reason,
        )
        return result

    def model_name(self) -> str:
        """The loaded model's name for the audit log."""
        backend = self.runtime.backend
        return backend.info.name if backend is not None else ""

    async def scan(self, edits: Sequence[FileEdit]) -> ScanReport | None:
        """The security findings ``edits`` introduce (None when iquest.scanEdits is off)."""
        if not self.settings().scan_edits or not edits:
            return None
        return await scan_edits(self.scanner, self.sources, edits)

    async def security_feedback(self, edits: Sequence[FileEdit], uri: str) -> str | None:
        """What to tell the model about the high findings its answer introduces (audited); None: nothing."""
        report = await self.scan(edits)
        concern = feedback(report) if report is not None else None
        if concern is not None and report is not None:
            self.audit.record(
                "scan_feedback",
                uri=uri,
                model=self.model_name(),
                prompt=None,
                output=None,
                scan=report.as_dict(),
                outcome="sent back to the model",
            )
        return concern

    async def scanned(self, proposal: Proposal) -> Proposal:
        """The proposal after the security scan: as it was, annotated or flagged (see actions.security)."""
        return with_scan(proposal, await self.scan(proposal.edits))

    def audit_proposal(self, proposal: Proposal, prompt: str, output: str, uri: str, range_: Any = None) -> None:
        """Append an edit proposal to the audit log, with what the scan found and what became of it."""
        self.audit.record(
            "edit_proposed",
            uri=uri,
            model=self.model_name(),
            prompt=prompt,
            output=output,
            id=proposal.id,
            action=proposal.action,
            range=range_,
            files=[edit.uri for edit in proposal.edits],
            tests=None
            if proposal.tests is None
            else {"passed": proposal.tests.passed, "exit_code": proposal.tests.exit_code},
            scan=None if proposal.scan is None else proposal.scan.as_dict(),
            outcome=outcome(proposal.scan) if proposal.scan is not None else None,
            title=proposal.title if proposal.scan is not None and proposal.scan.findings else None,
        )

    async def finish(
        self, proposal: Proposal, prompt: str, output: str, uri: str, data: Mapping[str, Any] | None = None
    ) -> Proposal:
        """Scan a finished proposal, audit it with the range it was asked for; the proposal as it is offered."""
        proposal = await self.scanned(proposal)
        range_ = {"start": data.get("start"), "end": data.get("end")} if data else None
        self.audit_proposal(proposal, prompt, output, uri, range_)
        return proposal
