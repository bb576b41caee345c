"""The scan service: what a set of proposed file changes introduces, by Semgrep or, failing it, the quick check."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import shutil
import tempfile
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsp_server.scan import quick
from lsp_server.scan.findings import HIGH, MEDIUM, Finding, introduced, ordered
from lsp_server.scan.semgrep import SemgrepUnavailable, find_semgrep, run_semgrep

log = logging.getLogger(__name__)

QUICK_ENGINE = "built-in patterns"
_CACHED_REPORTS = 32


@dataclass(frozen=True)
class ScanFile:
    """One file of a proposal: its workspace-relative name, text before (None: new file) and after."""

    path: str
    old: str | None
    new: str


@dataclass(frozen=True)
class ScanReport:
    """The findings an edit introduces (most severe first), the time it took and what scanned."""

    findings: tuple[Finding, ...]
    seconds: float
    engine: str
    note: str = ""  # why Semgrep did not scan this time (empty when it did)

    @property
    def high(self) -> tuple[Finding, ...]:
        """The findings that stop an edit from being offered as is."""
        return tuple(f for f in self.findings if f.severity == HIGH)

    @property
    def medium(self) -> tuple[Finding, ...]:
        """The findings that annotate an edit."""
        return tuple(f for f in self.findings if f.severity == MEDIUM)

    def as_dict(self) -> dict[str, Any]:
        """For the audit log and command answers."""
        return {
            "engine": self.engine,
            "seconds": round(self.seconds, 3),
            "findings": [finding.as_dict() for finding in self.findings],
            **({"note": self.note} if self.note else {}),
        }


def _key(files: Sequence[ScanFile]) -> str:
    digest = hashlib.sha256()
    for file in files:
        for part in (file.path, "\0" if file.old is None else file.old, file.new):
            digest.update(part.encode("utf-8", errors="surrogatepass") + b"\x00\x01")
    return digest.hexdigest()


def _write(folder: Path, files: Sequence[ScanFile]) -> tuple[dict[str, str], dict[str, str]]:
    """Both sides of every file under ``folder`` (before/N/NAME, after/N/NAME); targets -> text, -> name."""
    texts: dict[str, str] = {}
    names: dict[str, str] = {}
    for index, file in enumerate(files):
        base = Path(file.path).name or "file"
        for side, text in (("before", file.old), ("after", file.new)):
            if text is None:
                continue
            target = f"{side}/{index}/{base}"
            (folder / side / str(index)).mkdir(parents=True, exist_ok=True)
            (folder / target).write_text(text, encoding="utf-8", errors="surrogatepass")
            texts[target] = text
            names[target] = file.path
    return texts, names


class Scanner:
    """Scans proposals with Semgrep (offline, the shipped rules); says once when it cannot and uses quick checks."""

    def __init__(
        self,
        semgrep: str | None = None,
        *,
        timeout_s: float = 30.0,
        on_unavailable: Callable[[str], None] | None = None,
        locate: Callable[[], str | None] = find_semgrep,
    ) -> None:
        self._semgrep = semgrep
        self._locate = locate
        self.timeout_s = timeout_s
        self.on_unavailable = on_unavailable
        self._broken: str | None = None
        self._cache: OrderedDict[str, ScanReport] = OrderedDict()
        self._lock = asyncio.Lock()
        self.last: ScanReport | None = None  # the last scan run (not answered from the cache)

    @property
    def unavailable(self) -> str | None:
        """Why Semgrep is not used (None while it is)."""
        return self._broken

    def _tell(self, message: str) -> None:
        log.warning("%s", message)
        if self.on_unavailable is not None:
            self.on_unavailable(message)

    async def scan(self, files: Sequence[ScanFile]) -> ScanReport:
        """What ``files`` introduce; the same files again are answered from a small cache."""
        files = [file for file in files if file.new != file.old]
        if not files:
            return ScanReport((), 0.0, QUICK_ENGINE if self._broken else "semgrep")
        key = _key(files)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        async with self._lock:  # one Semgrep at a time: it is given one core
            report = await self._scan(files)
        self._cache[key] = report
        while len(self._cache) > _CACHED_REPORTS:
            self._cache.popitem(last=False)
        self.last = report
        return report

    async def _scan(self, files: Sequence[ScanFile]) -> ScanReport:
        started = time.monotonic()
        note = ""
        if self._broken is None:
            semgrep = self._semgrep or self._locate()
            if semgrep is None:
                self._broken = (
                    "semgrep is not installed (it comes with `pip install iquest-lsp`); proposed edits are "
                    "checked with the built-in patterns only"
                )
                self._tell(self._broken)
            else:
                try:
                    return await self._semgrep_scan(semgrep, files, started)
                except SemgrepUnavailable as exc:
                    if "did not finish" in str(exc):
                        note = f"{exc}; this edit was checked with the built-in patterns only"
                        log.warning("%s", note)
                    else:
                        self._broken = f"{exc}; proposed edits are checked with the built-in patterns only"
                        self._tell(self._broken)
        found = quick.introduced_findings((file.path, file.old, file.new) for file in files)
        return ScanReport(tuple(ordered(found)), time.monotonic() - started, QUICK_ENGINE, note or self._broken or "")

    async def _semgrep_scan(self, semgrep: str, files: Sequence[ScanFile], started: float) -> ScanReport:
        scratch = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="iquest-scan-"))
        try:
            texts, names = await asyncio.to_thread(_write, scratch, files)
            run = await run_semgrep(semgrep, scratch, texts, names, timeout_s=self.timeout_s)
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, True)
        for error in run.errors:
            log.warning("semgrep: %s", error)
        found: list[Finding] = []
        for index, _ in enumerate(files):
            base = Path(files[index].path).name or "file"
            before = run.findings.get(f"before/{index}/{base}", [])
            after = run.findings.get(f"after/{index}/{base}", [])
            found += introduced(before, after)
        engine = f"semgrep {run.version}".strip()
        log.info("scan: %d introduced finding(s) in %d file(s), %.2f s", len(found), len(files), run.seconds)
        return ScanReport(tuple(ordered(found)), time.monotonic() - started, engine)

    def status(self) -> dict[str, Any]:
        """For iquest.status: the last scan's engine and time, and why Semgrep is not used (if it is not)."""
        last = self.last
        return {
            "engine": last.engine if last is not None else None,
            "lastSeconds": round(last.seconds, 3) if last is not None else None,
            "lastFindings": len(last.findings) if last is not None else None,
            "unavailable": self._broken,
        }

    async def warm(self) -> None:
        """Scan a one-line file once so the engine's pages are in memory before the first proposal."""
        await self.scan([ScanFile("warm_up.py", None, "import os\n")])
