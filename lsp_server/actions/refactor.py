"""Refactor plans: the seed context within budget and a plan that always has its three sections."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Mapping, Sequence

from lsp_server.context.files import WorkspaceFiles
from lsp_server.context.seed import build_seed_context, render_seed
from lsp_server.context.summaries import FileSummary
from lsp_server.prompting.chat import PLAN_SECTIONS

_LEADING_HEADING = re.compile(r"^\s*#{1,6}[^\n]*\n")


def seed_text(files: WorkspaceFiles, summaries: Mapping[str, FileSummary], count: Callable[[str], int], budget: int, focus: Sequence[Path]) -> str:
    """Project overview, directory tree, key components and focus files, cut to ``budget`` tokens."""
    return render_seed(build_seed_context(files, summaries, count_tokens=count, budget=budget, focus=list(focus)))


def strip_heading(text: str) -> str:
    """An answer without a leading markdown heading (the model repeating the section title)."""
    return _LEADING_HEADING.sub("", text.strip(), count=1).strip()


def render_plan(goal: str, sections: Mapping[str, str]) -> str:
    """The plan document: the goal, then each section, a missing one marked as such (never invented)."""
    parts = [f"# Refactor plan\n\n**Goal:** {goal.strip()}"]
    for title in PLAN_SECTIONS:
        body = sections.get(title, "").strip() or f"_(The model gave no {title.lower()}.)_"
        parts.append(f"## {title}\n\n{body}")
    return "\n\n".join(parts) + "\n"
