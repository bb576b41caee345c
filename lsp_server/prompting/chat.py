"""Chat prompts for code actions, refactor plans and edit proposals, and reading the answers."""

from __future__ import annotations

import re
from collections.abc import Sequence

Messages = tuple[tuple[str, str], ...]

SYSTEM = (
    "You are a careful senior software engineer working inside the user's editor. "
    "Answer exactly in the format asked for, without extra commentary."
)
_FENCE = re.compile(r"^(`{3,})[^\n`]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_OPEN_FENCE = re.compile(r"^`{3,}[^\n`]*\n", re.MULTILINE)

PLAN_SECTIONS = ("Impact Analysis", "Migration Steps", "Risk Assessment")
_PLAN_HINTS = {
    "Impact Analysis": "which files, modules, functions and callers the change touches, and how",
    "Migration Steps": "a numbered list of concrete steps in the order to do them, naming files and functions",
    "Risk Assessment": "what could break, how likely, and how to test or roll back",
}


def fence(text: str, language: str = "") -> str:
    """``text`` in a code fence longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    ticks = "`" * (longest + 1)
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def context_section(chunks: Sequence[tuple[str, str]]) -> str:
    """Repository context (path, redacted text) as a markdown section, or '' when there is none."""
    if not chunks:
        return ""
    parts = [f"{path}:\n{fence(text)}" for path, text in chunks]
    return "Related code elsewhere in the repository:\n\n" + "\n\n".join(parts) + "\n\n"


def _chat(user: str) -> Messages:
    return (("system", SYSTEM), ("user", user))


def _about(language: str, path: str, code: str, context: Sequence[tuple[str, str]]) -> str:
    """The shared start of every code prompt: the same code, the same tokens, so actions reuse the KV."""
    return f"{context_section(context)}File {path} ({language}):\n{fence(code, language)}\n\n"


def docstring_messages(
    language: str, path: str, code: str, kind: str, context: Sequence[tuple[str, str]] = ()
) -> Messages:
    """Ask for the summary text of a doc comment for one definition."""
    return _chat(
        f"{_about(language, path, code, context)}Write the documentation for this {kind}: "
        "one sentence that says what it does, optionally followed by "
        "a short paragraph on its parameters and return value. Reply with the documentation text only: "
        "no quotes, no comment markers, no code."
    )


def fix_messages(
    language: str, path: str, code: str, problem: str, context: Sequence[tuple[str, str]] = ()
) -> Messages:
    """Ask for a corrected version of a piece of code."""
    return _chat(
        f"{_about(language, path, code, context)}This code has a problem: {problem}\n\n"
        "Fix the problem with the smallest change. Reply with the complete corrected code "
        "in one code block, same indentation, nothing else."
    )


def rewrite_messages(
    language: str, path: str, code: str, instruction: str, context: Sequence[tuple[str, str]] = ()
) -> Messages:
    """Ask for a rewrite of the selected code following the user's instruction."""
    return _chat(
        f"{_about(language, path, code, context)}Rewrite this code: {instruction}\n\n"
        "Reply with the complete rewritten code in one code block, "
        "same indentation, nothing else."
    )


def tests_messages(
    language: str,
    path: str,
    code: str,
    name: str,
    import_line: str,
    test_path: str,
    existing: str,
    context: Sequence[tuple[str, str]] = (),
) -> Messages:
    """Ask for unit tests of one function, to be written to ``test_path``."""
    tail = (
        f"The test file {test_path} already starts like this; add new tests that fit it, without repeating "
        f"its imports:\n{fence(existing, language)}\n\n"
        if existing
        else f"They go into a new file {test_path}. "
    )
    return _chat(
        f"{_about(language, path, code, context)}Write unit tests for `{name}`. {tail}Import it with: {import_line}\n"
        "Cover the normal case and an edge case. Reply with the test code in one code block, nothing else."
    )


def explain_messages(language: str, path: str, code: str, context: Sequence[tuple[str, str]] = ()) -> Messages:
    """Ask for a markdown explanation of a piece of code."""
    return _chat(
        f"{_about(language, path, code, context)}Explain what this code does, how, and anything surprising about it. "
        "Reply in short markdown."
    )


def plan_messages(seed: str, goal: str, sections: Sequence[str] = PLAN_SECTIONS) -> Messages:
    """Ask for a refactor plan with exactly the given ``##`` sections (all three, or one at a time)."""
    asked = "\n".join(f"## {title}\n({_PLAN_HINTS.get(title, '')})" for title in sections)
    which = (
        "these sections, with these exact headings"
        if len(sections) > 1
        else "only this section, with this exact heading"
    )
    return _chat(
        f"# Repository\n\n{seed}\n\n# Goal\n\n{goal}\n\n"
        f"Write a refactoring plan for the goal in markdown with {which}:\n\n{asked}"
    )


def diff_messages(goal: str, files: Sequence[tuple[str, str]]) -> Messages:
    """Ask for a multi-file change as unified diffs against the files shown."""
    shown = "\n\n".join(f"{path}:\n{fence(text)}" for path, text in files)
    return _chat(
        f"{shown}\n\nChange: {goal}\n\nReply with unified diffs only, one per changed file, each starting with "
        "`--- a/PATH` and `+++ b/PATH` (workspace-relative paths) followed by `@@` hunks with three lines of "
        "context. Copy context and removed lines exactly from the files above."
    )


def retry_messages(messages: Messages, answer: str, problem: str) -> Messages:
    """The same chat with the previous answer and why it was rejected, asking for a corrected one."""
    return (
        *messages,
        ("assistant", answer),
        ("user", f"That answer was rejected: {problem}\nReply again, corrected, in the same format."),
    )


def extract_code(answer: str) -> str | None:
    """The first fenced code block of an answer (an unterminated one counts), else None."""
    match = _FENCE.search(answer)
    if match:
        return match.group(2).rstrip("\n")
    opened = _OPEN_FENCE.search(answer)
    if opened:
        return answer[opened.end() :].rstrip("\n`").rstrip("\n") or None
    return None


def clean_doc_text(answer: str) -> str:
    """The documentation text of an answer without quotes, fences or comment markers."""
    text = extract_code(answer) or answer
    lines = []
    for line in text.strip().splitlines():
        line = re.sub(r'^\s*(?:"""|\'\'\'|/\*\*|/\*|\*/|///|//!|//|#|\*)\s?', "", line).rstrip()
        line = re.sub(r'\s*(?:"""|\'\'\'|\*/)$', "", line)
        lines.append(line)
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def split_sections(markdown: str, titles: Sequence[str] = PLAN_SECTIONS) -> dict[str, str]:
    """The body under each wanted heading (any level, case-insensitive); missing headings are absent."""
    heading = re.compile(r"^\s*#{1,6}\s*(?:\d+[.)]\s*)?\**(.+?)\**\s*:?\s*$", re.MULTILINE)
    found: dict[str, str] = {}
    lowered = {title.lower(): title for title in titles}
    # Only the wanted headings end a section: a model's own sub-headings stay inside it.
    marks = [
        (m.start(), m.end(), lowered[m.group(1).strip().lower()])
        for m in heading.finditer(markdown)
        if m.group(1).strip().lower() in lowered
    ]
    for index, (_, end, wanted) in enumerate(marks):
        if wanted in found:
            continue
        stop = marks[index + 1][0] if index + 1 < len(marks) else len(markdown)
        body = markdown[end:stop].strip()
        if body:
            found[wanted] = body
    return found
