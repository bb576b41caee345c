"""Prompt formats and reading the answers."""

from __future__ import annotations

from lsp_server.next_edit.history import Edit
from lsp_server.next_edit.prompts import blocks_prompt, chat_prompt, read_answer

EDIT = Edit(0, ("def f(rate):",), ("def f(tax_rate):",))
REGION = "def f(tax_rate):\n    return rate\n"


def test_blocks_keep_markers_apart_from_the_text():
    request = blocks_prompt("m.py", [EDIT], REGION, "<|file_sep|>")
    markers = [text for text, marker in request.parts if marker]
    assert markers == ["<|file_sep|>"] * 3
    assert request.prompt.endswith(f"current/m.py\n{REGION}<|file_sep|>updated/m.py\n")
    assert "original:\ndef f(rate):\nupdated:\ndef f(tax_rate):\n" in request.prompt


def test_chat_shows_the_diff_and_the_region():
    request = chat_prompt("m.py", "python", [EDIT], REGION)
    user = request.messages[-1][1]
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
