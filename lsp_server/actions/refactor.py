"""Refactor plans: the seed context within budget and a plan that always has its three sections."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from lsp_server.actions.action_context import PROMPT_OVERHEAD_TOKENS, ActionContext
from lsp_server.actions.results import Markdown
from lsp_server.actions.sources import ActionError
from lsp_server.context.files import WorkspaceFiles
from lsp_server.context.secrets import redact
from lsp_server.context.seed import build_seed_context, render_seed
from lsp_server.context.summaries import FileSummary
from lsp_server.progress import Progress
from lsp_server.prompting import chat
from lsp_server.prompting.chat import PLAN_SECTIONS

_LEADING_HEADING = re.compile(r"^\s*#{1,6}[^\n]*\n")


def seed_text(
    files: WorkspaceFiles,
    summaries: Mapping[str, FileSummary],
    count: Callable[[str], int],
    budget: int,
    focus: Sequence[Path],
) -> str:
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


class RefactorPlanner:
    """Plans a refactoring of the workspace with the model; the plan always has its three sections."""

    def __init__(self, ctx: ActionContext) -> None:
        self._ctx = ctx

    async def plan(self, goal: str, focus: Sequence[str], report: Progress) -> Markdown:
        """A markdown plan with Impact Analysis, Migration Steps and Risk Assessment for ``goal``."""
        if not goal.strip():
            raise ActionError("iquest.refactorPlan needs a goal")
        files = self._ctx.sources.files
        if files is None or not files.roots:
            raise ActionError("there is no workspace folder to plan for")
        paths = [self._ctx.sources.resolve(name) for name in focus]
        settings = self._ctx.settings()
        count, n_ctx = await self._ctx.budget()
        max_tokens = settings.plan_max_tokens
        budget = n_ctx - max_tokens - PROMPT_OVERHEAD_TOKENS - count(goal)
        if budget < 200:
            raise ActionError(
                f"the context window ({n_ctx} tokens) leaves no room for the repository; lower iquest.planMaxTokens"
            )
        report("Reading the repository", 5)
        seed = seed_text(files, self._ctx.summaries(), count, budget, paths)
        goal = redact(goal)
        result = await self._ctx.generate(chat.plan_messages(seed, goal), max_tokens, report, "Planning")
        prompts, outputs = [result.prompt], [result.text]
        found = chat.split_sections(result.text)
        for title in chat.PLAN_SECTIONS:
            if title in found:
                continue
            extra = await self._ctx.generate(
                chat.plan_messages(seed, goal, (title,)), max(64, max_tokens // 2), report, f"Planning: {title}"
            )
            prompts.append(extra.prompt)
            outputs.append(extra.text)
            body = chat.split_sections(extra.text, (title,)).get(title) or strip_heading(extra.text)
            if body:
                found[title] = body
        markdown = render_plan(goal, found)
        document = Markdown(
            uuid.uuid4().hex, "Refactor plan", markdown, {title: title in found for title in chat.PLAN_SECTIONS}
        )
        self._ctx.audit.record(
            "refactor_plan_shown",
            uri=files.roots[0].as_uri(),
            model=self._ctx.model_name(),
            prompt="\n".join(prompts),
            output=markdown,
            id=document.id,
            action="refactor_plan",
            focus=[str(p) for p in paths],
        )
        return document
