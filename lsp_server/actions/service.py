"""The code action service: offers actions without the model, resolves them with it; no pygls."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lsp_server.actions.docstring import can_document, doc_change, has_doc
from lsp_server.actions.model_calls import ModelCalls
from lsp_server.actions.proposals import DiffProposer
from lsp_server.actions.refactor import RefactorPlanner, Summaries
from lsp_server.actions.regions import lines_around, trim_to_parse, whole_lines
from lsp_server.actions.results import ActionFailed, Markdown, Offer, Position, Problem, Proposal, Report
from lsp_server.actions.sources import ActionError, Source, Sources
from lsp_server.actions.syntax import Definition, enclosing_definition, enclosing_definitions, error_count
from lsp_server.actions.testfile import target_for
from lsp_server.actions.textedit import FileEdit, TextChange, apply_changes, line_changes
from lsp_server.actions.verify_loop import FixVerifier
from lsp_server.audit import AuditLog
from lsp_server.context.secrets import is_secret_path, redact
from lsp_server.context.workspace import ContextProvider
from lsp_server.model.runtime import ModelRuntime
from lsp_server.prompting import chat
from lsp_server.settings import Settings

log = logging.getLogger(__name__)

_LINES_AROUND_CURSOR = 20
SIMPLIFY = "make it simpler and easier to read without changing what it does"


def _data(action: str, source: Source, start: Position, end: Position, **extra: Any) -> dict[str, Any]:
    return {
        "action": action,
        "uri": source.uri,
        "start": list(start),
        "end": list(end),
        "version": source.version,
        **extra,
    }


class ActionService(ModelCalls):
    """The menu, single-file actions and explanations; refactor plans, diff proposals and verify loop by delegation."""

    def __init__(
        self,
        runtime: ModelRuntime,
        settings: Callable[[], Settings],
        audit: AuditLog,
        sources: Sources,
        context: ContextProvider | None = None,
        summaries: Summaries = dict,
    ) -> None:
        super().__init__(runtime, settings, audit, sources, context)
        self._planner = RefactorPlanner(self, summaries)
        self._proposer = DiffProposer(self)
        self._verifier = FixVerifier(self)

    async def refactor_plan(self, goal: str, focus: Sequence[str], report: Report) -> Markdown:
        """A markdown plan with Impact Analysis, Migration Steps and Risk Assessment for ``goal``."""
        return await self._planner.plan(goal, focus, report)

    async def propose_edit(self, goal: str, focus: Sequence[str], diff: str | None, report: Report) -> Proposal:
        """Validated unified diffs as one edit needing confirmation, or a message saying why there is none."""
        return await self._proposer.propose(goal, focus, diff, report)

    async def fix_and_verify(self, uri: str, start: Position, end: Position, problem: str, report: Report) -> Proposal:
        """A fix offered with the result of the project's tests on it (in a temporary copy)."""
        return await self._verifier.run(uri, start, end, problem, report)

    def list_actions(self, uri: str, start: Position, end: Position, problems: Sequence[Problem] = ()) -> list[Offer]:
        """The actions for a range; cheap (tree-sitter only), never runs the model."""
        source = self.sources.get(uri)
        if source.path is not None and is_secret_path(source.path):
            return []
        begin, finish = self.offsets(source, start, end)
        language = source.language
        offers: list[Offer] = []
        definition, function = enclosing_definitions(source.text, language, begin) if language else (None, None)
        if (
            language is not None
            and definition is not None
            and can_document(source.text, language, definition)
            and not has_doc(source.text, language, definition)
        ):
            what = f"{definition.kind} {definition.name}".strip()
            offers.append(Offer(f"Add doc comment to {what} (AI)", "docstring", _data("docstring", source, start, end)))
        for index, problem in enumerate(problems):
            offers.append(
                Offer(
                    f"Fix with AI: {problem.message.splitlines()[0][:80] if problem.message else 'problem'}",
                    "fix",
                    _data("fix", source, problem.start, problem.end, problem=problem.message),
                    problem_index=index,
                )
            )
        if finish > begin:
            # A ready instruction works in every client; the free-form one needs a client that asks for it.
            offers.append(
                Offer("Simplify selection (AI)", "rewrite", _data("rewrite", source, start, end, instruction=SIMPLIFY))
            )
            offers.append(
                Offer(
                    "Rewrite selection… (AI)",
                    "rewrite",
                    _data("rewrite", source, start, end),
                    command="iquest.rewriteSelection",
                )
            )
        if (
            function is not None
            and function.name
            and source.path is not None
            and self._test_target(source, function) is not None
        ):
            offers.append(
                Offer(f"Generate unit tests for {function.name} (AI)", "tests", _data("tests", source, start, end))
            )
        if finish > begin or definition is not None:
            offers.append(
                Offer("Explain (AI)", "explain", _data("explain", source, start, end), command="iquest.explain")
            )
        return offers

    def _test_target(self, source: Source, function: Definition):
        assert source.path is not None
        root = next((root for root in self.sources.roots if source.path.is_relative_to(root)), None)
        if root is None:
            return None
        return target_for(root, source.path, source.language or "", function.name)

    async def resolve(self, data: Mapping[str, Any], report: Report) -> Proposal:
        """Compute the edit of an offered action."""
        action = data.get("action") if isinstance(data, Mapping) else None
        if action == "docstring":
            return await self._docstring(data, report)
        if action == "fix":
            source, begin, _ = self.source(data)
            problem = str(data.get("problem") or "the code has a problem")
            return await self._fix(source, begin, problem, report, data)
        if action == "tests":
            return await self._tests(data, report)
        if action == "rewrite":
            return await self.rewrite(
                str(data.get("uri", "")),
                tuple(data.get("start", ())),
                tuple(data.get("end", ())),
                str(data.get("instruction") or ""),
                report,
            )
        raise ActionError(f"unknown action {action!r}")

    async def _docstring(self, data: Mapping[str, Any], report: Report) -> Proposal:
        source, begin, _ = self.source(data)
        language = source.language
        definition = enclosing_definition(source.text, language, begin) if language else None
        if language is None or definition is None or not can_document(source.text, language, definition):
            raise ActionError("there is no function or class to document at this position")
        settings = self.settings()
        max_tokens = min(settings.action_max_tokens, 160)
        region = whole_lines(source.text, definition.start, definition.end)
        code, context = await self.prompt_parts(source, source.text[region[0] : region[1]], region[0], max_tokens)
        messages = chat.docstring_messages(language, self.rel(source), code, definition.kind, context)
        result = await self.generate(messages, max_tokens, report, "Writing the doc comment")
        doc = chat.clean_doc_text(result.text)
        if not doc:
            raise ActionFailed("the model wrote no documentation; try again or use a larger model")
        change = doc_change(source.text, language, definition, doc)
        new = apply_changes(source.text, [change])
        if error_count(new, language) > error_count(source.text, language):
            raise ActionFailed("the doc comment would break the syntax; nothing was changed")
        proposal = Proposal(
            uuid.uuid4().hex,
            "docstring",
            f"Add doc comment to {definition.name}",
            (FileEdit(source.uri, source.path, source.text, (change,), source.version),),
        )
        self.finish(proposal, result.prompt, result.text, source.uri, data)
        return proposal

    async def _fix(
        self, source: Source, offset: int, problem: str, report: Report, data: Mapping[str, Any]
    ) -> Proposal:
        start, end = self.fix_region(source, offset)
        line = source.text[source.text.rfind("\n", 0, offset) + 1 :].split("\n", 1)[0].strip()
        described = f"{problem} (reported at the line `{line}`)" if line else problem
        language, path = source.language or "text", self.rel(source)
        new, _, result = await self.region_candidate(
            source,
            start,
            end,
            lambda code, context: chat.fix_messages(language, path, code, described, context),
            report,
            "Fixing",
        )
        proposal = Proposal(
            uuid.uuid4().hex,
            "fix",
            f"Fix: {problem.splitlines()[0][:80] if problem else ''}",
            (FileEdit(source.uri, source.path, source.text, line_changes(source.text, new), source.version),),
        )
        self.finish(proposal, result.prompt, result.text, source.uri, data)
        return proposal

    async def rewrite(self, uri: str, start: Position, end: Position, instruction: str, report: Report) -> Proposal:
        """Rewrite the selected lines following ``instruction``."""
        if not instruction.strip():
            raise ActionError("iquest.rewriteSelection needs an instruction (the client asks the user for one)")
        source, begin, finish = self.source({"uri": uri, "start": start, "end": end})
        if finish <= begin:
            raise ActionError("select the code to rewrite first")
        region = whole_lines(source.text, begin, finish)
        language, path = source.language or "text", self.rel(source)
        new, _, result = await self.region_candidate(
            source,
            *region,
            lambda code, context: chat.rewrite_messages(language, path, code, instruction, context),
            report,
            "Rewriting",
        )
        proposal = Proposal(
            uuid.uuid4().hex,
            "rewrite",
            f"Rewrite: {instruction[:80]}",
            (FileEdit(source.uri, source.path, source.text, line_changes(source.text, new), source.version),),
        )
        self.finish(proposal, result.prompt, result.text, uri, {"start": start, "end": end})
        return proposal

    async def _tests(self, data: Mapping[str, Any], report: Report) -> Proposal:
        source, begin, _ = self.source(data)
        language = source.language
        function = enclosing_definition(source.text, language, begin, functions_only=True) if language else None
        target = self._test_target(source, function) if function is not None and source.path is not None else None
        if language is None or function is None or target is None:
            raise ActionError("there is no function to test at this position (or no test layout for this language)")
        existing = self.sources.get_path(target.path)
        files = self.sources.files
        test_rel = (
            files.relative(target.path) if files is not None and files.contains(target.path) else target.path.name
        )
        settings = self.settings()
        region = whole_lines(source.text, function.start, function.end)
        code, context = await self.prompt_parts(
            source, source.text[region[0] : region[1]], region[0], settings.action_max_tokens
        )
        head = redact("\n".join(existing.text.splitlines()[:30])) if existing is not None else ""
        messages = chat.tests_messages(
            language, self.rel(source), code, function.name, target.import_line, test_rel, head, context
        )
        problem = answer = ""
        for attempt in range(2):
            if attempt:
                messages = chat.retry_messages(messages, answer, problem)
            result = await self.generate(
                messages,
                settings.action_max_tokens,
                report,
                "Writing tests" if not attempt else "Writing tests (retry)",
            )
            answer = result.text
            tests = chat.extract_code(answer)
            if not tests or not tests.strip():
                problem = "it contained no code block"
                continue
            if result.stop_reason in ("max_tokens", "deadline"):
                tests = trim_to_parse(tests, language)  # cut off mid-test: keep the complete ones
            tests = tests.strip("\n") + "\n"
            old = existing.text if existing is not None else ""
            joiner = "" if not old else ("\n\n" if old.endswith("\n") else "\n\n\n")
            new = old + joiner + tests
            if error_count(new, language) > error_count(old, language):
                problem = "the test code does not parse"
                continue
            edit = FileEdit(
                existing.uri if existing is not None else target.path.as_uri(),
                target.path,
                old,
                (TextChange(len(old), len(old), joiner + tests),),
                existing.version if existing is not None else None,
                create=existing is None,
            )
            proposal = Proposal(uuid.uuid4().hex, "tests", f"Generate tests for {function.name} in {test_rel}", (edit,))
            self.finish(proposal, result.prompt, result.text, source.uri, data)
            return proposal
        raise ActionFailed(f"the model's tests were rejected twice (last: {problem}); nothing was changed")

    async def explain(self, uri: str, start: Position, end: Position, report: Report) -> Markdown:
        """A markdown explanation of the selection, the enclosing definition or the lines around the cursor."""
        source, begin, finish = self.source({"uri": uri, "start": start, "end": end})
        language = source.language
        if finish > begin:
            region = (begin, finish)
        else:
            definition = enclosing_definition(source.text, language, begin) if language else None
            region = (
                whole_lines(source.text, definition.start, definition.end)
                if definition
                else lines_around(source.text, begin, _LINES_AROUND_CURSOR, _LINES_AROUND_CURSOR)
            )
        settings = self.settings()
        code, context = await self.prompt_parts(
            source, source.text[region[0] : region[1]], region[0], settings.action_max_tokens
        )
        path = self.rel(source)
        result = await self.generate(
            chat.explain_messages(language or "text", path, code, context),
            settings.action_max_tokens,
            report,
            "Explaining",
        )
        if not result.text.strip():
            raise ActionFailed("the model gave no explanation")
        first_line = source.text.count("\n", 0, region[0]) + 1
        document = Markdown(
            uuid.uuid4().hex, f"Explanation of {path}:{first_line}", f"# {path}:{first_line}\n\n{result.text.strip()}\n"
        )
        self.audit.record(
            "explanation_shown",
            uri=uri,
            model=self.model_name(),
            prompt=result.prompt,
            output=result.text,
            id=document.id,
            action="explain",
            range={"start": list(start), "end": list(end)},
        )
        return document

    def accepted(self, details: Mapping[str, Any]) -> None:
        """Record that the user applied a proposal (the client tells us through iquest.accepted)."""
        self.audit.record(
            "accepted",
            uri=str(details.get("uri", "")),
            model=self.model_name(),
            prompt=None,
            output=None,
            id=details.get("id"),
            action=details.get("action"),
        )
