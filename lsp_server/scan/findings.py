"""Findings, their severities, and which of them an edit introduces (compared with the original)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

HIGH = "high"
MEDIUM = "medium"
LOW = "low"
_RANK = {HIGH: 0, MEDIUM: 1, LOW: 2}
# Semgrep's rule severities -> ours.
SEVERITIES = {"ERROR": HIGH, "CRITICAL": HIGH, "HIGH": HIGH, "WARNING": MEDIUM, "MEDIUM": MEDIUM}


def severity_of(semgrep_severity: str) -> str:
    """high / medium / low for a Semgrep severity (ERROR, WARNING, INFO, ...)."""
    return SEVERITIES.get(semgrep_severity.upper(), LOW)


@dataclass(frozen=True)
class Finding:
    """A rule that matched in a patched file; ``line`` and ``end_line`` are 0-based lines of the patched text."""

    rule: str
    severity: str  # high, medium, low
    message: str
    path: str  # the file's path as the scan saw it (workspace-relative)
    line: int
    end_line: int
    text: str  # the matched lines, whitespace-normalised: what a finding is recognised by when lines shift
    category: str = ""
    cwe: str = ""

    @property
    def fingerprint(self) -> tuple[str, str, str]:
        """What identifies a finding across an edit: file, rule and matched text (not the line number)."""
        return (self.path, self.rule, self.text)

    def as_dict(self) -> dict[str, object]:
        """For the audit log and command answers."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "text": self.text,
            "category": self.category or None,
            "cwe": self.cwe or None,
        }


def normalise(text: str) -> str:
    """The matched text with runs of whitespace made one space (indentation changes are not new findings)."""
    return " ".join(text.split())


def introduced(before: Iterable[Finding], after: Iterable[Finding]) -> list[Finding]:
    """The findings of ``after`` that ``before`` did not have (as many of each fingerprint as were added)."""
    left = Counter(finding.fingerprint for finding in before)
    new: list[Finding] = []
    for finding in after:
        if left[finding.fingerprint] > 0:
            left[finding.fingerprint] -= 1
        else:
            new.append(finding)
    return new


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by file and line; duplicates (same rule, file, line) dropped."""
    seen: set[tuple[str, str, int]] = set()
    out: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (_RANK.get(f.severity, 3), f.path, f.line, f.rule)):
        key = (finding.rule, finding.path, finding.line)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out
