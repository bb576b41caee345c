"""Diffs are offered only when every hunk applies inside the workspace and the result parses."""

from lsp_server.actions.proposals import check_diff
from lsp_server.actions.sources import Sources
from lsp_server.context.files import WorkspaceFiles


def _sources(root, opened=None):
    return Sources(lambda: WorkspaceFiles([root]), (opened or {}).get)


def test_a_valid_multi_file_diff_becomes_minimal_edits(workspace):
    diff = (
        "--- a/shop/pricing.py\n+++ b/shop/pricing.py\n@@ -4,2 +4,2 @@\n def apply_discount(price, percent):\n"
        "-    return price * (100 - percent) / 100\n+    return price * (100 - percent) // 100\n"
        "--- /dev/null\n+++ b/shop/tax.py\n@@ -0,0 +1,2 @@\n+def tax(x):\n+    return x\n"
    )
    check = check_diff(diff, _sources(workspace))
    assert check.ok, check.problems
    pricing, tax = check.edits
    assert len(pricing.changes) == 1 and "// 100" in pricing.new_text and not pricing.create
    assert tax.create and tax.new_text == "def tax(x):\n    return x\n"


def test_the_open_document_is_what_the_diff_must_match(workspace):
    uri = (workspace / "shop" / "pricing.py").resolve().as_uri()
    opened = {uri: ("def apply_discount(price, percent):\n    return 0\n", 7)}
    diff = (
        "--- a/shop/pricing.py\n+++ b/shop/pricing.py\n@@ -1,2 +1,2 @@\n"
        " def apply_discount(price, percent):\n-    return 0\n+    return 1\n"
    )
    check = check_diff(diff, _sources(workspace, opened))
    assert check.ok and check.edits[0].version == 7


def test_rejections_say_why_and_are_all_or_nothing(workspace, tmp_path):
    (tmp_path / "outside.py").write_text("x = 1\n")
    cases = {
        "--- a/../outside.py\n+++ b/../outside.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n": "outside the workspace",
        "--- a/shop/missing.py\n+++ b/shop/missing.py\n@@ -1 +1 @@\n-x\n+y\n": "does not exist",
        "--- a/shop/pricing.py\n+++ b/shop/pricing.py\n@@ -1 +1 @@\n-nothing like this\n+y\n": (
            "hunk 1 of shop/pricing.py does not apply"
        ),
        (
            "--- a/shop/pricing.py\n+++ b/shop/pricing.py\n@@ -4 +4 @@\n"
            "-def apply_discount(price, percent):\n+def apply_discount(price, percent:\n"
        ): "does not parse",
        "--- a/shop/pricing.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n": "deleting files",
        "--- /dev/null\n+++ b/.env\n@@ -0,0 +1 @@\n+KEY=1\n": "secret",
        "no diff at all": "no unified diff",
    }
    for diff, reason in cases.items():
        check = check_diff(diff, _sources(workspace))
        assert not check.ok and not check.edits and reason in " ".join(check.problems), (diff, check.problems)
    good = "--- /dev/null\n+++ b/shop/new.py\n@@ -0,0 +1 @@\n+X = 1\n"
    mixed = check_diff(
        good + "--- a/shop/missing.py\n+++ b/shop/missing.py\n@@ -1 +1 @@\n-x\n+y\n", _sources(workspace)
    )
    assert not mixed.ok and mixed.edits == ()
