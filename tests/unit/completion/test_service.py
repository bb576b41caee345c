"""CompletionService: cleaning, audit, deadlines, cancellation, typing-through, reuse, speculation."""

import asyncio
import threading

import pytest

from lsp_server.audit import AuditLog
from lsp_server.completion.layout import DocumentSnapshot
from lsp_server.completion.service import CompletionService
from lsp_server.model.backend import GenerationRequest, GenerationResult, ModelInfo
from lsp_server.model.runtime import ModelRuntime
from lsp_server.prompting.fim import template_for_family
from lsp_server.settings import Settings


class ScriptedBackend:
    """Returns a fixed output; optionally blocks until cancelled."""

    def __init__(self, output: str, block: bool = False) -> None:
        self.info = ModelInfo("fake", "/fake.gguf", "qwen2", "qwen", 4096)
        self.template = template_for_family("qwen")
        self.output = output
        self.block = block
        self.requests: list[GenerationRequest] = []
        self.cancelled = 0

    def complete(self, request: GenerationRequest, cancel: threading.Event) -> GenerationResult:
        self.requests.append(request)
        if self.block and cancel.wait(2):
            self.cancelled += 1
            return GenerationResult("", "", 1, 1, 0, 0.0, 0.0, "cancelled")
        return GenerationResult(self.output, "PROMPT", 10, 10, 3, 1.0, 2.0, "stop_token")

    def close(self) -> None:
        pass


async def _service(backend, tmp_path, **settings):
    runtime = ModelRuntime()
    await runtime.load(lambda progress: backend, lambda m, p: None)
    audit = AuditLog(tmp_path / "audit.jsonl")
    return CompletionService(runtime, lambda: Settings(**settings), audit), runtime


async def test_suggestion_is_cleaned_and_audited(tmp_path):
    backend = ScriptedBackend("return a + b\n\ndef sub(a, b):\n    return a - b")
    service, runtime = await _service(backend, tmp_path)
    text = "def add(a, b):\n    "
    suggestion = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    assert suggestion is not None
    assert suggestion.text == "return a + b"
    assert suggestion.multiline is True
    request = backend.requests[0]
    assert request.prefix == text and request.suffix == ""
    assert request.prefix_tokens + request.suffix_tokens <= Settings().max_prompt_tokens
    assert "return a + b" in (tmp_path / "audit.jsonl").read_text()
    runtime.shutdown()


async def test_empty_output_gives_no_suggestion_and_no_audit(tmp_path):
    backend = ScriptedBackend("   \n")
    service, runtime = await _service(backend, tmp_path)
    assert await service.suggest(DocumentSnapshot("file:///m.py", "x = ", 1), 4) is None
    assert not (tmp_path / "audit.jsonl").exists()
    runtime.shutdown()


async def test_newer_request_cancels_the_older_one(tmp_path):
    backend = ScriptedBackend("value", block=True)
    service, runtime = await _service(backend, tmp_path)
    doc = DocumentSnapshot("file:///m.py", "x = ", 1)
    first = asyncio.create_task(service.suggest(doc, 4))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(service.suggest(doc, 4))
    with pytest.raises(asyncio.CancelledError):
        await first
    backend.block = False
    runtime.cancel_all()
    await asyncio.wait_for(second, 3)
    assert backend.cancelled >= 1
    runtime.shutdown()


class DeadlineBackend(ScriptedBackend):
    """Ran out of time part-way through a line."""

    def complete(self, request, cancel):
        self.requests.append(request)
        return GenerationResult(self.output, "PROMPT", 10, 10, 3, 1.0, 2.0, "deadline")


async def test_deadline_keeps_only_complete_lines(tmp_path):
    service, runtime = await _service(DeadlineBackend("total = 0\n    for v in val"), tmp_path)
    text = "def f(values):\n    "
    suggestion = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    assert suggestion is not None and suggestion.text == "total = 0"
    runtime.shutdown()


async def test_deadline_without_a_complete_line_gives_nothing(tmp_path):
    service, runtime = await _service(DeadlineBackend("retu"), tmp_path)
    text = "def f(values):\n    "
    assert await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text)) is None
    runtime.shutdown()


class EchoBackend(ScriptedBackend):
    """Answers with a continuation that depends on the prompt's end, like a model would."""

    def __init__(self, answers: dict[str, str], delay: float = 0.0) -> None:
        super().__init__("")
        self.answers = answers
        self.delay = delay

    def complete(self, request, cancel):
        self.requests.append(request)
        if self.delay and cancel.wait(self.delay):
            return GenerationResult("", "", 1, 1, 0, 0.0, 0.0, "cancelled")
        for ending, answer in self.answers.items():
            if request.prefix.endswith(ending):
                return GenerationResult(answer, "PROMPT", 10, 2, 5, 1.0, 2.0, "stop_token")
        return GenerationResult("", "PROMPT", 10, 2, 0, 1.0, 2.0, "stop_token")


async def test_typing_the_suggestion_is_answered_from_the_cache(tmp_path):
    backend = EchoBackend({"):\n    ": "return width * height\n"})
    service, runtime = await _service(backend, tmp_path, speculate=False)
    text = "def area(width, height):\n    "
    first = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    assert first.text == "return width * height" and first.source == "generation"
    typed = text + "return wi"
    second = await service.suggest(DocumentSnapshot("file:///m.py", typed, 2), len(typed))
    assert second.text == "dth * height" and second.source == "cache"
    assert len(backend.requests) == 1
    assert service.stats()["fromCache"] == 1
    runtime.shutdown()


async def test_a_request_typed_into_a_running_generation_waits_for_it(tmp_path):
    backend = EchoBackend({"):\n    ": "return width * height\n"}, delay=0.3)
    service, runtime = await _service(backend, tmp_path, speculate=False)
    text = "def area(width, height):\n    "
    first = asyncio.create_task(service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text)))
    await asyncio.sleep(0.05)
    typed = text + "ret"
    second = await service.suggest(DocumentSnapshot("file:///m.py", typed, 2), len(typed))
    with pytest.raises(asyncio.CancelledError):
        await first  # the older request ends; its generation does not
    assert second.text == "urn width * height"
    assert len(backend.requests) == 1 and service.stats()["fromRunningGeneration"] == 1
    runtime.shutdown()


async def test_typing_something_else_starts_a_new_generation(tmp_path):
    backend = EchoBackend({"):\n    ": "return width * height\n", "):\n    x": " = width\n"})
    service, runtime = await _service(backend, tmp_path, speculate=False)
    text = "def area(width, height):\n    "
    await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    typed = text + "x"
    second = await service.suggest(DocumentSnapshot("file:///m.py", typed, 2), len(typed))
    assert second.text == " = width" and second.source == "generation"
    assert len(backend.requests) == 2
    runtime.shutdown()


async def test_speculation_prepares_the_line_after_an_accepted_suggestion(tmp_path):
    backend = EchoBackend({"):\n    ": "area = width * height\n", "width * height": "\n    return area\n"})
    service, runtime = await _service(backend, tmp_path)
    text = "def area(width, height):\n    "
    first = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    assert first.text == "area = width * height"
    for _ in range(100):  # the speculative generation runs in the background
        if service.stats()["speculations"] and len(backend.requests) == 2:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    accepted = text + first.text + "\n    "  # accepted, then Enter with auto-indent
    second = await service.suggest(DocumentSnapshot("file:///m.py", accepted, 2), len(accepted))
    assert second.text == "return area" and second.source == "speculation"
    assert backend.requests[1].prefix.endswith("area = width * height")
    runtime.shutdown()


async def test_nothing_more_at_the_end_of_a_line_prepares_the_line_after_enter(tmp_path):
    backend = EchoBackend({"width * height": "", "width * height\n": "    return area\n"})
    service, runtime = await _service(backend, tmp_path)
    text = "def area(width, height):\n    area = width * height"
    doc = DocumentSnapshot("file:///m.py", text + "\n\nx = 1\n", 1)
    assert await service.suggest(doc, len(text)) is None
    for _ in range(100):
        if service.stats()["speculations"] and len(backend.requests) == 2:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert backend.requests[1].prefix == text + "\n"
    entered = DocumentSnapshot("file:///m.py", text + "\n    " + "\n\nx = 1\n", 2)  # Enter with auto-indent
    after = await service.suggest(entered, len(text) + 5)
    assert after is not None and after.text == "return area" and after.source == "speculation"
    # Mid-line, an empty answer prepares nothing.
    mid = DocumentSnapshot("file:///m.py", "y = width * height + 1\n", 3)
    assert await service.suggest(mid, len("y = width * height")) is None
    await asyncio.sleep(0.05)
    assert len(backend.requests) == 3
    runtime.shutdown()


class WarmUpBackend(ScriptedBackend):
    """Records warm-ups (max_tokens 0); a warm-up blocks until cancelled."""

    def complete(self, request, cancel):
        if request.max_tokens == 0:
            self.requests.append(request)
            cancel.wait(2)
            return GenerationResult(
                "", "PROMPT", 10, 10, 0, 0.0, 0.0, "warm_up_cancelled" if cancel.is_set() else "warm_up"
            )
        return super().complete(request, cancel)


async def test_warm_up_prefills_without_generating_and_a_request_stops_it(tmp_path):
    backend = WarmUpBackend("value")
    service, runtime = await _service(backend, tmp_path, speculate=False)
    doc = DocumentSnapshot("file:///m.py", "def f():\n    x = 1\n", 1)
    assert service.warm_up(doc, 9, guessed=False) is True
    assert service.warm_up(doc, 9, guessed=False) is False  # one at a time
    await asyncio.sleep(0.05)
    assert backend.requests[0].max_tokens == 0 and backend.requests[0].prefix == "def f():\n"
    suggestion = await asyncio.wait_for(service.suggest(doc, 9), 1)  # not stuck behind the warm-up
    assert suggestion is not None and suggestion.text == "value"
    assert service.stats()["warmUps"] == 1
    assert runtime.generations == 1  # the warm-up is not counted as a generation
    runtime.shutdown()


class ShortPromptBackend(ScriptedBackend):
    """Answers from a short prompt until a full prompt was evaluated (a warm-up), then from the full one."""

    def __init__(self, short: str = "short", full: str = "full") -> None:
        super().__init__(short)
        self.short, self.full = short, full
        self.warm = False

    def complete(self, request, cancel):
        self.requests.append(request)
        if request.max_tokens == 0:
            self.warm = True
            return GenerationResult("", "PROMPT", 10, 10, 0, 0.0, 0.0, "warm_up")
        if self.warm or request.eval_budget_s is None:
            return GenerationResult(self.full, "PROMPT", 10, 1, 3, 1.0, 2.0, "stop_token")
        return GenerationResult(self.short, "PROMPT", 3, 3, 3, 1.0, 2.0, "stop_token", short_prompt=True)


async def _until(condition, tries: int = 100) -> None:
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.01)


async def test_a_short_prompt_answer_is_followed_by_the_full_prompt_and_its_answer(tmp_path):
    backend = ShortPromptBackend()
    service, runtime = await _service(backend, tmp_path, speculate=True, generation_timeout_ms=4000)
    doc = DocumentSnapshot("file:///m.py", "def f():\n    x = ", 1)
    suggestion = await service.suggest(doc, len(doc.text))
    assert suggestion is not None and suggestion.text == "short"
    assert backend.requests[0].eval_budget_s == pytest.approx(3.0)  # three quarters of the timeout
    await _until(lambda: len(backend.requests) == 3)
    fill_in, answer = backend.requests[1:]
    assert fill_in.max_tokens == 0 and fill_in.eval_budget_s is None and fill_in.prefix == doc.text
    assert answer.max_tokens > 0 and answer.prefix == doc.text
    stats = service.stats()
    assert stats["shortPrompts"] == 1 and stats["warmUps"] == 1 and stats["speculations"] == 1
    # The full prompt's answer took the short one's place in the cache.
    await asyncio.sleep(0.05)
    again = await service.suggest(doc, len(doc.text))
    assert again is not None and again.text == "full" and again.source == "speculation"
    assert len(backend.requests) == 3
    runtime.shutdown()


async def test_typing_through_a_short_answer_fills_in_the_full_prompt_meanwhile(tmp_path):
    backend = ShortPromptBackend(short="width * height", full="idth * height  # area")
    service, runtime = await _service(backend, tmp_path, speculate=True, generation_timeout_ms=4000)
    service._cache.put("file:///m.py", "area = ", "\n", "width * height", short=True)
    doc = DocumentSnapshot("file:///m.py", "area = w\n", 1)
    suggestion = await service.suggest(doc, len("area = w"))
    assert suggestion is not None and suggestion.text == "idth * height" and suggestion.source == "cache"
    await _until(lambda: len(backend.requests) == 2)
    assert backend.requests[0].max_tokens == 0 and backend.requests[0].prefix == "area = w"
    assert service.stats()["shortPrompts"] == 0  # served, not computed
    await asyncio.sleep(0.05)
    after = await service.suggest(DocumentSnapshot("file:///m.py", "area = wi\n", 2), len("area = wi"))
    assert after is not None and after.text == "dth * height  # area" and after.source == "speculation"
    runtime.shutdown()


async def test_nothing_more_from_a_short_prompt_at_the_end_of_a_line_fills_in_the_line_after_enter(tmp_path):
    backend = ShortPromptBackend(short="", full="    return area\n")
    service, runtime = await _service(backend, tmp_path, speculate=True, generation_timeout_ms=4000)
    text = "def area(width, height):\n    area = width * height"
    doc = DocumentSnapshot("file:///m.py", text + "\n\nx = 1\n", 1)
    assert await service.suggest(doc, len(text)) is None
    await _until(lambda: len(backend.requests) == 3)
    assert backend.requests[1].max_tokens == 0 and backend.requests[1].prefix == text + "\n"
    await asyncio.sleep(0.05)
    entered = DocumentSnapshot("file:///m.py", text + "\n    " + "\n\nx = 1\n", 2)  # Enter with auto-indent
    after = await service.suggest(entered, len(text) + 5)
    assert after is not None and after.text == "return area" and after.source == "speculation"
    runtime.shutdown()


async def test_warm_up_is_skipped_where_a_request_already_is(tmp_path):
    backend = WarmUpBackend("value")
    service, runtime = await _service(backend, tmp_path, speculate=False)
    doc = DocumentSnapshot("file:///m.py", "x = 1\ny = ", 3)
    await service.suggest(doc, len(doc.text))
    assert service.warm_up(doc, len(doc.text), guessed=False) is False  # that prompt is in the KV
    assert service.warm_up(doc, 0, guessed=True) is False  # a guess must not push it out
    assert service.warm_up(DocumentSnapshot(doc.uri, doc.text, 4), 0, guessed=True) is True
    runtime.cancel_all()
    runtime.shutdown()


async def test_warm_up_can_be_turned_off_and_never_runs_in_secret_files(tmp_path):
    backend = WarmUpBackend("value")
    service, runtime = await _service(backend, tmp_path, warm_up=False)
    assert service.warm_up(DocumentSnapshot("file:///m.py", "x", 1), 1, guessed=False) is False
    service, runtime = await _service(backend, tmp_path)
    assert service.warm_up(DocumentSnapshot("file:///.env", "KEY=1", 1), 5, guessed=False) is False
    runtime.shutdown()


class StreamingBackend(ScriptedBackend):
    """Writes its output a character every ``step_s`` seconds through the stop check, as a model does."""

    def __init__(self, output: str, step_s: float) -> None:
        super().__init__(output)
        self.step_s = step_s

    def complete(self, request, cancel):
        self.requests.append(request)
        text = ""
        for char in self.output:
            if cancel.wait(self.step_s):
                return GenerationResult(text, "PROMPT", 10, 10, len(text), 0.0, 0.0, "cancelled")
            text += char
            if request.should_stop is not None and request.should_stop(text):
                return GenerationResult(text, "PROMPT", 10, 10, len(text), 0.0, 0.0, "stop_check")
        return GenerationResult(text, "PROMPT", 10, 10, len(text), 0.0, 0.0, "max_tokens")


BODY = "total = 0\n    for item in items:\n        total += item\n    return total"


async def test_a_slow_block_answers_with_its_first_lines_and_the_rest_comes_from_the_cache(tmp_path):
    backend = StreamingBackend(BODY, 0.01)  # ~0.65 s for the whole block
    service, runtime = await _service(backend, tmp_path, first_lines_ms=50, speculate=False)
    text = "def total(items):\n    "
    doc = DocumentSnapshot("file:///m.py", text, 1)
    first = await service.suggest(doc, len(text))
    assert first is not None and first.stop_reason == "first_lines"
    assert first.text.startswith("total = 0") and BODY.startswith(first.text) and len(first.text) < len(BODY)
    await asyncio.sleep(1.0)  # the generation went on in the background
    accepted = text + first.text + "\n    "  # accepted, then Enter (the editor indents)
    rest = await service.suggest(DocumentSnapshot(doc.uri, accepted, 2), len(accepted))
    assert rest is not None and rest.source == "cache"
    assert first.text + "\n    " + rest.text == BODY
    assert len(backend.requests) == 1  # one generation served both
    runtime.shutdown()


async def test_a_block_shown_with_its_first_lines_says_once_when_it_has_the_rest(tmp_path):
    backend = StreamingBackend(BODY, 0.01)
    service, runtime = await _service(backend, tmp_path, first_lines_ms=50, speculate=False, candidates=1)
    text = "def total(items):\n    "
    doc = DocumentSnapshot("file:///m.py", text, 1)
    notices = []
    first = await service.suggest(doc, len(text), on_grown=lambda: notices.append(1))
    assert first is not None and first.stop_reason == "first_lines" and notices == []
    # Asked there again while it runs (editors do): the same first lines, still one notice in the end.
    again = await service.suggest(doc, len(text), on_grown=lambda: notices.append(2))
    assert again is not None and again.stop_reason == "first_lines"
    for _ in range(100):
        if notices:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    assert notices == [1]
    # Asked again there (explicitly, as VS Code's trigger does): the whole block, from the cache.
    whole = await service.suggest(doc, len(text), invoked=True)
    assert whole is not None and (whole.text, whole.source, whole.alternatives) == (BODY, "cache", ())
    assert len(backend.requests) == 1 and service.stats()["blocksGrown"] == 1
    runtime.shutdown()


class StreamingSampler(StreamingBackend):
    """Streams BODY greedily; a sampled request writes another block."""

    def complete(self, request, cancel):
        if request.temperature:
            self.requests.append(request)
            return GenerationResult("total = sum(items)\n    return total", "P", 10, 10, 5, 0.0, 0.0, "stop_token")
        return super().complete(request, cancel)


async def test_with_candidates_an_alternative_is_sampled_before_the_notice_so_the_ask_is_answered_at_once(tmp_path):
    backend = StreamingSampler(BODY, 0.01)
    service, runtime = await _service(backend, tmp_path, first_lines_ms=50, speculate=False, candidates=2)
    text = "def total(items):\n    "
    doc = DocumentSnapshot("file:///m.py", text, 1)
    grown = asyncio.Event()
    first = await service.suggest(doc, len(text), on_grown=grown.set)
    assert first is not None and first.stop_reason == "first_lines"
    await asyncio.wait_for(grown.wait(), 5)
    assert [r.temperature > 0 for r in backend.requests] == [False, True]  # sampled before the notice
    whole = await service.suggest(doc, len(text), invoked=True)
    assert whole is not None and (whole.text, whole.source) == (BODY, "cache")
    assert [t for t, _ in whole.alternatives] == ["total = sum(items)\n    return total"]
    assert len(backend.requests) == 2  # nothing sampled while the editor waited
    runtime.shutdown()


@pytest.mark.parametrize("change", ["edited", "same"])
async def test_no_word_of_growth_after_an_edit_or_when_nothing_was_added(tmp_path, change):
    # "same": all the block has after its first line is the code below the cursor, which is cut.
    backend = StreamingBackend(BODY, 0.01)
    service, runtime = await _service(backend, tmp_path, first_lines_ms=50, speculate=False)
    text = "def total(items):\n    "
    suffix = "" if change == "edited" else "\n    for item in items:\n        total += item\n    return total\n"
    doc = DocumentSnapshot("file:///m.py", text + suffix, 1)
    grown = []
    valid = [True]
    first = await service.suggest(doc, len(text), lambda: valid[0], on_grown=lambda: grown.append(1))
    assert first is not None
    valid[0] = change != "edited"  # the user typed on: the document is not the one asked about
    await asyncio.sleep(1.0)
    assert grown == [] and service.stats()["blocksGrown"] == 0
    runtime.shutdown()


class SlowPromptBackend(StreamingBackend):
    """Spends ``prompt_s`` on the prompt before it streams its output."""

    def __init__(self, output: str, step_s: float, prompt_s: float) -> None:
        super().__init__(output, step_s)
        self.prompt_s = prompt_s

    def complete(self, request, cancel):
        cancel.wait(self.prompt_s)
        return super().complete(request, cancel)


CALL = "Error(\n        message,\n    )"


@pytest.mark.parametrize("mode", ["auto", "never"])
async def test_a_single_line_that_opens_a_call_runs_on_to_its_close_unless_never(tmp_path, mode):
    backend = StreamingBackend(CALL + "\n    return", 0.001)
    service, runtime = await _service(backend, tmp_path, speculate=False, multiline=mode)
    text = "def f(message):\n    raise "
    suggestion = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    assert suggestion.text == (CALL if mode == "auto" else "Error(")
    assert suggestion.multiline is False and suggestion.stop_reason == "stop_check"
    runtime.shutdown()


async def test_a_slow_call_left_open_answers_with_its_first_line_like_a_block(tmp_path):
    backend = StreamingBackend(CALL, 0.05)  # ~1.3 s for the whole call
    service, runtime = await _service(backend, tmp_path, first_lines_ms=100, speculate=False)
    text = "def f(message):\n    raise "
    suggestion = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    assert suggestion.text == "Error(" and suggestion.stop_reason == "first_lines"
    runtime.shutdown()


async def test_the_prompt_time_does_not_count_against_a_block(tmp_path):
    # 1.2 s of prompt, then the block in ~0.13 s: well within 1 s of generating (even on a busy machine), so it
    # comes whole.
    backend = SlowPromptBackend(BODY, 0.002, prompt_s=1.2)
    service, runtime = await _service(backend, tmp_path, first_lines_ms=1000, speculate=False)
    text = "def total(items):\n    "
    whole = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    assert whole is not None and whole.text == BODY and whole.stop_reason != "first_lines"
    runtime.shutdown()


async def test_first_lines_off_waits_for_the_whole_block(tmp_path):
    backend = StreamingBackend(BODY, 0.005)
    service, runtime = await _service(backend, tmp_path, first_lines_ms=0, speculate=False)
    text = "def total(items):\n    "
    whole = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    assert whole is not None and whole.text == BODY
    runtime.shutdown()


@pytest.mark.parametrize(("seconds", "window"), [(40, 512), (0, 2048)])
async def test_a_slow_machine_gets_the_prompt_it_evaluates_in_time(tmp_path, seconds, window):
    backend = ScriptedBackend("value")
    backend.info = ModelInfo("fake", "/fake.gguf", "qwen2", "qwen", 4096, prompt_tps=10.0)
    service, runtime = await _service(backend, tmp_path, speculate=False, full_prompt_seconds=seconds)
    doc = DocumentSnapshot("file:///m.py", "x = 1\n" * 3000, 1)
    await service.suggest(doc, len(doc.text))
    request = backend.requests[0]
    assert request.prefix_tokens + request.suffix_tokens == window
    assert service.stats()["promptCap"] == (512 if seconds else None)
    runtime.shutdown()


class SamplingBackend(ScriptedBackend):
    """Greedy answers one text, sampled requests another (a model at temperature would vary)."""

    def complete(self, request, cancel):
        self.requests.append(request)
        output = "return w * h\n" if request.temperature else "return width * height\n"
        return GenerationResult(output, "PROMPT", 10, 2, 5, 1.0, 2.0, "stop_token")


async def test_an_explicit_request_adds_a_sampled_alternative_the_first_stays_greedy(tmp_path):
    backend = SamplingBackend("")
    service, runtime = await _service(backend, tmp_path, speculate=False, candidates=2)
    text = "def area(width, height):\n    "
    doc = DocumentSnapshot("file:///m.py", text, 1)
    automatic = await service.suggest(doc, len(text))
    assert automatic is not None and automatic.alternatives == () and len(backend.requests) == 1
    invoked = await service.suggest(doc, len(text), invoked=True)
    assert invoked is not None and invoked.text == "return width * height" and invoked.source == "cache"
    assert [text for text, _ in invoked.alternatives] == ["return w * h"] and backend.requests[1].temperature > 0
    assert invoked.alternatives[0][1] != invoked.id
    # Known now: the next automatic request offers it too, without sampling again; typing through keeps both.
    typed = text + "return w"
    again = await service.suggest(DocumentSnapshot("file:///m.py", typed, 2), len(typed))
    assert again is not None and (again.text, [t for t, _ in again.alternatives]) == ("idth * height", [" * h"])
    assert len(backend.requests) == 2 and service.stats()["samples"] == 1
    service.outcomes.accepted(again.alternatives[0][1])
    figures = service.stats()["acceptance"]
    assert figures["accepted"] == 1 and figures["alternativesOffered"] == 2 and figures["shown"] == 3
    runtime.shutdown()


async def test_an_explicit_first_request_at_a_new_place_is_not_held_back_by_sampling(tmp_path):
    backend = SamplingBackend("")
    service, runtime = await _service(backend, tmp_path, speculate=False, candidates=2)
    text = "def area(width, height):\n    "
    suggestion = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text), invoked=True)
    assert suggestion is not None and suggestion.text == "return width * height" and suggestion.alternatives == ()
    assert [r.temperature for r in backend.requests] == [0.0] and service.stats()["samples"] == 0
    runtime.shutdown()


async def _background_done(runtime, service, timeout=3.0):
    """Wait until no job runs (speculations and samples run after the answer)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while service._scheduler.busy and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)


async def test_an_alternative_is_sampled_in_idle_time_after_the_speculation(tmp_path):
    backend = SamplingBackend("")
    service, runtime = await _service(backend, tmp_path, speculate=True, candidates=2)
    text = "def area(width, height):\n    "
    doc = DocumentSnapshot("file:///m.py", text, 1)
    first = await service.suggest(doc, len(text))
    assert first is not None and first.alternatives == ()
    await _background_done(runtime, service)
    await _background_done(runtime, service)
    # The greedy answer, then the speculation of what follows it, then one sample at the answer's place.
    assert [r.temperature > 0 for r in backend.requests] == [False, False, True]
    assert backend.requests[2].prefix == backend.requests[0].prefix
    # The editor's next request there offers it with no generation.
    again = await service.suggest(doc, len(text))
    assert again is not None and [t for t, _ in again.alternatives] == ["return w * h"] and len(backend.requests) == 3
    runtime.shutdown()


async def test_an_idle_sample_is_drawn_only_where_the_user_rests(tmp_path):
    backend = SamplingBackend("")
    service, runtime = await _service(backend, tmp_path, speculate=True, candidates=2)
    text = "def area(width, height):\n    "
    await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    typed = text + "r"
    await service.suggest(DocumentSnapshot("file:///m.py", typed, 2), len(typed))  # from the cache
    await _background_done(runtime, service)
    await _background_done(runtime, service)
    sampled = [r.prefix for r in backend.requests if r.temperature]
    assert sampled == [typed] and service.stats()["samples"] == 1
    runtime.shutdown()


async def test_one_candidate_means_no_alternatives(tmp_path):
    backend = SamplingBackend("")
    service, runtime = await _service(backend, tmp_path, speculate=False, candidates=1)
    text = "def area(width, height):\n    "
    suggestion = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text), invoked=True)
    assert suggestion is not None and suggestion.alternatives == () and len(backend.requests) == 1
    runtime.shutdown()


@pytest.mark.parametrize("adapt", [True, False])
async def test_multi_line_suggestions_rarely_taken_become_single_lines(tmp_path, adapt):
    backend = ScriptedBackend("total = 0\n    for value in values:\n        total += value")
    service, runtime = await _service(backend, tmp_path, speculate=False, adapt=adapt)
    text = "def f(values):\n    "
    for version in range(20):  # shown, never taken
        doc = DocumentSnapshot("file:///m.py", "#" * version + "\n" + text, version)
        assert (await service.suggest(doc, len(doc.text))).text.count("\n") == 2
    service.outcomes.accepted((await service.suggest(DocumentSnapshot("file:///other.go", text, 1), len(text))).id)
    after = await service.suggest(DocumentSnapshot("file:///m.py", "x = 1\n" + text, 99), len(text) + 6)
    assert after.text == ("total = 0" if adapt else "total = 0\n    for value in values:\n        total += value")
    assert service.stats()["acceptance"]["rarelyTaken"] == ["python multi-line"]  # measured either way
    runtime.shutdown()


@pytest.mark.parametrize("scan", [True, False])
async def test_a_suggestion_completing_a_worst_pattern_is_dropped_or_cut(tmp_path, scan):
    backend = ScriptedBackend("shell=True)")
    service, runtime = await _service(backend, tmp_path, scan_suggestions=scan)
    text = "import subprocess\n\ndef run(user_cmd):\n    subprocess.run(user_cmd, "
    suggestion = await service.suggest(DocumentSnapshot("file:///m.py", text, 1), len(text))
    assert (suggestion is None) if scan else (suggestion is not None and suggestion.text == "shell=True)")
    runtime.shutdown()
    backend = ScriptedBackend("data = load()\n    result = eval(data)\n    return result")
    service, runtime = await _service(backend, tmp_path, scan_suggestions=scan)
    text = "def calc():\n    "
    suggestion = await service.suggest(DocumentSnapshot("file:///c.py", text, 1), len(text))
    assert suggestion is not None
    assert suggestion.text == ("data = load()" if scan else "data = load()\n    result = eval(data)\n    return result")
    runtime.shutdown()
