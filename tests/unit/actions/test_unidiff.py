"""Parsing unified diffs out of model answers and applying their hunks."""

import pytest

from lsp_server.actions.unidiff import PatchError, apply_patch, parse_diff

TEXT = "def f(x):\n    y = x + 1\n    return y\n\n\ndef g():\n    return 2\n"


def test_parses_fenced_diffs_with_prose_around():
    answer = (
        "Here is the change:\n```diff\n--- a/pkg/m.py\n+++ b/pkg/m.py\n"
        "@@ -1,3 +1,3 @@\n def f(x):\n-    y = x + 1\n+    y = x + 2\n"
        "     return y\n```\nand a new file:\n--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1 @@\n+VALUE = 1\n"
    )
    first, second = parse_diff(answer)
    assert first.path == "pkg/m.py" and len(first.hunks) == 1
    assert first.hunks[0].old == ["def f(x):", "    y = x + 1", "    return y"]
    assert second.old_path is None and second.path == "pkg/new.py" and second.hunks[0].new == ["VALUE = 1"]


def test_applies_hunks_even_when_line_numbers_are_wrong():
    (patch,) = parse_diff("--- a/m.py\n+++ b/m.py\n@@ -40,2 +40,2 @@\n def g():\n-    return 2\n+    return 3\n")
    assert apply_patch(TEXT, patch) == TEXT.replace("return 2", "return 3")


def test_a_hunk_that_does_not_match_is_an_error_naming_it():
    (patch,) = parse_diff("--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n def f(x):\n-    y = x * 9\n+    y = 0\n")
    with pytest.raises(PatchError, match="hunk 1 of m.py does not apply"):
        apply_patch(TEXT, patch)


def test_hunks_apply_in_order_and_trailing_whitespace_is_tolerated():
    diff = (
        "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n def f(x):   \n-    y = x + 1\n+    y = x - 1\n"
        "@@ -6,2 +6,2 @@\n def g():\n-    return 2\n+    return -2\n"
    )
    (patch,) = parse_diff(diff)
    assert apply_patch(TEXT, patch) == TEXT.replace("x + 1", "x - 1").replace("return 2", "return -2")


def test_no_hunks_is_an_error_and_no_diff_is_empty():
    with pytest.raises(PatchError, match="no @@ hunks"):
        parse_diff("--- a/m.py\n+++ b/m.py\nnothing\n")
    assert parse_diff("just prose") == []
