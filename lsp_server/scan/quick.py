"""The in-process check for the few worst patterns: ghost text, and proposals when Semgrep cannot run.

Regular expressions only, one pass per line, so it costs microseconds per suggestion (see
scripts/bench_suggestion_scan.py). It is deliberately narrow: shells with built strings, eval/exec
of non-literals, TLS verification off, private-key blocks and credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lsp_server.scan.findings import HIGH, Finding, introduced, normalise

# Any of these substrings must be on a line before the patterns run on it (the cheap prefilter).
_TRIGGERS = re.compile(
    r"shell|system|popen|exec|eval|verify|reject|Insecure|CERT_NONE|unverified|PRIVATE KEY|AKIA|ghp_|sk_live_|"
    r"pass|secret|key|token|-c\"",
    re.IGNORECASE,
)
_STRING_BUILT = r"(?:f[\"']|[\"'][^\"']*[\"']\s*(?:\+|%)|[\"'][^\"']*[\"']\.format\(|`[^`]*\$\{|\w+\s*\+)"
_CREDENTIAL_NAME = (
    r"(?:passw(?:or)?d|passwd|secret|api_?key|apikey|access_?key|auth_?token|private_?key|client_?secret)"
)

_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "quick.command-injection.shell",
        "a shell runs a command built from values (command injection)",
        re.compile(
            r"\b(?:subprocess\.\w+\s*\((?!\s*\[|\s*[\"'][^\"'{}]*[\"']\s*,).*?\bshell\s*=\s*True"
            r"|os\.(?:system|popen)\s*\(\s*"
            + _STRING_BUILT
            + r"|(?<![.\w])(?:exec|execSync)\s*\(\s*"
            + _STRING_BUILT
            + r"|\.(?:exec|execSync)\s*\(\s*(?:`[^`]*\$\{|[\"'][^\"']*[\"']\s*\+)"
            r"|exec\.Command(?:Context)?\([^)]*\"-c\"\s*,\s*(?![\"`][^\"`]*[\"`]\s*\))"
            r"|\bsystem\s*\(\s*(?![\"'])\w)",
        ),
    ),
    (
        "quick.code-injection.eval",
        "eval/exec of a value that is not a literal (code injection)",
        re.compile(r"(?<![.\w])(?:eval|exec)\s*\(\s*(?![\"'`)\s]|\w+\s*\(\s*\)\s*\))"),
    ),
    (
        "quick.tls.verify-disabled",
        "TLS certificate verification is turned off",
        re.compile(
            r"\bverify\s*=\s*False\b|rejectUnauthorized\s*:\s*false|InsecureSkipVerify\s*:\s*true"
            r"|\bCERT_NONE\b|_create_unverified_context|NODE_TLS_REJECT_UNAUTHORIZED\W+0"
        ),
    ),
    (
        "quick.secrets.private-key",
        "a private key block",
        re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY"),
    ),
    (
        "quick.secrets.credential",
        "a hard-coded credential",
        re.compile(
            r"(?i)\b\w*" + _CREDENTIAL_NAME + r"\w*[\"']?\s*(?::=|=|:)\s*[\"'](?![^\"']*(?:\$\{|\{\{|<|xxx|\*\*\*))"
            r"[^\"'\s]{8,}[\"']"
            r"|\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|sk_live_[0-9a-zA-Z]{24,})\b"
        ),
    ),
)


@dataclass(frozen=True)
class Hit:
    """A quick rule that matched: on which line of the text, and where on it."""

    rule: str
    message: str
    line: int
    start: int
    end: int


def hits(text: str, skip: int = 0) -> list[Hit]:
    """Every quick rule matching ``text``; matches that end within its first ``skip`` characters are left out."""
    found: list[Hit] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        if _TRIGGERS.search(line):
            for rule, message, pattern in _RULES:
                for match in pattern.finditer(line):
                    if offset + match.end() > skip:
                        found.append(Hit(rule, message, number, match.start(), match.end()))
                        break
        offset += len(line) + 1
    return found


def findings(path: str, text: str) -> list[Finding]:
    """The quick rules' matches in a whole file as (high-severity) findings."""
    lines = text.split("\n")
    return [
        Finding(hit.rule, HIGH, hit.message, path, hit.line, hit.line, normalise(lines[hit.line]), "quick")
        for hit in hits(text)
    ]


def introduced_findings(files: Iterable[tuple[str, str | None, str]]) -> list[Finding]:
    """The quick findings each (path, old text or None, new text) adds."""
    out: list[Finding] = []
    for path, old, new in files:
        out += introduced(findings(path, old or ""), findings(path, new))
    return out
