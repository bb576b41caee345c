"""scripts/eval_oracle_context.py: finding a task's logged prompt and putting a definition into it (no model)."""

from __future__ import annotations

from script_loader import load_script

oracle = load_script("eval_oracle_context")

WITH_CONTEXT = (
    "<|fim_prefix|># _types.py\nclass A: ...\n\n# pkg/mod.py\nimport x\n\ndef f():\n"
    "<|fim_suffix|>\n    return y\n<|fim_middle|>    raise"
)
NO_CONTEXT = "<|fim_prefix|>import x\n\ndef f():\n<|fim_suffix|>\n<|fim_middle|>    raise"


def test_the_definition_goes_last_in_the_context_right_before_the_documents_own_header():
    prompt = oracle.with_definition(WITH_CONTEXT, "pkg/mod.py", "#", "pkg/errors.py", "class Oops(Exception): ...\n")
    head, rest = prompt.split("<|fim_suffix|>")
    assert head == (
        "<|fim_prefix|># _types.py\nclass A: ...\n\n# pkg/errors.py\nclass Oops(Exception): ...\n\n"
        "# pkg/mod.py\nimport x\n\ndef f():\n"
    )
    assert rest == WITH_CONTEXT.split("<|fim_suffix|>")[1]


def test_a_prompt_without_context_gets_the_definition_and_the_documents_header():
    prompt = oracle.with_definition(NO_CONTEXT, "pkg/mod.py", "//", "errors.js", "class Oops {}")
    assert prompt.startswith("<|fim_prefix|>// errors.js\nclass Oops {}\n\n// pkg/mod.py\nimport x\n")
    assert prompt.endswith("<|fim_suffix|>\n<|fim_middle|>    raise")


def test_a_task_finds_the_prompt_whose_middle_and_healed_text_end_the_document_before_its_cursor():
    entries = [
        {"prompt": "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>def g():\n    return", "healed": " "},
        {"prompt": "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>def f():\n    value =", "healed": " "},
    ]
    before = "import x\n\ndef f():\n    value = "
    assert oracle.logged_prompt(before, entries) is entries[1]
    assert oracle.logged_prompt("def h():\n    other = ", entries) is None


def test_a_middle_too_short_to_place_matches_nothing():
    entries = [{"prompt": "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>x = ", "healed": ""}]
    assert oracle.logged_prompt("y\nx = ", entries) is None


def test_the_name_a_cross_file_line_starts_with():
    assert oracle.leading_name("Cookies(self.cookies)") == "Cookies"
    assert oracle.leading_name("$http.get(url)") == "$http"
    assert oracle.leading_name("(a, b)") is None
