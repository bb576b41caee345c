"""Generate unit tests: tests for the enclosing function in the test file the language's layout expects."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from lsp_server.actions.menu.base import MenuAction, MenuSpot
from lsp_server.actions.regions import trim_to_parse, whole_lines
from lsp_server.actions.results import ActionFailed, Offer, Proposal
from lsp_server.actions.retry import retry_with_feedback
from lsp_server.actions.sources import ActionError, Source
from lsp_server.actions.syntax import EnclosingDefinition, enclosing_definition, error_count
from lsp_server.actions.testfile import TargetFile, target_for
from lsp_server.actions.textedit import FileEdit, TextChange
from lsp_server.context.secrets import redact
from lsp_server.model.backend import GenerationResult, StopReason
from lsp_server.progress import Progress
from lsp_server.prompting import chat


class UnitTestsAction(MenuAction):
    """Offered in a named function with a test layout; a new test file, or tests appended to the existing one."""

    name = "tests"
    kind = "refactor.iquest.tests"

    def offers(self, spot: MenuSpot) -> list[Offer]:
        """One offer when the enclosing function has a name and a test file to go to."""
        function, source = spot.function, spot.source
        if function is None or not function.name or source.path is None or self._target(source, function) is None:
            return []
        return [self.offer(spot, f"Generate unit tests for {function.name} (AI)")]

    def _target(self, source: Source, function: EnclosingDefinition) -> TargetFile | None:
        assert source.path is not None
        root = next((root for root in self.ctx.sources.roots if source.path.is_relative_to(root)), None)
        if root is None:
            return None
        return target_for(root, source.path, source.language or "", function.name)

    async def resolve(self, data: Mapping[str, Any], report: Progress) -> Proposal:
        """The tests as a new file or appended; code that does not parse goes back to the model once."""
        ctx = self.ctx
        source, begin, _ = ctx.source(data)
        language = source.language
        function = enclosing_definition(source.text, language, begin, functions_only=True) if language else None
        target = self._target(source, function) if function is not None and source.path is not None else None
        if language is None or function is None or target is None:
            raise ActionError("there is no function to test at this position (or no test layout for this language)")
        existing = ctx.sources.get_path(target.path)
        files = ctx.sources.files
        test_rel = (
            files.relative(target.path) if files is not None and files.contains(target.path) else target.path.name
        )
        settings = ctx.settings()
        region = whole_lines(source.text, function.start, function.end)
        code, context = await ctx.prompt_parts(
            source, source.text[region[0] : region[1]], region[0], settings.action_max_tokens
        )
        head = redact("\n".join(existing.text.splitlines()[:30])) if existing is not None else ""
        messages = chat.tests_messages(
            language, ctx.rel(source), code, function.name, target.import_line, test_rel, head, context
        )
        old = existing.text if existing is not None else ""
        joiner = "" if not old else ("\n\n" if old.endswith("\n") else "\n\n\n")

        def check(result: GenerationResult) -> tuple[str, str | None]:
            tests = chat.extract_code(result.text)
            if not tests or not tests.strip():
                return "", "it contained no code block"
            if result.stop_reason in (StopReason.MAX_TOKENS, StopReason.DEADLINE):
                tests = trim_to_parse(tests, language)  # cut off mid-test: keep the complete ones
            tests = tests.strip("\n") + "\n"
            if error_count(old + joiner + tests, language) > error_count(old, language):
                return "", "the test code does not parse"
            return tests, None

        answer = await retry_with_feedback(
            ctx.generate, messages, settings.action_max_tokens, report, "Writing tests", check
        )
        if answer.problem is not None:
            raise ActionFailed(f"the model's tests were rejected twice (last: {answer.problem}); nothing was changed")
        edit = FileEdit(
            existing.uri if existing is not None else target.path.as_uri(),
            target.path,
            old,
            (TextChange(len(old), len(old), joiner + answer.value),),
            existing.version if existing is not None else None,
            create=existing is None,
        )
        proposal = Proposal(uuid.uuid4().hex, self.name, f"Generate tests for {function.name} in {test_rel}", (edit,))
        return await ctx.finish(proposal, answer.result.prompt, answer.result.text, source.uri, data)
