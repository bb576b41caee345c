"""The action service with a scripted model: menus without the model, edits, retries, plans, verify, audit."""

import asyncio
import json
import sys

import pytest

from lsp_server.actions.results import ActionFailed, Problem
from lsp_server.actions.service import ActionService
from lsp_server.actions.sources import ActionError, Sources
from lsp_server.actions.syntax import error_count
from lsp_server.context.files import WorkspaceFiles
from lsp_server.prompting.chat import PLAN_SECTIONS


def _audit(tmp_path):
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_the_menu_never_calls_the_model(harness, pricing):
    h = await harness([])
    uri = h.uri("shop/pricing.py")
    line = pricing.split("\n").index("    return price * (100 - percent) / 100")
    offers = h.service.list_actions(uri, (line, 4), (line, 4), [Problem("integer division", (line, 4), (line, 9))])
    assert [o.action for o in offers] == ["docstring", "fix", "tests", "explain"]
    assert offers[1].data["problem"] == "integer division" and offers[1].problem_index == 0
    selected = h.service.list_actions(uri, (line, 4), (line + 1, 0))
    rewrites = [o for o in selected if o.action == "rewrite"]
    assert [o.command for o in rewrites] == [None, "iquest.rewriteSelection"] and rewrites[0].data["instruction"]
    assert h.backend.requests == [] and h.runtime.generations == 0
    assert h.service.list_actions(uri, (0, 0), (0, 0)) == []  # nothing to act on at the module docstring


async def test_bad_input_is_an_action_error(harness, workspace, tmp_path):
    h = await harness([])
    with pytest.raises(ActionError, match="neither open nor"):
        h.service.list_actions((tmp_path / "elsewhere.py").as_uri(), (0, 0), (0, 0))
    with pytest.raises(ActionError, match="outside the document"):
        h.service.list_actions(h.uri("shop/pricing.py"), (99, 0), (99, 0))
    (workspace / ".env").write_text("KEY=1\n")
    with pytest.raises(ActionError, match="cannot be read"):
        h.service.list_actions(h.uri(".env"), (0, 0), (0, 0))
    with pytest.raises(ActionError, match="unknown action"):
        await h.service.resolve({"action": "nope"}, h.report)


async def test_docstring_resolve_inserts_one_line_and_audits(harness, tmp_path, pricing):
    h = await harness(['"""Apply a percentage discount to a price."""'])
    uri = h.uri("shop/pricing.py")
    h.open[uri] = (pricing, 3)
    offer = h.service.list_actions(uri, (4, 8), (4, 8))[0]
    proposal = await h.service.resolve(offer.data, h.report)
    (edit,) = proposal.edits
    assert edit.version == 3 and len(edit.changes) == 1 and edit.changes[0].start == edit.changes[0].end
    assert '    """Apply a percentage discount to a price."""\n    return price' in edit.new_text
    assert h.reports and h.reports[0][0] == "Writing the doc comment"
    request = h.backend.requests[0]
    assert request.messages[0][0] == "system" and "def apply_discount" in request.messages[1][1]
    (entry,) = _audit(tmp_path)
    assert entry["kind"] == "edit_proposed" and entry["action"] == "docstring" and entry["id"] == proposal.id
    assert (
        entry["model"] == "fake-coder"
        and entry["range"] == {"start": [4, 8], "end": [4, 8]}
        and len(entry["prompt_sha256"]) == 64
    )


async def test_secrets_in_the_code_never_reach_the_model(harness, pricing):
    h = await harness(["Does a thing."])
    uri = h.uri("shop/pricing.py")
    text = pricing.replace("return price", 'token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"\n    return price')
    h.open[uri] = (text, 1)
    await h.service.resolve(h.service.list_actions(uri, (4, 8), (4, 8))[0].data, h.report)
    assert "ghp_16C7e42F292c6912E7710c838347Ae178B4a" not in h.backend.requests[0].messages[1][1]


async def test_fix_retries_once_when_the_code_does_not_parse_then_gives_up(harness, tmp_path):
    fixed = "```python\ndef apply_discount(price, percent):\n    return price * (100 - percent) // 100\n```"
    h = await harness(["```python\ndef apply_discount(price, percent:\n```", fixed])
    uri = h.uri("shop/pricing.py")
    offer = h.service.list_actions(uri, (4, 4), (4, 4), [Problem("use //", (4, 4), (4, 5))])[1]
    proposal = await h.service.resolve(offer.data, h.report)
    assert len(h.backend.requests) == 2 and "does not parse" in h.backend.requests[1].messages[-1][1]
    (edit,) = proposal.edits
    assert "// 100" in edit.new_text and error_count(edit.new_text, "python") == 0
    assert len(edit.changes) == 1 and edit.changes[0].new_text == "    return price * (100 - percent) // 100\n"

    (entry,) = _audit(tmp_path)
    assert entry["action"] == "fix" and entry["range"] == {"start": [4, 4], "end": [4, 5]}

    stubborn = await harness(["no code", "still no code"])
    with pytest.raises(ActionFailed, match="rejected twice"):
        await stubborn.service.resolve(offer.data, stubborn.report)


async def test_rewrite_reindents_a_dedented_answer(harness, pricing):
    h = await harness(["```\ndef add(self, price):\n    self.prices.append(round(price, 2))\n```"])
    uri = h.uri("shop/pricing.py")
    start = pricing.split("\n").index("    def add(self, price):")
    proposal = await h.service.rewrite(uri, (start, 0), (start + 2, 0), "round prices", h.report)
    assert "    def add(self, price):\n        self.prices.append(round(price, 2))\n" in proposal.edits[0].new_text
    with pytest.raises(ActionError, match="instruction"):
        await h.service.rewrite(uri, (start, 0), (start + 2, 0), " ", h.report)
    h.backend.answers.append("```python\n    def add(self, price):\n        self.prices += [price]\n```")
    simplify = next(
        o
        for o in h.service.list_actions(uri, (start, 0), (start + 2, 0))
        if o.action == "rewrite" and o.command is None
    )
    simplified = await h.service.resolve(simplify.data, h.report)
    assert (
        "self.prices += [price]" in simplified.edits[0].new_text and "simpler" in h.backend.requests[-1].messages[1][1]
    )


async def test_tests_go_to_a_new_file_or_are_appended(harness, workspace):
    answer = (
        "```python\nfrom shop.pricing import apply_discount\n\n\n"
        "def test_half():\n    assert apply_discount(10, 50) == 5\n```"
    )
    h = await harness([answer, answer])
    uri = h.uri("shop/pricing.py")
    offer = next(o for o in h.service.list_actions(uri, (4, 4), (4, 4)) if o.action == "tests")
    created = (await h.service.resolve(offer.data, h.report)).edits[0]
    assert (
        created.create
        and created.path == (workspace / "tests" / "test_pricing.py")
        and created.new_text.startswith("from shop.pricing")
    )
    assert "from shop.pricing import apply_discount" in h.backend.requests[0].messages[1][1]
    (workspace / "tests" / "test_pricing.py").write_text("import shop\n")
    appended = (await h.service.resolve(offer.data, h.report)).edits[0]
    assert not appended.create and appended.changes[0].start == len("import shop\n")
    assert "already starts like this" in h.backend.requests[1].messages[1][1]


async def test_plan_fills_a_missing_section_from_a_second_ask_and_marks_what_the_model_never_gave(harness, tmp_path):
    def answer(request):
        user = request.messages[-1][1]
        if "## Impact Analysis" in user and "## Risk Assessment" in user:
            return "## Impact Analysis\nshop/pricing.py changes.\n\n## Migration Steps\n1. Add a class."
        return ""  # the model gives nothing for the separate ask of Risk Assessment

    h = await harness(answer, plan_max_tokens=128)
    plan = await h.service.refactor_plan("Use a Discount class", ["shop/pricing.py"], h.report)
    assert plan.sections == {"Impact Analysis": True, "Migration Steps": True, "Risk Assessment": False}
    for title in PLAN_SECTIONS:
        assert f"## {title}" in plan.markdown
    assert "_(The model gave no risk assessment.)_" in plan.markdown and "1. Add a class." in plan.markdown
    first = h.backend.requests[0].messages[1][1]
    assert "## Focus files" in first and "def apply_discount" in first and "Prices and carts." in first
    assert len(h.backend.requests) == 2 and "only this section" in h.backend.requests[1].messages[1][1]
    assert [e["kind"] for e in _audit(tmp_path)] == ["refactor_plan_shown"]
    with pytest.raises(ActionError, match="outside the workspace"):
        await h.service.refactor_plan("goal", ["../../etc/passwd"], h.report)


async def test_propose_edit_feeds_back_a_bad_diff_once_then_reports(harness, tmp_path, workspace):
    bad = "--- a/shop/pricing.py\n+++ b/shop/pricing.py\n@@ -1 +1 @@\n-not there\n+x\n"
    good = (
        "--- a/shop/pricing.py\n+++ b/shop/pricing.py\n@@ -4,2 +4,2 @@\n def apply_discount(price, percent):\n"
        "-    return price * (100 - percent) / 100\n+    return price * (100 - percent) // 100\n"
    )
    h = await harness([bad, good])
    proposal = await h.service.propose_edit("integer prices", ["shop/pricing.py"], None, h.report)
    assert proposal.needs_confirmation and proposal.rounds == 2 and len(proposal.edits) == 1
    assert "hunk 1 of shop/pricing.py does not apply" in h.backend.requests[1].messages[-1][1]
    h2 = await harness([bad, bad])
    rejected = await h2.service.propose_edit("integer prices", ["shop/pricing.py"], None, h2.report)
    assert rejected.edits == () and "rejected" in rejected.message and rejected.rounds == 2
    kinds = [e["kind"] for e in _audit(tmp_path)]
    assert kinds == ["edit_proposed", "edit_rejected"]
    (workspace / ".env").write_text("KEY=1\n")
    with pytest.raises(ActionError, match="secrets"):
        await h2.service.propose_edit("x", [".env"], None, h2.report)


async def test_fix_and_verify_feeds_test_failures_back_until_they_pass(harness, tmp_path, workspace, pricing):
    counter = tmp_path / "count"
    script = tmp_path / "check.py"
    script.write_text(
        "import pathlib, sys\n"
        f"c = pathlib.Path({str(counter)!r}); n = int(c.read_text()) if c.exists() else 0; c.write_text(str(n + 1))\n"
        "print('AssertionError: 9.0 != 9' if n == 0 else 'ok'); sys.exit(1 if n == 0 else 0)\n"
    )
    code = "```python\ndef apply_discount(price, percent):\n    return price * (100 - percent) // {}\n```"
    h = await harness(
        [code.format(100), code.format("(100)")],
        self_verify=True,
        test_command=f"{sys.executable} {script}",
        verify_rounds=3,
    )
    uri = h.uri("shop/pricing.py")
    proposal = await h.service.fix_and_verify(uri, (4, 4), (4, 4), "integer prices", h.report)
    assert proposal.rounds == 2 and proposal.tests.passed and "(100)" in proposal.edits[0].new_text
    assert "AssertionError: 9.0 != 9" in h.backend.requests[1].messages[-1][1]
    assert (workspace / "shop" / "pricing.py").read_text() == pricing
    off = await harness([])
    with pytest.raises(ActionError, match="selfVerify"):
        await off.service.fix_and_verify(uri, (4, 4), (4, 4), "", off.report)


async def test_cancelling_a_resolve_stops_the_generation(harness):
    h = await harness([])
    h.backend.block = __import__("threading").Event()
    offer = h.service.list_actions(h.uri("shop/pricing.py"), (4, 8), (4, 8))[0]
    task = asyncio.ensure_future(h.service.resolve(offer.data, h.report))
    for _ in range(200):
        if h.backend.requests:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(h.backend.cancelled.wait, 5)


async def test_accepted_is_audited_without_hashes(harness, tmp_path):
    h = await harness([])
    h.service.accepted({"id": "abc", "action": "docstring", "uri": "file:///x.py"})
    (entry,) = _audit(tmp_path)
    assert entry["kind"] == "accepted" and entry["id"] == "abc" and "prompt_sha256" not in entry


async def test_prompts_carry_repository_context_from_the_index(harness):
    from lsp_server.context.assembly import ContextChunk
    from lsp_server.context.workspace import PromptContext

    asked = []

    def provider(uri, text, offset, budget, local):
        asked.append((uri, offset, budget, local))
        chunk = ContextChunk("k", "shop/tax.py", 'def vat(price):\n    KEY = "AKIAIOSFODNN7EXAMPLE"\n', "definition")
        return PromptContext("repo", "shop/pricing.py", "#", (chunk,))

    h = await harness(["Applies a discount."], context_tokens=64)  # a completion setting: actions keep their own
    h.service.context = provider
    uri = h.uri("shop/pricing.py")
    await h.service.resolve(h.service.list_actions(uri, (4, 8), (4, 8))[0].data, h.report)
    user = h.backend.requests[0].messages[1][1]
    assert "shop/tax.py:" in user and "def vat(price):" in user and "AKIAIOSFODNN7EXAMPLE" not in user
    assert asked and asked[0][0] == uri and 64 < asked[0][2] <= 4096 // 4
    assert asked[0][3] is None  # an action's prompt has no local window around the cursor
    h.settings = h.settings.__class__(repo_context=False)
    h.backend.answers.append("Doc.")
    await h.service.resolve(h.service.list_actions(uri, (4, 8), (4, 8))[0].data, h.report)
    assert "shop/tax.py" not in h.backend.requests[1].messages[1][1]


async def test_tests_cut_off_by_the_token_limit_keep_the_complete_ones(harness, workspace):
    answer = (
        "```python\nfrom shop.pricing import apply_discount\n\n\n"
        "def test_half():\n    assert apply_discount(10, 50) == 5\n\n\n"
        "def test_zero():\n    assert apply_discount(10, 0) == (\n"
    )
    h = await harness([])
    h.backend.answers = lambda request: answer
    offer = next(o for o in h.service.list_actions(h.uri("shop/pricing.py"), (4, 4), (4, 4)) if o.action == "tests")
    original_chat = h.backend.chat

    def truncated(request, cancel):
        result = original_chat(request, cancel)
        return result.__class__(**{**result.__dict__, "stop_reason": "max_tokens"})

    h.backend.chat = truncated
    edit = (await h.service.resolve(offer.data, h.report)).edits[0]
    assert "def test_half():" in edit.new_text and "test_zero" not in edit.new_text
    assert len(h.backend.requests) == 1


async def test_ranges_are_read_in_the_position_encoding_the_client_agreed_on(harness):
    harness = await harness([])
    text = 's = "é😀"; total = 1\n'
    uri = harness.uri("shop/encodings.py")
    harness.open[uri] = (text, 1)
    start = text.index("total")
    for encoding, column in (
        ("utf-8", len(text[:start].encode())),
        ("utf-16", len(text[:start].encode("utf-16-le")) // 2),
        ("utf-32", start),
    ):
        sources = Sources(lambda: WorkspaceFiles([harness.root]), harness.open.get, lambda encoding=encoding: encoding)
        service = ActionService(harness.runtime, lambda: harness.settings, harness.audit, sources)
        assert service.offsets(sources.get(uri), (0, column), (0, column + 5)) == (start, start + 5), encoding
