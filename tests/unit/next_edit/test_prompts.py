"""Prompt formats and reading the answers."""

from __future__ import annotations

from lsp_server.model.backend import TextRequest
from lsp_server.next_edit.history import Edit
from lsp_server.next_edit.prompts import answer_complete, blocks_prompt, chat_prompt, read_answer, versions_prompt
from lsp_server.next_edit.regions import Region

EDIT = Edit(0, ("def f(rate):",), ("def f(tax_rate):",))
REGION = "def f(tax_rate):\n    return rate\n"


def test_blocks_keep_markers_apart_from_the_text_and_guess_the_rename_carried_on():
    prompt = blocks_prompt("m.py", [EDIT], REGION, "<|file_sep|>")
    request = prompt.request
    assert isinstance(request, TextRequest) and request.guess == "def f(tax_rate):\n    return tax_rate\n"
    markers = [text for text, marker in request.parts if marker]
    assert markers == ["<|file_sep|>"] * 3
    assert request.prompt.endswith(f"current/m.py\n{REGION}<|file_sep|>updated/m.py\n")
    assert "original:\ndef f(rate):\nupdated:\ndef f(tax_rate):\n" in request.prompt


def test_chat_shows_the_diff_and_the_region():
    request = chat_prompt("m.py", "python", [EDIT], REGION).request
    user = request.messages[-1][1]  # pyright: ignore[reportAttributeAccessIssue]
    assert "-def f(rate):\n+def f(tax_rate):" in user and f"```python\n{REGION}```" in user


def test_an_answer_is_cut_where_it_goes_on_past_the_region():
    answer = "def f(tax_rate):\n    return tax_rate\n\nprint(f(1))\nprint(2)\n"
    region = "def f(tax_rate):\n    return rate\n\n"
    assert read_answer(answer, region) == "def f(tax_rate):\n    return tax_rate\n\nprint(f(1))\n"
    last_repeated = "def f(tax_rate):\n    x = rate\n    return x\n"
    assert read_answer("def f(tax_rate):\n    x = tax_rate\n    return x\nmore\n", last_repeated) == (
        "def f(tax_rate):\n    x = tax_rate\n    return x\n"
    )


def test_a_fenced_answer_is_read_from_its_fence():
    assert read_answer("Sure:\n```python\nx = 1\n```\nDone.", "x = 0\n") == "x = 1\n"


LINES = [
    "def f(rate, items):",
    '    """Doc."""',
    "    total = 0",
    "    for item in items:",
    "        if item:",
    "            total += item * rate",
    "    return total",
]
PARAM = Edit(0, ("def f(rate, items):",), ("def f(tax_rate, items):",))


def test_versions_show_the_lines_before_the_edit_then_after_it_up_to_the_region_with_its_openers():
    lines = ["def f(tax_rate, items):", *LINES[1:]]
    prompt = versions_prompt("m.py", lines, PARAM, Region(5, 7, "uses of rate"), "<|file_sep|>")
    assert prompt is not None and isinstance(prompt.request, TextRequest)
    then = "def f(rate, items):\n    for item in items:\n        if item:\n" + "".join(
        f"{line}\n" for line in LINES[5:]
    )
    now = "def f(tax_rate, items):\n    for item in items:\n        if item:\n"
    assert prompt.request.prompt == f"<|file_sep|>m.py\n{then}<|file_sep|>m.py\n{now}"
    assert [text for text, marker in prompt.request.parts if marker] == ["<|file_sep|>"] * 2
    assert prompt.rest == "            total += item * rate\n    return total\n" and prompt.written == ""
    assert prompt.guess == "            total += item * tax_rate\n    return total\n"
    assert prompt.answer("            total += item * tax_rate\n    return total\nmore\n") == prompt.guess


def test_versions_write_on_after_an_edited_line_at_the_regions_start_and_refuse_a_region_above_the_edit():
    text = ["def f(tax_rate):", "    return rate"]
    prompt = versions_prompt("m.py", text, EDIT, Region(0, 2, "uses of rate"), "<|file_sep|>")
    assert prompt is not None and prompt.request.prompt.endswith("<|file_sep|>m.py\ndef f(tax_rate):\n")
    assert prompt.written == "def f(tax_rate):\n" and prompt.rest == "    return rate\n"
    assert prompt.answer("    return tax_rate\n") == "def f(tax_rate):\n    return tax_rate\n"
    below = Edit(1, ("    return rate",), ("    return tax_rate",))
    assert versions_prompt("m.py", ["x = rate", "    return tax_rate"], below, Region(0, 1, "uses"), "<|f|>") is None


def test_an_answer_is_complete_when_more_text_cannot_change_what_is_read_of_it():
    region = "a = rate\nb = rate\n"
    assert not answer_complete("a = tax_rate\nb = tax_", region, "a = tax_rate\nb = tax_rate\n")
    assert answer_complete("a = tax_rate\nb = tax_rate\n", region, "a = tax_rate\nb = tax_rate\n")
    assert answer_complete("a = rate\nb = rate\n", region)  # the region's own last line
    assert answer_complete("x\ny\nz\nw\n", region)  # two lines past the region's length
    assert not answer_complete("x\ny\nz\n", region)
