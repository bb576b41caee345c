"""Fix, test in a temporary copy, feed the failure back: bounded rounds, the edit offered with its result."""

from __future__ import annotations

import logging
import uuid

from lsp_server.actions.action_context import ActionContext
from lsp_server.actions.region_rewrite import fix_region, rewrite_region
from lsp_server.actions.regions import whole_lines
from lsp_server.actions.results import ActionFailed, Position, Proposal
from lsp_server.actions.sources import ActionError
from lsp_server.actions.textedit import FileEdit, line_changes
from lsp_server.actions.verify import TestRun, run_tests
from lsp_server.context.secrets import redact
from lsp_server.progress import Progress
from lsp_server.prompting import chat

log = logging.getLogger(__name__)


class FixVerifier:
    """Runs the project's test command on proposed fixes (opt-in: iquest.selfVerify and iquest.testCommand)."""

    def __init__(self, ctx: ActionContext) -> None:
        self._ctx = ctx

    async def run(self, uri: str, start: Position, end: Position, problem: str, report: Progress) -> Proposal:
        """Propose a fix, run the test command on it in a temporary copy, feed failures back; bounded rounds."""
        settings = self._ctx.settings()
        if not settings.self_verify or not settings.test_command.strip():
            raise ActionError("self-verification is off: set iquest.selfVerify to true and iquest.testCommand")
        source, begin, finish = self._ctx.source({"uri": uri, "start": start, "end": end})
        if source.path is None:
            raise ActionError(f"{uri} is not a file in the workspace")
        root = next((r for r in self._ctx.sources.roots if source.path.is_relative_to(r)), None)
        if root is None:
            raise ActionError(f"{uri} is outside the workspace")
        region = whole_lines(source.text, begin, finish) if finish > begin else fix_region(source, begin)
        language, path = source.language or "text", self._ctx.rel(source)
        problem = problem.strip() or "the tests fail"
        feedback = None
        prompts: list[str] = []
        outputs: list[str] = []
        run: TestRun | None = None
        edit: FileEdit | None = None
        rounds = 0
        for rounds in range(1, settings.verify_rounds + 1):
            new, messages, result = await rewrite_region(
                self._ctx,
                source,
                *region,
                lambda code, context: chat.fix_messages(language, path, code, problem, context),
                report,
                f"Fixing (round {rounds})",
                feedback,
            )
            prompts.append(result.prompt)
            outputs.append(result.text)
            edit = FileEdit(source.uri, source.path, source.text, line_changes(source.text, new), source.version)
            report(f"Running `{settings.test_command}` (round {rounds})", 90)
            try:
                run = await run_tests(
                    root,
                    [edit],
                    settings.test_command,
                    timeout_s=settings.verify_timeout_ms / 1000,
                    memory_mb=settings.verify_memory_mb,
                )
            except OSError as exc:
                raise ActionFailed(f"could not run the test command in a copy of the workspace: {exc}") from exc
            log.info("verify round %d: exit %s in %.1f s", rounds, run.exit_code, run.seconds)
            if run.passed:
                break
            feedback = (
                messages,
                result.text,
                f"the test command `{settings.test_command}` failed:\n{redact(run.output[-2000:])}",
            )
        assert run is not None and edit is not None
        verdict = "passed" if run.passed else ("timed out" if run.timed_out else f"failed (exit {run.exit_code})")
        proposal = Proposal(
            uuid.uuid4().hex,
            "fix_and_verify",
            f"Fix (tests {verdict})",
            (edit,),
            message=(
                f"`{settings.test_command}` {verdict} with this edit after {rounds} round{'s' if rounds > 1 else ''}"
                f" ({run.sandbox})."
            ),
            tests=run,
            rounds=rounds,
        )
        return await self._ctx.finish(
            proposal, "\n".join(prompts), "\n".join(outputs), uri, {"start": start, "end": end}
        )
