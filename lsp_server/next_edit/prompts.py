"""Prompt formats for a next-edit prediction and how to read their answers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsp_server.model.backend import ChatRequest, TextRequest
from lsp_server.next_edit.history import Edit
from lsp_server.next_edit.regions import Region, renamed

# "versions": the file's lines as they were before the last edit, then as they are, up to the region, which the
# model writes on (a code model carries a renamed name on by itself); "blocks": Sweep's repo-level layout (the
# edits as original/updated blocks, the current region, then the model writes the updated region); "chat": the
# instruct model is asked to rewrite the region. "versions" is for the uses of a renamed name below the edit;
# other regions get "blocks" (predict._prompt).
FORMATS = ("versions", "blocks", "chat")
DEFAULT_FORMAT = "versions"
RECENT_EDITS = 3
# Lines an answer may have beyond the region's (a next edit may add a line or two).
_EXTRA_LINES = 2
_FENCE = re.compile(r"```[\w+-]*\n(.*?)(?:```|\Z)", re.DOTALL)
_SYSTEM = (
    "You predict a programmer's next edit from their recent edits. Answer with the rewritten code only, "
    "in one code block, changing only what the recent edits call for."
)


@dataclass(frozen=True)
class Prompt:
    """A request for one region, and how its answer becomes the region rewritten."""

    request: TextRequest | ChatRequest
    rest: str  # the part of the region the model writes
    guess: str = ""  # the likely answer for ``rest``
    written: str = ""  # the region's first lines, already in the prompt as the answer's start

    def answer(self, text: str) -> str:
        """The region as the model rewrote it."""
        return self.written + read_answer(text, self.rest, self.guess)


def answer_budget(region: str) -> int:
    """Tokens allowed for the rewritten region: its size with room for a few changed names."""
    return len(region) // 3 + 32


def blocks_prompt(path: str, edits: list[Edit], region: str, file_sep: str) -> Prompt:
    """Sweep's layout: ``<|file_sep|>path.diff`` original/updated blocks, ``current/path``, then ``updated/path``;
    the region with the last edit's rename carried on is the guess (checked in one batch: the same text, sooner
    when right)."""
    parts: list[tuple[str, bool]] = []
    for edit in edits[-RECENT_EDITS:]:
        parts += [
            (file_sep, True),
            (f"{path}.diff\noriginal:\n" + _block(edit.before) + "updated:\n" + _block(edit.after), False),
        ]
    parts += [(file_sep, True), (f"current/{path}\n{region}", False), (file_sep, True), (f"updated/{path}\n", False)]
    return _raw_prompt(tuple(parts), region, renamed(region, edits[-1]))


def versions_prompt(path: str, lines: list[str], edit: Edit, region: Region, file_sep: str) -> Prompt | None:
    """The lines from the last edit to the region's end as they were, then as they are up to the region: the edited
    lines and the lines that open the blocks the region is in. None for a region that starts above the edit."""
    edited = range(edit.line, edit.line + len(edit.after))
    old = "".join(f"{line}\n" for line in lines[region.start : region.end])
    if region.start == edited.start and region.end > edited.stop:
        openers, written = [], "".join(f"{line}\n" for line in lines[edited.start : edited.stop])
        then = list(edit.before) + lines[edited.stop : region.end]
    elif region.start >= edited.stop:
        openers, written = _openers(lines, edited.stop, region.start), ""
        then = list(edit.before) + openers + lines[region.start : region.end]
    else:
        return None
    now = lines[edited.start : edited.stop] + openers if not written else []
    parts = (
        (file_sep, True),
        (f"{path}\n" + _block(tuple(then)), False),
        (file_sep, True),
        (f"{path}\n" + _block(tuple(now)) + written, False),
    )
    rest = old[len(written) :]
    return _raw_prompt(parts, rest, renamed(rest, edit), written)


def _raw_prompt(parts: tuple[tuple[str, bool], ...], rest: str, guess: str, written: str = "") -> Prompt:
    """A raw prompt for a model with ``<|file_sep|>``: ``guess`` checked in one batch, generation stopped once the
    answer for ``rest`` is read."""
    request = TextRequest(
        parts,
        max_tokens=answer_budget(rest),
        stop=("```",),
        guess=guess,
        should_stop=lambda text: answer_complete(text, rest, guess),
    )
    return Prompt(request, rest, guess, written)


def _openers(lines: list[str], start: int, end: int) -> list[str]:
    """The lines between ``start`` and ``end`` that open the blocks line ``end`` is in (each less indented than the
    next), so the region keeps its indentation without the lines in between."""
    openers: list[str] = []
    depth = _indent(lines[end]) if end < len(lines) else 0
    for line in reversed(lines[start:end]):
        if line.strip() and _indent(line) < depth:
            openers.insert(0, line)
            depth = _indent(line)
    return openers


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def chat_prompt(path: str, language: str, edits: list[Edit], region: str) -> Prompt:
    """The instruct model's way: the recent edits as a diff, the region to rewrite in a code block."""
    diffs = "".join(edit.unified(path) for edit in edits[-RECENT_EDITS:])
    user = (
        f"My recent edits to {path}:\n```diff\n{diffs}```\n"
        f"Rewrite this part of {path} with the edit that should come next:\n```{language}\n{region}```"
    )
    request = ChatRequest(
        (("system", _SYSTEM), ("user", user)), max_tokens=answer_budget(region) + 8, stop=("\n```\n",)
    )
    return Prompt(request, region)


def answer_complete(text: str, region: str, guess: str = "") -> bool:
    """True when ``text`` holds all that ``read_answer`` would keep of it: generating more cannot change the answer."""
    if "```" in text:
        return False  # a fence: the answer is read from inside it
    lines = text.split("\n")[:-1]  # the complete lines
    region_lines = region.rstrip("\n").split("\n")
    return len(lines) >= len(region_lines) + _EXTRA_LINES or any(line in lines for line in _last_lines(region, guess))


def read_answer(text: str, region: str, guess: str = "") -> str:
    """The rewritten region out of the model's answer (a fenced block when there is one)."""
    fenced = _FENCE.search(text)
    lines = (fenced.group(1) if fenced else text.split("```", 1)[0]).split("\n")
    # A model that goes on past the region spells its last line again (as it is, or as guessed) and continues:
    # cut there.
    region_lines = region.rstrip("\n").split("\n")
    ends = [index for index, line in enumerate(lines) if line in _last_lines(region, guess)]
    if ends:
        lines = lines[: ends[0] + 1]
    answer = "\n".join(lines[: len(region_lines) + _EXTRA_LINES])
    if region.endswith("\n") and answer and not answer.endswith("\n"):
        answer += "\n"
    return answer


def _last_lines(region: str, guess: str) -> set[str]:
    """The region's last line and the guess's, where not blank."""
    lasts = {text.rstrip("\n").rsplit("\n", 1)[-1] for text in (region, guess) if text}
    return {line for line in lasts if line.strip()}


def _block(lines: tuple[str, ...]) -> str:
    return "".join(f"{line}\n" for line in lines)
