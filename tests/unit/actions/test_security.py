"""Planted insecure proposals through a scripted model: fed back once, then flagged, annotated, audited."""

import json
import os

import pytest

from lsp_server.actions.results import Problem
from lsp_server.actions.security import anchor, feedback, placed
from lsp_server.actions.textedit import FileEdit, line_changes
from lsp_server.scan.semgrep import find_semgrep
from lsp_server.scan.service import Scanner

needs_semgrep = pytest.mark.skipif(
    find_semgrep() is None and not os.environ.get("CI"),  # in CI it must be there: the test then fails
    reason="semgrep is a dependency: pip install -e .[dev]",
)

SHELL = "```python\ndef apply_discount(price, percent):\n    import subprocess\n    subprocess.run(percent, shell=True)\n    return price * (100 - percent) // 100\n```"  # noqa: E501
SAFE = "```python\ndef apply_discount(price, percent):\n    return price * (100 - percent) // 100\n```"
SHELL_DIFF = (
    "--- a/shop/pricing.py\n+++ b/shop/pricing.py\n@@ -4,2 +4,4 @@\n def apply_discount(price, percent):\n"
    "-    return price * (100 - percent) / 100\n+    import subprocess\n+    subprocess.run(percent, shell=True)\n"
    "+    return price * (100 - percent) // 100\n"
)
SAFE_DIFF = (
    "--- a/shop/pricing.py\n+++ b/shop/pricing.py\n@@ -4,2 +4,2 @@\n def apply_discount(price, percent):\n"
    "-    return price * (100 - percent) / 100\n+    return price * (100 - percent) // 100\n"
)
MD5_DIFF = (
    "--- a/shop/pricing.py\n+++ b/shop/pricing.py\n@@ -4,2 +4,3 @@\n def apply_discount(price, percent):\n"
    "+    hashlib.md5(b'x')\n     return price * (100 - percent) / 100\n"
)


def _fix_offer(h):
    uri = h.uri("shop/pricing.py")
    problem = Problem("integer prices", (4, 4), (4, 10))
    return next(o for o in h.service.list_actions(uri, (4, 4), (4, 4), [problem]) if o.action == "fix")


def _audit(tmp_path):
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@needs_semgrep
async def test_a_fix_with_a_shell_is_sent_back_once_and_the_clean_answer_offered(harness, tmp_path):
    h = await harness([SHELL, SAFE])
    offer = _fix_offer(h)
    proposal = await h.service.resolve(offer.data, h.report)
    assert len(h.backend.requests) == 2 and "shell" not in proposal.edits[0].new_text
    assert proposal.scan is not None and proposal.scan.findings == () and not proposal.needs_confirmation
    told = h.backend.requests[1].messages[-1][1]
    assert "security problems" in told and "python.command-injection" not in told and "shell=True" in told
    kinds = [(e["kind"], e.get("outcome")) for e in _audit(tmp_path)]
    assert kinds == [("scan_feedback", "sent back to the model"), ("edit_proposed", "clean")]
    assert _audit(tmp_path)[0]["scan"]["findings"][0]["rule"] == "python.command-injection.shell-true"


@needs_semgrep
async def test_a_finding_that_persists_is_flagged_in_the_title_and_needs_confirmation(harness, tmp_path):
    h = await harness([SHELL, SHELL])
    offer = _fix_offer(h)
    proposal = await h.service.resolve(offer.data, h.report)
    assert len(h.backend.requests) == 2 and proposal.needs_confirmation
    assert proposal.title.startswith("⚠ Security: ") and "line 6" in proposal.title
    assert "subprocess.run(percent, shell=True)" in proposal.message
    (finding,) = proposal.scan.high
    assert finding.rule == "python.command-injection.shell-true" and finding.severity == "high"
    ((edit, placed_finding, (start, end)),) = placed(h.sources, proposal)
    assert placed_finding is finding and "return price" in edit.old_text[start:end]  # on the replaced lines
    record = _audit(tmp_path)[-1]
    assert record["kind"] == "edit_proposed" and record["outcome"] == "flagged"
    assert record["title"] == proposal.title and record["scan"]["engine"].startswith("semgrep")


@needs_semgrep
async def test_a_retry_that_breaks_the_syntax_keeps_the_flagged_answer(harness):
    h = await harness([SHELL, "```python\ndef apply_discount(price, percent:\n```"])
    offer = _fix_offer(h)
    proposal = await h.service.resolve(offer.data, h.report)
    assert proposal.scan.high and "shell=True" in proposal.edits[0].new_text and len(h.backend.requests) == 2


@needs_semgrep
async def test_proposed_diffs_from_the_model_and_from_the_user(harness, tmp_path):
    h = await harness([SHELL_DIFF, SAFE_DIFF])
    proposal = await h.service.propose_edit("integer prices", ["shop/pricing.py"], None, h.report)
    assert proposal.rounds == 2 and proposal.scan.findings == () and proposal.title == "integer prices"
    flagged = await h.service.propose_edit("", [], SHELL_DIFF, h.report)
    assert flagged.title.startswith("⚠ Security: a shell runs a command") and flagged.needs_confirmation
    clean = await h.service.propose_edit("", [], SAFE_DIFF, h.report)
    assert clean.title == "edit from a diff" and clean.scan.findings == ()
    medium = await h.service.propose_edit("", [], MD5_DIFF, h.report)
    assert not medium.title.startswith("⚠") and medium.scan.medium and "Security notes" in medium.message
    outcomes = [e.get("outcome") for e in _audit(tmp_path) if e["kind"] == "edit_proposed"]
    assert outcomes == ["clean", "flagged", "clean", "annotated"]


async def test_scanning_can_be_turned_off(harness):
    h = await harness([], scan_edits=False)
    proposal = await h.service.propose_edit("", [], SHELL_DIFF, h.report)
    assert proposal.scan is None and proposal.title == "edit from a diff"


async def test_without_semgrep_the_quick_check_flags_and_says_why(harness, workspace, tmp_path):
    told: list[str] = []
    h = await harness([])
    h.service._ctx.scanner = Scanner(locate=lambda: None, on_unavailable=told.append)
    proposal = await h.service.propose_edit("", [], SHELL_DIFF, h.report)
    assert proposal.scan.engine == "built-in patterns" and proposal.title.startswith("⚠ Security")
    assert len(told) == 1


def test_feedback_names_only_high_findings_and_anchor_finds_the_change():
    from lsp_server.scan.findings import Finding
    from lsp_server.scan.service import ScanReport

    medium = Finding("m", "medium", "weak hash", "a.py", 1, 1, "hashlib.md5(x)")
    assert feedback(ScanReport((medium,), 0.1, "semgrep")) is None
    old = "a = 1\nb = 2\nc = 3\n"
    new = "a = 1\nb = 2\nx = eval(y)\nc = 3\n"
    edit = FileEdit("file:///a.py", None, old, line_changes(old, new))
    start, end = anchor(edit, 2)
    assert (start, end) == (len("a = 1\nb = 2\n"),) * 2  # an insertion: where it goes
    assert anchor(edit, 3) == (start, start + len("c = 3"))  # an unchanged line after it


@needs_semgrep
async def test_fix_and_verify_results_are_scanned_and_say_their_sandbox(harness, tmp_path):
    import sys

    h = await harness([SHELL, SHELL], self_verify=True, test_command=f"{sys.executable} -c 'print(1)'")
    uri = h.uri("shop/pricing.py")
    proposal = await h.service.fix_and_verify(uri, (4, 4), (4, 4), "integer prices", h.report)
    assert proposal.tests.passed and proposal.title.startswith("⚠ Security: ") and proposal.needs_confirmation
    assert "sandbox: " in proposal.message and len(h.backend.requests) == 2  # the finding went back once
    assert [e["kind"] for e in _audit(tmp_path)] == ["scan_feedback", "edit_proposed"]
