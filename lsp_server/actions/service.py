"""The code action service: offers actions without the model, resolves them with it; no pygls."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from lsp_server.actions import refactor
from lsp_server.actions.docstring import can_document, doc_change, has_doc
from lsp_server.actions.proposals import check_diff
from lsp_server.actions.sources import ActionError, Source, Sources
from lsp_server.actions.syntax import Definition, enclosing_definition, error_count
from lsp_server.actions.testfile import target_for
from lsp_server.actions.textedit import FileEdit, TextChange, apply_changes, line_changes, offset_at
from lsp_server.actions.verify import TestRun, run_tests
from lsp_server.audit import AuditLog
from lsp_server.completion.layout import ContextProvider
from lsp_server.context.secrets import is_secret_path, redact
from lsp_server.context.summaries import FileSummary
from lsp_server.model.backend import ChatRequest, GenerationResult
from lsp_server.model.runtime import ModelRuntime
from lsp_server.prompting import chat
from lsp_server.settings import Settings

log = logging.getLogger(__name__)

Report = Callable[[str, int], None]
Position = tuple[int, int]
# Workspace summaries for the refactor seed (empty when the index is off).
Summaries = Callable[[], Mapping[str, FileSummary]]

_PROMPT_OVERHEAD_TOKENS = 256
_LINES_AROUND_PROBLEM = 3
_LINES_AROUND_CURSOR = 20
_REPORT_EVERY_S = 0.25


class ActionFailed(Exception):
    """The model gave nothing usable; the message says what went wrong (nothing is applied)."""


@dataclass(frozen=True)
class Problem:
    """A diagnostic from the request's context."""

    message: str
    start: Position
    end: Position


@dataclass(frozen=True)
class Offer:
    """An action for the menu: resolved later (``command`` None) or run as a command with ``data``."""

    title: str
    action: str  # docstring, fix, rewrite, tests, explain
    data: dict[str, Any]
    command: str | None = None
    problem_index: int | None = None


@dataclass(frozen=True)
class Proposal:
    """An edit for the user to apply (or a message saying why there is none)."""

    id: str
    action: str
    title: str
    edits: tuple[FileEdit, ...]
    needs_confirmation: bool = False
    message: str = ""
    tests: TestRun | None = None
    rounds: int = 0


@dataclass(frozen=True)
class Markdown:
    """A document for the user to read: an explanation or a refactor plan."""

    id: str
    title: str
    markdown: str
    sections: dict[str, bool] = field(default_factory=dict)  # plan section -> came from the model


def _estimate_tokens(text: str) -> int:
    return len(text) // 3 + 1


def _whole_lines(text: str, start: int, end: int) -> tuple[int, int]:
    """Extend [start, end) to whole lines (a selection ending at a line start keeps that line out)."""
    line_start = text.rfind("\n", 0, start) + 1
    if end > start and text[end - 1 : end] == "\n":
        return line_start, end
    newline = text.find("\n", end)
    return line_start, len(text) if newline < 0 else newline + 1


def _lines_around(text: str, offset: int, before: int, after: int) -> tuple[int, int]:
    """Whole lines from ``before`` lines above the offset's line to ``after`` lines below it."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    row = text.count("\n", 0, offset)
    first, last = max(0, row - before), min(len(starts) - 1, row + after + 1)
    return starts[first], starts[last]


def _indent_of(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line[: len(line) - len(line.lstrip(" \t"))]
    return ""


def reindent(original: str, code: str) -> str:
    """``code`` moved to the indentation of ``original`` (models often dedent a snippet), ending like it."""
    want, have = _indent_of(original), _indent_of(code)
    if want != have:
        lines = []
        for line in code.splitlines():
            if line.strip():
                line = want + (line[len(have) :] if line.startswith(have) else line.lstrip(" \t"))
            lines.append(line)
        code = "\n".join(lines)
    code = code.rstrip("\n")
    return code + "\n" if original.endswith("\n") else code


def _trim_to_parse(code: str, language: str, max_drop: int = 40) -> str:
    """``code`` without its last lines until it parses (an answer cut off by the token limit)."""
    lines = code.rstrip("\n").split("\n")
    for _ in range(min(max_drop, len(lines))):
        # tree-sitter accepts an empty block at the end of the text, so an opener there counts as cut off too.
        if not lines[-1].rstrip().endswith((":", "{", "(", "[", ",", "\\")) and error_count("\n".join(lines) + "\n", language) == 0:
            break
        lines.pop()
    return "\n".join(lines)


def _data(action: str, source: Source, start: Position, end: Position, **extra: Any) -> dict[str, Any]:
    return {"action": action, "uri": source.uri, "start": list(start), "end": list(end), "version": source.version, **extra}


class ActionService:
    """LLM code actions, refactor plans, diff proposals and the verify loop."""

    def __init__(
        self,
        runtime: ModelRuntime,
        settings: Callable[[], Settings],
        audit: AuditLog,
        sources: Sources,
        context: ContextProvider | None = None,
        summaries: Summaries = dict,
    ) -> None:
        self._runtime = runtime
        self._settings = settings
        self._audit = audit
        self._sources = sources
        self._context = context
        self._summaries = summaries

    # -- the menu (no model) --------------------------------------------------------------------

    def list_actions(self, uri: str, start: Position, end: Position, problems: Sequence[Problem] = ()) -> list[Offer]:
        """The actions for a range; cheap (tree-sitter only), never runs the model."""
        source = self._sources.get(uri)
        if source.path is not None and is_secret_path(source.path):
            return []
        begin, finish = self._offsets(source, start, end)
        language = source.language
        offers: list[Offer] = []
        definition = enclosing_definition(source.text, language, begin) if language else None
        if definition is not None and can_document(source.text, language, definition) and not has_doc(source.text, language, definition):
            what = f"{definition.kind} {definition.name}".strip()
            offers.append(Offer(f"Add doc comment to {what} (AI)", "docstring", _data("docstring", source, start, end)))
        for index, problem in enumerate(problems):
            offers.append(Offer(
                f"Fix with AI: {problem.message.splitlines()[0][:80] if problem.message else 'problem'}",
                "fix",
                _data("fix", source, problem.start, problem.end, problem=problem.message),
                problem_index=index,
            ))
        if finish > begin:
            offers.append(Offer("Rewrite selection… (AI)", "rewrite", _data("rewrite", source, start, end), command="iquest.rewriteSelection"))
        function = enclosing_definition(source.text, language, begin, functions_only=True) if language else None
        if function is not None and function.name and source.path is not None and self._test_target(source, function) is not None:
            offers.append(Offer(f"Generate unit tests for {function.name} (AI)", "tests", _data("tests", source, start, end)))
        if finish > begin or definition is not None:
            offers.append(Offer("Explain (AI)", "explain", _data("explain", source, start, end), command="iquest.explain"))
        return offers

    # -- shared helpers -------------------------------------------------------------------------

    def _offsets(self, source: Source, start: Position, end: Position) -> tuple[int, int]:
        try:
            begin, finish = offset_at(source.text, *start), offset_at(source.text, *end)
        except (TypeError, ValueError) as exc:
            raise ActionError(f"{source.uri}: {exc}") from exc
        if finish < begin:
            raise ActionError(f"{source.uri}: the range ends before it starts")
        return begin, finish

    def _source(self, data: Mapping[str, Any]) -> tuple[Source, int, int]:
        try:
            uri, start, end = str(data["uri"]), tuple(data["start"]), tuple(data["end"])
        except (KeyError, TypeError) as exc:
            raise ActionError(f"missing or malformed action data: {exc}") from exc
        source = self._sources.get(uri)
        if source.path is not None and is_secret_path(source.path):
            raise ActionError(f"{uri} looks like a secrets file; no AI actions there")
        begin, finish = self._offsets(source, start, end)  # type: ignore[arg-type]
        return source, begin, finish

    def _test_target(self, source: Source, function: Definition):
        assert source.path is not None
        root = next((root for root in self._sources.roots if source.path.is_relative_to(root)), None)
        if root is None:
            return None
        return target_for(root, source.path, source.language or "", function.name)

    def _rel(self, source: Source) -> str:
        files = self._sources.files
        if source.path is not None and files is not None and files.contains(source.path):
            return files.relative(source.path)
        return source.uri.rsplit("/", 1)[-1]

    async def _budget(self) -> tuple[Callable[[str], int], int]:
        backend = await self._runtime.wait_ready()
        count = getattr(backend, "count_tokens", None) or _estimate_tokens
        return count, backend.info.context_length

    def _repo_context(self, source: Source, offset: int, budget: int) -> list[tuple[str, str]]:
        settings = self._settings()
        if self._context is None or not settings.repo_context or budget <= 0:
            return []
        found = self._context(source.uri, source.text, offset, budget)
        if found is None:
            return []
        return [(chunk.path, redact(chunk.text)) for chunk in found.chunks]

    async def _prompt_parts(self, source: Source, code: str, offset: int, max_tokens: int) -> tuple[str, list[tuple[str, str]]]:
        """Redacted code that fits the window, and repository context in the room left."""
        count, n_ctx = await self._budget()
        room = n_ctx - max_tokens - _PROMPT_OVERHEAD_TOKENS
        code = redact(code)
        if count(code) > room * 3 // 4:
            raise ActionError(f"the code is too long for the model's context window ({n_ctx} tokens); select less")
        context_budget = min(self._settings().context_tokens, room - count(code), n_ctx // 4)
        return code, self._repo_context(source, offset, context_budget)

    async def _generate(self, messages: chat.Messages, max_tokens: int, report: Report, label: str) -> GenerationResult:
        """One chat generation with streamed progress; cancelling the caller stops the model."""
        settings = self._settings()
        last = [0.0]

        def on_text(text: str) -> None:
            now = time.monotonic()
            if now - last[0] >= _REPORT_EVERY_S:
                last[0] = now
                line = text.rstrip().rsplit("\n", 1)[-1][-60:]
                report(f"{label}: {line}" if line else label, 10 + min(80, 80 * len(text) // max(1, max_tokens * 3)))

        report(label, 10)
        request = ChatRequest(
            messages=messages,
            max_tokens=max_tokens,
            deadline=time.monotonic() + settings.action_timeout_ms / 1000,
            on_text=on_text,
        )
        result = await self._runtime.chat(request)
        log.info(
            "%s: %d prompt tokens (%d evaluated), %d generated in %.0f ms, stop=%s",
            label, result.prompt_tokens, result.evaluated_tokens, result.generated_tokens, result.total_ms, result.stop_reason,
        )
        return result

    def _model_name(self) -> str:
        backend = self._runtime.backend
        return backend.info.name if backend is not None else ""

    def _audit_proposal(self, proposal: Proposal, prompt: str, output: str, uri: str, range_: Any = None) -> None:
        self._audit.record(
            "edit_proposed",
            uri=uri,
            model=self._model_name(),
            prompt=prompt,
            output=output,
            id=proposal.id,
            action=proposal.action,
            range=range_,
            files=[edit.uri for edit in proposal.edits],
            tests=None if proposal.tests is None else {"passed": proposal.tests.passed, "exit_code": proposal.tests.exit_code},
        )

    # -- resolve (the model runs here) ------------------------------------------------------------

    async def resolve(self, data: Mapping[str, Any], report: Report) -> Proposal:
        """Compute the edit of an offered action."""
        action = data.get("action") if isinstance(data, Mapping) else None
        if action == "docstring":
            return await self._docstring(data, report)
        if action == "fix":
            source, begin, _ = self._source(data)
            problem = str(data.get("problem") or "the code has a problem")
            return await self._fix(source, begin, problem, report, data)
        if action == "tests":
            return await self._tests(data, report)
        raise ActionError(f"unknown action {action!r}")

    async def _docstring(self, data: Mapping[str, Any], report: Report) -> Proposal:
        source, begin, _ = self._source(data)
        language = source.language
        definition = enclosing_definition(source.text, language, begin) if language else None
        if definition is None or not can_document(source.text, language, definition):
            raise ActionError("there is no function or class to document at this position")
        settings = self._settings()
        max_tokens = min(settings.action_max_tokens, 160)
        region = _whole_lines(source.text, definition.start, definition.end)
        code, context = await self._prompt_parts(source, source.text[region[0] : region[1]], region[0], max_tokens)
        messages = chat.docstring_messages(language, self._rel(source), code, definition.kind, context)
        result = await self._generate(messages, max_tokens, report, "Writing the doc comment")
        doc = chat.clean_doc_text(result.text)
        if not doc:
            raise ActionFailed("the model wrote no documentation; try again or use a larger model")
        change = doc_change(source.text, language, definition, doc)
        new = apply_changes(source.text, [change])
        if error_count(new, language) > error_count(source.text, language):
            raise ActionFailed("the doc comment would break the syntax; nothing was changed")
        proposal = Proposal(uuid.uuid4().hex, "docstring", f"Add doc comment to {definition.name}",
                            (FileEdit(source.uri, source.path, source.text, (change,), source.version),))
        self._finish(proposal, result.prompt, result.text, source.uri, data)
        return proposal

    def _finish(self, proposal: Proposal, prompt: str, output: str, uri: str, data: Mapping[str, Any] | None = None) -> None:
        range_ = {"start": data.get("start"), "end": data.get("end")} if data else None
        self._audit_proposal(proposal, prompt, output, uri, range_)

    async def _region_candidate(
        self, source: Source, start: int, end: int, messages_for: Callable[[str, list], chat.Messages], report: Report, label: str,
        feedback: tuple[chat.Messages, str, str] | None = None,
    ) -> tuple[str, chat.Messages, GenerationResult]:
        """New text of the whole document with [start, end) replaced by the model's code; one retry on bad syntax."""
        settings = self._settings()
        original = source.text[start:end]
        language = source.language
        code, context = await self._prompt_parts(source, original, start, settings.action_max_tokens)
        messages = messages_for(code, context) if feedback is None else chat.retry_messages(*feedback)
        problem = answer = ""
        for attempt in range(2):
            if attempt:
                messages = chat.retry_messages(messages, answer, problem)
            result = await self._generate(messages, settings.action_max_tokens, report, label if not attempt else f"{label} (retry)")
            answer = result.text
            replacement = chat.extract_code(answer)
            if replacement is None:
                problem = "it contained no code block"
                continue
            new = source.text[:start] + reindent(original, replacement) + source.text[end:]
            if language is not None:
                added = error_count(new, language) - error_count(source.text, language)
                if added > 0:
                    problem = f"the code does not parse ({added} new syntax error{'s' if added > 1 else ''})"
                    continue
            if new == source.text:
                problem = "it changed nothing"
                continue
            return new, messages, result
        raise ActionFailed(f"the model's answer was rejected twice (last: {problem}); nothing was changed")

    async def _fix(self, source: Source, offset: int, problem: str, report: Report, data: Mapping[str, Any]) -> Proposal:
        start, end = self._fix_region(source, offset)
        line = source.text[source.text.rfind("\n", 0, offset) + 1 :].split("\n", 1)[0].strip()
        described = f"{problem} (reported at the line `{line}`)" if line else problem
        language, path = source.language or "text", self._rel(source)
        new, _, result = await self._region_candidate(
            source, start, end, lambda code, context: chat.fix_messages(language, path, code, described, context), report, "Fixing",
        )
        proposal = Proposal(uuid.uuid4().hex, "fix", f"Fix: {problem.splitlines()[0][:80] if problem else ''}",
                            (FileEdit(source.uri, source.path, source.text, line_changes(source.text, new), source.version),))
        self._finish(proposal, result.prompt, result.text, source.uri, data)
        return proposal

    def _fix_region(self, source: Source, offset: int) -> tuple[int, int]:
        language = source.language
        function = enclosing_definition(source.text, language, offset, functions_only=True) if language else None
        if function is not None:
            return _whole_lines(source.text, function.start, function.end)
        return _lines_around(source.text, offset, _LINES_AROUND_PROBLEM, _LINES_AROUND_PROBLEM)

    async def rewrite(self, uri: str, start: Position, end: Position, instruction: str, report: Report) -> Proposal:
        """Rewrite the selected lines following ``instruction``."""
        if not instruction.strip():
            raise ActionError("iquest.rewriteSelection needs an instruction (the client asks the user for one)")
        source, begin, finish = self._source({"uri": uri, "start": start, "end": end})
        if finish <= begin:
            raise ActionError("select the code to rewrite first")
        region = _whole_lines(source.text, begin, finish)
        language, path = source.language or "text", self._rel(source)
        new, _, result = await self._region_candidate(
            source, *region, lambda code, context: chat.rewrite_messages(language, path, code, instruction, context), report, "Rewriting",
        )
        proposal = Proposal(uuid.uuid4().hex, "rewrite", f"Rewrite: {instruction[:80]}",
                            (FileEdit(source.uri, source.path, source.text, line_changes(source.text, new), source.version),))
        self._finish(proposal, result.prompt, result.text, uri, {"start": start, "end": end})
        return proposal

    async def _tests(self, data: Mapping[str, Any], report: Report) -> Proposal:
        source, begin, _ = self._source(data)
        language = source.language
        function = enclosing_definition(source.text, language, begin, functions_only=True) if language else None
        target = self._test_target(source, function) if function is not None and source.path is not None else None
        if function is None or target is None:
            raise ActionError("there is no function to test at this position (or no test layout for this language)")
        existing = self._sources.get_path(target.path)
        files = self._sources.files
        test_rel = files.relative(target.path) if files is not None and files.contains(target.path) else target.path.name
        settings = self._settings()
        region = _whole_lines(source.text, function.start, function.end)
        code, context = await self._prompt_parts(source, source.text[region[0] : region[1]], region[0], settings.action_max_tokens)
        head = redact("\n".join(existing.text.splitlines()[:30])) if existing is not None else ""
        messages = chat.tests_messages(language, self._rel(source), code, function.name, target.import_line, test_rel, head, context)
        problem = answer = ""
        for attempt in range(2):
            if attempt:
                messages = chat.retry_messages(messages, answer, problem)
            result = await self._generate(messages, settings.action_max_tokens, report, "Writing tests" if not attempt else "Writing tests (retry)")
            answer = result.text
            tests = chat.extract_code(answer)
            if not tests or not tests.strip():
                problem = "it contained no code block"
                continue
            if result.stop_reason in ("max_tokens", "deadline"):
                tests = _trim_to_parse(tests, language)  # cut off mid-test: keep the complete ones
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
            self._finish(proposal, result.prompt, result.text, source.uri, data)
            return proposal
        raise ActionFailed(f"the model's tests were rejected twice (last: {problem}); nothing was changed")

    # -- documents (explain, refactor plan) -----------------------------------------------------

    async def explain(self, uri: str, start: Position, end: Position, report: Report) -> Markdown:
        """A markdown explanation of the selection, the enclosing definition or the lines around the cursor."""
        source, begin, finish = self._source({"uri": uri, "start": start, "end": end})
        language = source.language
        if finish > begin:
            region = (begin, finish)
        else:
            definition = enclosing_definition(source.text, language, begin) if language else None
            region = _whole_lines(source.text, definition.start, definition.end) if definition else _lines_around(source.text, begin, _LINES_AROUND_CURSOR, _LINES_AROUND_CURSOR)
        settings = self._settings()
        code, context = await self._prompt_parts(source, source.text[region[0] : region[1]], region[0], settings.action_max_tokens)
        path = self._rel(source)
        result = await self._generate(chat.explain_messages(language or "text", path, code, context), settings.action_max_tokens, report, "Explaining")
        if not result.text.strip():
            raise ActionFailed("the model gave no explanation")
        first_line = source.text.count("\n", 0, region[0]) + 1
        document = Markdown(uuid.uuid4().hex, f"Explanation of {path}:{first_line}", f"# {path}:{first_line}\n\n{result.text.strip()}\n")
        self._audit.record("explanation_shown", uri=uri, model=self._model_name(), prompt=result.prompt, output=result.text,
                           id=document.id, action="explain", range={"start": list(start), "end": list(end)})
        return document

    async def refactor_plan(self, goal: str, focus: Sequence[str], report: Report) -> Markdown:
        """A markdown plan with Impact Analysis, Migration Steps and Risk Assessment for ``goal``."""
        if not goal.strip():
            raise ActionError("iquest.refactorPlan needs a goal")
        files = self._sources.files
        if files is None or not files.roots:
            raise ActionError("there is no workspace folder to plan for")
        paths = [self._sources.resolve(name) for name in focus]
        settings = self._settings()
        count, n_ctx = await self._budget()
        max_tokens = settings.plan_max_tokens
        budget = n_ctx - max_tokens - _PROMPT_OVERHEAD_TOKENS - count(goal)
        if budget < 200:
            raise ActionError(f"the context window ({n_ctx} tokens) leaves no room for the repository; lower iquest.planMaxTokens")
        report("Reading the repository", 5)
        seed = refactor.seed_text(files, self._summaries(), count, budget, paths)
        goal = redact(goal)
        result = await self._generate(chat.plan_messages(seed, goal), max_tokens, report, "Planning")
        prompts, outputs = [result.prompt], [result.text]
        found = chat.split_sections(result.text)
        for title in chat.PLAN_SECTIONS:
            if title in found:
                continue
            extra = await self._generate(chat.plan_messages(seed, goal, (title,)), max(64, max_tokens // 2), report, f"Planning: {title}")
            prompts.append(extra.prompt)
            outputs.append(extra.text)
            body = chat.split_sections(extra.text, (title,)).get(title) or refactor.strip_heading(extra.text)
            if body:
                found[title] = body
        markdown = refactor.render_plan(goal, found)
        document = Markdown(uuid.uuid4().hex, "Refactor plan", markdown, {title: title in found for title in chat.PLAN_SECTIONS})
        self._audit.record("refactor_plan_shown", uri=files.roots[0].as_uri(), model=self._model_name(), prompt="\n".join(prompts),
                           output=markdown, id=document.id, action="refactor_plan", focus=[str(p) for p in paths])
        return document

    # -- multi-file proposals -------------------------------------------------------------------

    async def propose_edit(self, goal: str, focus: Sequence[str], diff: str | None, report: Report) -> Proposal:
        """Validated unified diffs as one edit needing confirmation, or a message saying why there is none.

        With ``diff`` (from the user or another tool) the model is not asked; otherwise it is asked
        for diffs against the focus files and, when they do not validate, asked once more.
        """
        if diff is not None:
            check = check_diff(diff, self._sources)
            return self._proposal_from_check(check, diff, diff, "edit from a diff", rounds=0)
        if not goal.strip() or not focus:
            raise ActionError("iquest.proposeEdit needs a goal and the files to change (or a diff)")
        files = self._sources.files
        shown: list[tuple[str, str]] = []
        for name in focus:
            path = self._sources.resolve(name)
            if is_secret_path(path):
                raise ActionError(f"{name} looks like a secrets file; it is never sent to the model")
            current = self._sources.get_path(path)
            if current is None:
                raise ActionError(f"{name} does not exist")
            shown.append((files.relative(path) if files is not None else path.name, redact(current.text)))
        settings = self._settings()
        count, n_ctx = await self._budget()
        if sum(count(text) for _, text in shown) > n_ctx - settings.action_max_tokens - _PROMPT_OVERHEAD_TOKENS:
            raise ActionError(f"the focus files do not fit the model's context window ({n_ctx} tokens); name fewer")
        messages = chat.diff_messages(redact(goal), shown)
        problems = answer = ""
        for attempt in range(2):
            if attempt:
                messages = chat.retry_messages(messages, answer, problems)
            result = await self._generate(messages, settings.action_max_tokens, report, "Proposing an edit" if not attempt else "Proposing an edit (retry)")
            answer = result.text
            check = check_diff(answer, self._sources)
            problems = "; ".join(check.problems)
            if check.ok:
                break
        return self._proposal_from_check(check, result.prompt, result.text, goal, rounds=attempt + 1)

    def _proposal_from_check(self, check, prompt: str, output: str, title: str, rounds: int) -> Proposal:
        roots = self._sources.roots
        uri = roots[0].as_uri() if roots else ""
        if not check.ok:
            message = "The proposed diff was rejected and nothing was applied: " + "; ".join(check.problems)
            proposal = Proposal(uuid.uuid4().hex, "propose_edit", title[:80], (), message=message, rounds=rounds)
            self._audit.record("edit_rejected", uri=uri, model=self._model_name(), prompt=prompt, output=output,
                               id=proposal.id, action="propose_edit", problems=list(check.problems))
            return proposal
        files = ", ".join(edit.uri.rsplit("/", 1)[-1] for edit in check.edits)
        proposal = Proposal(uuid.uuid4().hex, "propose_edit", title[:80], check.edits, needs_confirmation=True,
                            message=f"Proposed changes to {files}; review them before applying.", rounds=rounds)
        self._audit_proposal(proposal, prompt, output, uri)
        return proposal

    # -- self-verification ------------------------------------------------------------------------

    async def fix_and_verify(self, uri: str, start: Position, end: Position, problem: str, report: Report) -> Proposal:
        """Propose a fix, run the test command on it in a temporary copy, feed failures back; bounded rounds."""
        settings = self._settings()
        if not settings.self_verify or not settings.test_command.strip():
            raise ActionError("self-verification is off: set iquest.selfVerify to true and iquest.testCommand")
        source, begin, finish = self._source({"uri": uri, "start": start, "end": end})
        if source.path is None:
            raise ActionError(f"{uri} is not a file in the workspace")
        root = next((r for r in self._sources.roots if source.path.is_relative_to(r)), None)
        if root is None:
            raise ActionError(f"{uri} is outside the workspace")
        region = _whole_lines(source.text, begin, finish) if finish > begin else self._fix_region(source, begin)
        language, path = source.language or "text", self._rel(source)
        problem = problem.strip() or "the tests fail"
        feedback = None
        prompts: list[str] = []
        outputs: list[str] = []
        run: TestRun | None = None
        edit: FileEdit | None = None
        rounds = 0
        for rounds in range(1, settings.verify_rounds + 1):
            new, messages, result = await self._region_candidate(
                source, *region, lambda code, context: chat.fix_messages(language, path, code, problem, context),
                report, f"Fixing (round {rounds})", feedback,
            )
            prompts.append(result.prompt)
            outputs.append(result.text)
            edit = FileEdit(source.uri, source.path, source.text, line_changes(source.text, new), source.version)
            report(f"Running `{settings.test_command}` (round {rounds})", 90)
            try:
                run = await run_tests(root, [edit], settings.test_command, timeout_s=settings.verify_timeout_ms / 1000)
            except OSError as exc:
                raise ActionFailed(f"could not run the test command in a copy of the workspace: {exc}") from exc
            log.info("verify round %d: exit %s in %.1f s", rounds, run.exit_code, run.seconds)
            if run.passed:
                break
            feedback = (messages, result.text, f"the test command `{settings.test_command}` failed:\n{redact(run.output[-2000:])}")
        assert run is not None and edit is not None
        verdict = "passed" if run.passed else ("timed out" if run.timed_out else f"failed (exit {run.exit_code})")
        proposal = Proposal(uuid.uuid4().hex, "fix_and_verify", f"Fix (tests {verdict})", (edit,),
                            message=f"`{settings.test_command}` {verdict} with this edit after {rounds} round{'s' if rounds > 1 else ''}.",
                            tests=run, rounds=rounds)
        self._finish(proposal, "\n".join(prompts), "\n".join(outputs), uri, {"start": start, "end": end})
        return proposal

    # -- the user's decision --------------------------------------------------------------------

    def accepted(self, details: Mapping[str, Any]) -> None:
        """Record that the user applied a proposal (the client tells us through iquest.accepted)."""
        self._audit.record("accepted", uri=str(details.get("uri", "")), model=self._model_name(), prompt=None, output=None,
                           id=details.get("id"), action=details.get("action"))

