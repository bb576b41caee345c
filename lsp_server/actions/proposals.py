"""Check a model's unified diffs against the current workspace before anything is offered."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from lsp_server.actions.model_calls import PROMPT_OVERHEAD_TOKENS, ModelCalls
from lsp_server.actions.results import Proposal, Report
from lsp_server.actions.sources import ActionError, Sources
from lsp_server.actions.syntax import error_count
from lsp_server.actions.textedit import FileEdit, line_changes
from lsp_server.actions.unidiff import PatchError, apply_patch, parse_diff
from lsp_server.context.languages import language_for_path
from lsp_server.context.secrets import is_secret_path, redact
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

    def __init__(self, calls: ModelCalls) -> None:
        self._calls = calls

    async def propose(self, goal: str, focus: Sequence[str], diff: str | None, report: Report) -> Proposal:
        """Validated unified diffs as one edit needing confirmation, or a message saying why there is none.

        With ``diff`` (from the user or another tool) the model is not asked; otherwise it is asked
        for diffs against the focus files and, when they do not validate, asked once more.
        """
        if diff is not None:
            check = check_diff(diff, self._calls.sources)
            return self._proposal_from_check(check, diff, diff, "edit from a diff", rounds=0)
        if not goal.strip() or not focus:
            raise ActionError("iquest.proposeEdit needs a goal and the files to change (or a diff)")
        files = self._calls.sources.files
        shown: list[tuple[str, str]] = []
        for name in focus:
            path = self._calls.sources.resolve(name)
            if is_secret_path(path):
                raise ActionError(f"{name} looks like a secrets file; it is never sent to the model")
            current = self._calls.sources.get_path(path)
            if current is None:
                raise ActionError(f"{name} does not exist")
            shown.append((files.relative(path) if files is not None else path.name, redact(current.text)))
        settings = self._calls.settings()
        count, n_ctx = await self._calls.budget()
        if sum(count(text) for _, text in shown) > n_ctx - settings.action_max_tokens - PROMPT_OVERHEAD_TOKENS:
            raise ActionError(f"the focus files do not fit the model's context window ({n_ctx} tokens); name fewer")
        messages = chat.diff_messages(redact(goal), shown)
        result = await self._calls.generate(messages, settings.action_max_tokens, report, "Proposing an edit")
        check = check_diff(result.text, self._calls.sources)
        rounds = 1
        if not check.ok:
            messages = chat.retry_messages(messages, result.text, "; ".join(check.problems))
            result = await self._calls.generate(
                messages, settings.action_max_tokens, report, "Proposing an edit (retry)"
            )
            check = check_diff(result.text, self._calls.sources)
            rounds = 2
        return self._proposal_from_check(check, result.prompt, result.text, goal, rounds=rounds)

    def _proposal_from_check(self, check, prompt: str, output: str, title: str, rounds: int) -> Proposal:
        roots = self._calls.sources.roots
        uri = roots[0].as_uri() if roots else ""
        if not check.ok:
            message = "The proposed diff was rejected and nothing was applied: " + "; ".join(check.problems)
            proposal = Proposal(uuid.uuid4().hex, "propose_edit", title[:80], (), message=message, rounds=rounds)
            self._calls.audit.record(
                "edit_rejected",
                uri=uri,
                model=self._calls.model_name(),
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
        self._calls.audit_proposal(proposal, prompt, output, uri)
        return proposal
