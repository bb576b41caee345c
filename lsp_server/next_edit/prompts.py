"""Prompt formats for a next-edit prediction and how to read their answers."""

from __future__ import annotations

import re

from lsp_server.model.backend import ChatRequest, TextRequest
from lsp_server.next_edit.history import Edit

# "blocks": Sweep's repo-level layout (the edits as original/updated blocks, the current region, then the
# model writes the updated region); "chat": the instruct model is asked to rewrite the region.
FORMATS = ("blocks", "chat")
DEFAULT_FORMAT = "blocks"
RECENT_EDITS = 3
# Lines an answer may have beyond the region's (a next edit may add a line or two).
_EXTRA_LINES = 2
_FENCE = re.compile(r"```[\w+-]*\n(.*?)(?:```|\Z)", re.DOTALL)
_SYSTEM = (
    "You predict a programmer's next edit from their recent edits. Answer with the rewritten code only, "
    "in one code block, changing only what the recent edits call for."
)


def answer_budget(region: str) -> int:
    """Tokens allowed for the rewritten region: its size with room for a few changed names."""
    return len(region) // 3 + 32


def blocks_prompt(path: str, edits: list[Edit], region: str, file_sep: str) -> TextRequest:
    """Sweep's layout: ``<|file_sep|>path.diff`` original/updated blocks, ``current/path``, then ``updated/path``."""
    parts: list[tuple[str, bool]] = []
    for edit in edits[-RECENT_EDITS:]:
        parts += [
            (file_sep, True),
            (f"{path}.diff\noriginal:\n" + _block(edit.before) + "updated:\n" + _block(edit.after), False),
        ]
    parts += [(file_sep, True), (f"current/{path}\n{region}", False), (file_sep, True), (f"updated/{path}\n", False)]
    return TextRequest(tuple(parts), max_tokens=answer_budget(region), stop=("```",))


def chat_prompt(path: str, language: str, edits: list[Edit], region: str) -> ChatRequest:
    """The instruct model's way: the recent edits as a diff, the region to rewrite in a code block."""
    diffs = "".join(edit.unified(path) for edit in edits[-RECENT_EDITS:])
    user = (
        f"My recent edits to {path}:\n```diff\n{diffs}```\n"
        f"Rewrite this part of {path} with the edit that should come next:\n```{language}\n{region}```"
    )
    return ChatRequest((("system", _SYSTEM), ("user", user)), max_tokens=answer_budget(region) + 8, stop=("\n```\n",))


def read_answer(text: str, region: str) -> str:
    """The rewritten region out of the model's answer (a fenced block when there is one)."""
    fenced = _FENCE.search(text)
    lines = (fenced.group(1) if fenced else text.split("```", 1)[0]).split("\n")
    # A model that goes on past the region spells its last line again and continues: cut there.
    region_lines = region.rstrip("\n").split("\n")
    last = region_lines[-1]
    if last.strip() and last in lines:
        lines = lines[: lines.index(last) + 1]
    answer = "\n".join(lines[: len(region_lines) + _EXTRA_LINES])
    if region.endswith("\n") and answer and not answer.endswith("\n"):
        answer += "\n"
    return answer


def _block(lines: tuple[str, ...]) -> str:
    return "".join(f"{line}\n" for line in lines)
