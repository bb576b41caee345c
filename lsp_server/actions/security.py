"""Proposals scanned before they are offered: findings fed back to the model once, then flagged or annotated."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from lsp_server.actions.results import Proposal
from lsp_server.actions.sources import Sources
from lsp_server.actions.textedit import FileEdit
from lsp_server.scan.findings import Finding
from lsp_server.scan.service import ScanFile, Scanner, ScanReport

FLAGGED = "flagged"  # high findings: the title says so and applying needs confirmation
ANNOTATED = "annotated"  # medium findings: said in the message and the change annotation
CLEAN = "clean"


def scan_files(sources: Sources, edits: Sequence[FileEdit]) -> list[ScanFile]:
    """The files of ``edits`` as the scanner takes them, named relative to the workspace."""
    files = sources.files
    out = []
    for edit in edits:
        if edit.path is not None and files is not None and files.contains(edit.path):
            name = files.relative(edit.path)
        elif edit.path is not None:
            name = edit.path.name
        else:
            name = edit.uri.rsplit("/", 1)[-1]
        out.append(ScanFile(name, None if edit.create else edit.old_text, edit.new_text))
    return out


async def scan_edits(scanner: Scanner, sources: Sources, edits: Sequence[FileEdit]) -> ScanReport:
    """What ``edits`` introduce."""
    return await scanner.scan(scan_files(sources, edits))


def describe(finding: Finding) -> str:
    """One line for a person or the model: where, how bad, what."""
    return f"{finding.path}:{finding.line + 1}: [{finding.severity}] {finding.message} (`{finding.text[:120]}`)"


def feedback(report: ScanReport) -> str | None:
    """What the model is told about the high findings of its answer (None: nothing to tell)."""
    if not report.high:
        return None
    lines = "\n".join(f"- {describe(finding)}" for finding in report.high)
    return (
        "the code introduces security problems that a static scan flags:\n"
        f"{lines}\n"
        "Write it again without them (no shell with built strings, no eval of data, keep TLS verification on, "
        "no credentials in the code, query parameters instead of built SQL, paths checked to stay in their folder)"
    )


def outcome(report: ScanReport | None) -> str:
    """flagged, annotated or clean."""
    if report is None:
        return CLEAN
    if report.high:
        return FLAGGED
    return ANNOTATED if report.medium else CLEAN


def with_scan(proposal: Proposal, report: ScanReport | None) -> Proposal:
    """The proposal as the user sees it after the scan: flagged (title, confirmation) or annotated."""
    if report is None or not proposal.edits:
        return proposal
    if not report.findings:
        return dataclasses.replace(proposal, scan=report)
    shown = report.high or report.medium or report.findings
    said = "\n".join(f"- {describe(finding)}" for finding in report.findings)
    kind = "Security findings" if report.high else "Security notes"
    message = f"{kind} ({report.engine}, {report.seconds:.2f} s):\n{said}"
    if proposal.message:
        message = f"{proposal.message}\n\n{message}"
    if not report.high:
        return dataclasses.replace(proposal, message=message, scan=report)
    first = shown[0]
    more = f" (+{len(report.high) - 1} more)" if len(report.high) > 1 else ""
    title = f"⚠ Security: {first.message.split(':')[0]}{more} (line {first.line + 1}) — {proposal.title}"
    return dataclasses.replace(proposal, title=title, needs_confirmation=True, message=message, scan=report)


def anchor(edit: FileEdit, line: int) -> tuple[int, int]:
    """The span of the current text that a finding on ``line`` of the patched text comes from: its change."""
    old = edit.old_text
    target = sum(len(text) + 1 for text in edit.new_text.split("\n")[:line])  # the line's start, patched text
    shift = 0
    for change in sorted(edit.changes, key=lambda c: c.start):
        new_start = change.start + shift
        new_end = new_start + len(change.new_text)
        if target < new_start:
            break
        if target < new_end or target == new_start:
            return change.start, change.end
        shift += len(change.new_text) - (change.end - change.start)
    # An unchanged line (a finding that a change elsewhere made new): the same line in the current text.
    start = max(0, min(len(old), target - shift))
    end = old.find("\n", start)
    return start, len(old) if end < 0 else end


def placed(sources: Sources, proposal: Proposal) -> list[tuple[FileEdit, Finding, tuple[int, int]]]:
    """Each finding of the proposal with its file's edit and its span in the current text (see ``anchor``)."""
    if proposal.scan is None or not proposal.scan.findings:
        return []
    by_name = dict(zip((file.path for file in scan_files(sources, proposal.edits)), proposal.edits, strict=True))
    out = []
    for finding in proposal.scan.findings:
        edit = by_name.get(finding.path)
        if edit is not None:
            out.append((edit, finding, anchor(edit, finding.line)))
    return out
