"""Check a model's unified diffs against the current workspace before anything is offered."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from lsp_server.actions.action_context import PROMPT_OVERHEAD_TOKENS, ActionContext
from lsp_server.actions.results import Proposal
from lsp_server.actions.retry import retry_with_feedback
from lsp_server.actions.sources import ActionError, Sources
from lsp_server.actions.syntax import error_count
from lsp_server.actions.textedit import FileEdit, line_changes
from lsp_server.actions.unidiff import PatchError, apply_patch, parse_diff
from lsp_server.context.languages import language_for_path
from lsp_server.context.secrets import is_secret_path, redact
from lsp_server.model.backend import GenerationResult
from lsp_server.progress import Progress
from lsp_server.prompting import chat


@dataclass(frozen=True)
class DiffCheck:
    """The edits of a diff that validated, or the problems that reject it (then ``edits`` is empty)."""

    edits: tuple[FileEdit, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return bool(self.edits) and not self.problems


def check_diff(answer: str, sources: Sources) -> DiffCheck:
    """Parse the diffs in ``answer`` and check every hunk applies and every result parses; all or nothing."""
    try:
        patches = parse_diff(answer)
    except PatchError as exc:
        return DiffCheck((), (str(exc),))
    if not patches:
        return DiffCheck((), ("the answer contains no unified diff (--- a/PATH, +++ b/PATH, @@ hunks)",))
    edits: list[FileEdit] = []
    problems: list[str] = []
    seen: set[str] = set()
    for patch in patches:
        name = patch.path
        if patch.new_path is None:
            problems.append(f"{name}: deleting files is not supported")
            continue
        try:
            path = sources.resolve(name)
        except ActionError as exc:
            problems.append(str(exc))
            continue
        if is_secret_path(path):
            problems.append(f"{name}: secret files are never edited")
            continue
        if str(path) in seen:
            problems.append(f"{name}: more than one diff for the same file")
            continue
        seen.add(str(path))
        current = sources.get_path(path) if patch.old_path is not None else None
        if patch.old_path is not None and current is None:
            problems.append(f"{name} does not exist in the workspace")
            continue
        if patch.old_path is None and path.exists():
            problems.append(f"{name} already exists; a diff from /dev/null would overwrite it")
            continue
        old = current.text if current is not None else ""
        try:
            new = apply_patch(old, patch, name)
        except PatchError as exc:
            problems.append(str(exc))
            continue
        language = language_for_path(path)
        if language is not None:
            added = error_count(new, language) - error_count(old, language)
            if added > 0:
                problems.append(
                    f"{name}: the patched file does not parse ({added} new syntax error{'s' if added > 1 else ''})"
                )
                continue
        if new == old:
            continue
        uri = current.uri if current is not None else path.as_uri()
        edits.append(
            FileEdit(
                uri, path, old, line_changes(old, new), current.version if current else None, create=current is None
            )
        )
    if problems:
        return DiffCheck((), tuple(problems))
    if not edits:
        return DiffCheck((), ("the diff changes nothing",))
    return DiffCheck(tuple(edits), ())


class DiffProposer:
    """Multi-file edits from unified diffs (the model's or the user's), offered only when they validate."""

    def __init__(self, ctx: ActionContext) -> None:
        self._ctx = ctx

    async def propose(self, goal: str, focus: Sequence[str], diff: str | None, report: Progress) -> Proposal:
        """Validated unified diffs as one edit needing confirmation, or a message saying why there is none.

        With ``diff`` (from the user or another tool) the model is not asked; otherwise it is asked
        for diffs against the focus files and, when they do not validate, asked once more.
        """
        if diff is not None:
            return await self._proposal_from_check(
                check_diff(diff, self._ctx.sources), diff, diff, "edit from a diff", 0
            )
        if not goal.strip() or not focus:
            raise ActionError("iquest.proposeEdit needs a goal and the files to change (or a diff)")
        files = self._ctx.sources.files
        shown: list[tuple[str, str]] = []
        for name in focus:
            path = self._ctx.sources.resolve(name)
            if is_secret_path(path):
                raise ActionError(f"{name} looks like a secrets file; it is never sent to the model")
            current = self._ctx.sources.get_path(path)
            if current is None:
                raise ActionError(f"{name} does not exist")
            shown.append((files.relative(path) if files is not None else path.name, redact(current.text)))
        settings = self._ctx.settings()
        count, n_ctx = await self._ctx.budget()
        if sum(count(text) for _, text in shown) > n_ctx - settings.action_max_tokens - PROMPT_OVERHEAD_TOKENS:
            raise ActionError(f"the focus files do not fit the model's context window ({n_ctx} tokens); name fewer")

        def check(result: GenerationResult) -> tuple[DiffCheck, str | None]:
            found = check_diff(result.text, self._ctx.sources)
            return found, None if found.ok else "; ".join(found.problems)

        async def vet(found: DiffCheck) -> str | None:
            uri = found.edits[0].uri if found.edits else ""
            return await self._ctx.security_feedback(found.edits, uri)

        answer = await retry_with_feedback(
            self._ctx.generate,
            chat.diff_messages(redact(goal), shown),
            settings.action_max_tokens,
            report,
            "Proposing an edit",
            check,
            vet=vet,
        )
        return await self._proposal_from_check(
            answer.value, answer.result.prompt, answer.result.text, goal, answer.rounds
        )

    async def _proposal_from_check(
        self, check: DiffCheck, prompt: str, output: str, title: str, rounds: int
    ) -> Proposal:
        roots = self._ctx.sources.roots
        uri = roots[0].as_uri() if roots else ""
        if not check.ok:
            message = "The proposed diff was rejected and nothing was applied: " + "; ".join(check.problems)
            proposal = Proposal(uuid.uuid4().hex, "propose_edit", title[:80], (), message=message, rounds=rounds)
            self._ctx.audit.record(
                "edit_rejected",
                uri=uri,
                model=self._ctx.model_name(),
                prompt=prompt,
                output=output,
                id=proposal.id,
                action="propose_edit",
                problems=list(check.problems),
            )
            return proposal
        files = ", ".join(edit.uri.rsplit("/", 1)[-1] for edit in check.edits)
        proposal = Proposal(
            uuid.uuid4().hex,
            "propose_edit",
            title[:80],
            check.edits,
            needs_confirmation=True,
            message=f"Proposed changes to {files}; review them before applying.",
            rounds=rounds,
        )
        proposal = await self._ctx.scanned(proposal)
        self._ctx.audit_proposal(proposal, prompt, output, uri)
        return proposal
