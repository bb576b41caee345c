"""Chat prompts and reading model answers."""

from lsp_server.prompting.chat import (
    PLAN_SECTIONS,
    clean_doc_text,
    context_section,
    docstring_messages,
    extract_code,
    fence,
    plan_messages,
    retry_messages,
    split_sections,
)


def test_messages_are_system_then_user_with_code_fenced():
    messages = docstring_messages("python", "a.py", "x = '```'", "function", [("b.py", "def g(): pass")])
    assert [role for role, _ in messages] == ["system", "user"]
    user = messages[1][1]
    assert "````python\nx = '```'\n````" in user and "b.py:" in user
    assert context_section([]) == ""


def test_retry_appends_the_answer_and_the_problem():
    first = docstring_messages("python", "a.py", "x", "function")
    again = retry_messages(first, "bad", "it does not parse")
    assert again[:2] == first and again[2] == ("assistant", "bad") and "it does not parse" in again[3][1]


def test_extract_code_takes_the_first_block_even_unterminated():
    assert extract_code("Sure:\n```python\ndef f():\n    pass\n```\nmore\n```\nx\n```") == "def f():\n    pass"
    assert extract_code("```\nreturn 1\n") == "return 1"
    assert extract_code("no code here") is None
    assert fence("a", "py") == "```py\na\n```"


def test_clean_doc_text_strips_quotes_and_comment_markers():
    assert clean_doc_text('"""Add two numbers."""') == "Add two numbers."
    assert clean_doc_text("```\n/**\n * Sum.\n * More.\n */\n```") == "Sum.\nMore."
    assert clean_doc_text("# Adds.\n") == "Adds."


def test_split_sections_finds_headings_in_any_style_and_keeps_subheadings():
    markdown = (
        "## Impact Analysis\nTouches a.py.\n### Callers\nb.py\n\n**Migration Steps**\n\n"
        "# 2. Migration Steps:\n1. Do it.\n## Other\n"
    )
    found = split_sections(markdown)
    assert found["Impact Analysis"] == "Touches a.py.\n### Callers\nb.py\n\n**Migration Steps**"
    assert found["Migration Steps"].startswith("1. Do it.")
    assert "Risk Assessment" not in found


def test_plan_prompt_asks_for_exactly_the_wanted_headings():
    all_three = plan_messages("seed", "goal")[1][1]
    assert all(f"## {title}" in all_three for title in PLAN_SECTIONS)
    one = plan_messages("seed", "goal", ("Risk Assessment",))[1][1]
    assert "## Risk Assessment" in one and "## Impact Analysis" not in one
