"""Security findings of proposed edits as diagnostics (source ``iquest-scan``) on the lines they change."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from lsp_server.actions.results import Proposal
from lsp_server.actions.service import ActionService
from lsp_server.features.documents import DocumentListener, position_encoding
from lsp_server.positions import position_at
from lsp_server.scan.findings import HIGH, MEDIUM, Finding

SOURCE = "iquest-scan"
_REMEMBERED = 32
_SEVERITY = {HIGH: types.DiagnosticSeverity.Error, MEDIUM: types.DiagnosticSeverity.Warning}


def _diagnostic(finding: Finding, text: str, start: int, end: int, encoding: str, note: str) -> types.Diagnostic:
    first, last = position_at(text, start, encoding), position_at(text, end, encoding)
    return types.Diagnostic(
        range=types.Range(
            start=types.Position(line=first[0], character=first[1]),
            end=types.Position(line=last[0], character=last[1]),
        ),
        message=f"{finding.message} ({note}: `{finding.text[:100]}`)",
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Information),
        source=SOURCE,
        code=finding.rule,
    )


def _line_span(text: str, line: int) -> tuple[int, int]:
    lines = text.split("\n")
    line = max(0, min(line, len(lines) - 1))
    start = sum(len(item) + 1 for item in lines[:line])
    return start + len(lines[line]) - len(lines[line].lstrip()), start + len(lines[line])


class ScanDiagnostics(DocumentListener):
    """Publishes each proposal's findings for the files it changes (a clean proposal, or closing the file, clears them).

    Before the edit is applied they sit on the range it would replace; once the client reports it
    applied (``iquest.accepted``) they move to the flagged lines of the new text.
    """

    def __init__(self, service: ActionService) -> None:
        self._service = service
        self._server: LanguageServer | None = None
        self._published: set[str] = set()
        self._proposals: OrderedDict[str, Proposal] = OrderedDict()

    def register(self, server: LanguageServer) -> None:
        """Remember the server to publish on (the command handlers call ``publish``)."""
        self._server = server

    def closed(self, uri: str) -> None:
        """The file was closed: its findings go from the editor's problems."""
        self._send(uri, [])

    def _send(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        if self._server is None or (not diagnostics and uri not in self._published):
            return
        if diagnostics:
            self._published.add(uri)
        else:
            self._published.discard(uri)
        self._server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))

    def publish(self, proposal: Proposal) -> None:
        """The proposal's findings on the ranges its edit replaces; its other files are cleared."""
        if self._server is None or not proposal.edits:
            return
        encoding = position_encoding(self._server)
        by_uri: dict[str, list[types.Diagnostic]] = {edit.uri: [] for edit in proposal.edits}
        for edit, finding, (start, end) in self._service.scan_places(proposal):
            by_uri[edit.uri].append(_diagnostic(finding, edit.old_text, start, end, encoding, "in the proposed edit"))
        for uri, diagnostics in by_uri.items():
            self._send(uri, diagnostics)
        if proposal.scan is not None and proposal.scan.findings:
            self._proposals[proposal.id] = proposal
            while len(self._proposals) > _REMEMBERED:
                self._proposals.popitem(last=False)

    def accepted(self, details: Mapping[str, Any]) -> None:
        """The client applied a proposal: its findings move to the lines of the text it now has."""
        proposal = self._proposals.pop(str(details.get("id", "")), None)
        if proposal is None or self._server is None:
            return
        encoding = position_encoding(self._server)
        by_uri: dict[str, list[types.Diagnostic]] = {edit.uri: [] for edit in proposal.edits}
        for edit, finding, _ in self._service.scan_places(proposal):
            start, end = _line_span(edit.new_text, finding.line)
            by_uri[edit.uri].append(_diagnostic(finding, edit.new_text, start, end, encoding, "added by an AI edit"))
        for uri, diagnostics in by_uri.items():
            self._send(uri, diagnostics)
