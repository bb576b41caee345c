"""scripts/bench_latency.py: traces, figures and llama.vscode's request (no model, no server, no network)."""

from __future__ import annotations

import math

import pytest
from script_loader import load_script

bench = load_script("bench_latency")

MODULE = '''"""A module."""

from .models import Request, PreparedRequest
from . import hooks
import os


def short(x):
    return x


class Session:
    """A session."""

    def send(self, request, **kwargs):
        """Send a request.

        Really.
        """
        kwargs.setdefault("stream", self.stream)
        if isinstance(request, Request):
            raise ValueError("You can only send PreparedRequests.")

        hooks = request.hooks
        adapter = self.get_adapter(url=request.url)
        return adapter.send(request, **kwargs)


def no_doc(a, b):
    total = a + b
    if total > 10:
        total -= 10
    for i in range(3):
        total += i
    return total
'''


def _lines(text: str, first: int, last: int) -> str:
    return "".join(text.splitlines(keepends=True)[first - 1 : last])


# ---- traces ------------------------------------------------------------------------------


def test_candidates_keep_the_def_and_docstring_and_need_a_relative_import():
    found = {c.name: c for c in bench.function_candidates("pkg/sessions.py", MODULE)}
    assert set(found) == {"Session.send", "no_doc"}  # short() is under 6 lines
    send = found["Session.send"]
    assert _lines(MODULE, send.def_line, send.def_line).strip().startswith("def send(")
    assert _lines(MODULE, send.body_first, send.body_first).strip().startswith('kwargs.setdefault("stream"')
    assert _lines(MODULE, found["no_doc"].body_first, found["no_doc"].body_first).strip() == "total = a + b"
    assert (
        bench.function_candidates(
            "pkg/plain.py", MODULE.replace("from .models", "from models").replace("from . import hooks", "")
        )
        == []
    )


def test_hole_keeps_the_docstring_and_leaves_the_cursor_on_an_indented_empty_line():
    send = next(c for c in bench.function_candidates("pkg/sessions.py", MODULE) if c.name == "Session.send")
    task = bench.make_task(send, MODULE)
    assert '        Really.\n        """\n        \n\n\ndef no_doc' in task.holed
    assert task.holed[task.cursor - 8 : task.cursor] == "        " and task.holed[task.cursor] == "\n"
    assert "kwargs.setdefault" not in task.holed
    assert task.typed.startswith('kwargs.setdefault("stream"') and task.typed.endswith(
        "return adapter.send(request, **kwargs)"
    )


@pytest.mark.parametrize("name", ["Session.send", "no_doc"])
def test_keystrokes_reproduce_the_original_exactly(name):
    candidate = next(c for c in bench.function_candidates("pkg/sessions.py", MODULE) if c.name == name)
    task = bench.make_task(candidate, MODULE)
    keys = bench.keystrokes(task.typed)
    text, cursor = bench.apply_keys(task.holed, task.cursor, keys)
    assert text == MODULE
    assert cursor == task.cursor + len(task.typed)


def test_a_body_that_ends_the_file_without_a_newline():
    source = "def f():\n    a = 1\n    return a"
    holed, cursor, typed = bench.hole(source, 2, 3)
    assert holed == "def f():\n    " and typed == "a = 1\n    return a"
    assert bench.apply_keys(holed, cursor, bench.keystrokes(typed))[0] == source


def test_newline_auto_indents_like_vs_code_and_marks_pauses():
    keys = bench.keystrokes("if a:\n    b = 1\n\n  c\n")
    texts = [k.text for k in keys]
    assert texts == ["i", "f", " ", "a", ":", "\n    ", "b", " ", "=", " ", "1", "\n", "\n  ", "c", "\n"]
    assert [k.pause for k in keys] == [
        None,
        None,
        "space",
        None,
        None,
        "newline",
        None,
        "space",
        None,
        "space",
        None,
        "newline",
        "newline",
        None,
        "newline",
    ]
    # a whitespace-only line is inserted whole by its newline key: no space is "typed" there
    assert [k.text for k in bench.keystrokes("a\n    \nb")] == ["a", "\n    ", "\n", "b"]


def test_schedule_uses_typing_speed_and_pauses():
    keys = bench.keystrokes("a b\nc")
    times = bench.schedule(keys, cps=8, newline_pause=1.0, space_pause=0.3)
    assert times == pytest.approx([0.0, 0.125, 0.425, 0.55, 1.55, 1.675])
    assert len(times) == len(keys) + 1


def test_pick_is_deterministic_and_takes_distinct_files():
    candidates = [bench.Candidate(f"m{i % 3}.py", f"f{i}", i * 10 + 1, i * 10 + 3, i * 10 + 9) for i in range(12)]
    first = bench.pick(candidates, 3, seed=5)
    assert first == bench.pick(list(reversed(candidates)), 3, seed=5)
    assert len({c.path for c in first}) == 3
    assert len(bench.pick(candidates, 5, seed=5)) == 3  # only three files


# ---- llama.vscode's request ----------------------------------------------------------------


def test_infill_request_splits_prefix_prompt_and_suffix_at_the_cursor():
    text = "".join(f"line{i}\n" for i in range(400)) + "    x = foo(bar)\n" + "".join(f"after{i}\n" for i in range(100))
    cursor = text.index("foo(bar)")
    body = bench.infill_request(text, cursor, [{"filename": "a.py", "text": "A = 1\n"}])
    assert body["prompt"] == "    x = "
    assert body["input_prefix"] == "".join(f"line{i}\n" for i in range(144, 400))  # 256 lines
    assert body["input_suffix"] == "foo(bar)\n" + "".join(f"after{i}\n" for i in range(64))
    assert body["input_extra"] == [{"filename": "a.py", "text": "A = 1\n"}]
    assert body["n_indent"] == 4  # the cursor line's indentation
    assert body["n_predict"] == 128 and body["cache_prompt"] is True and body["stream"] is False
    assert body["samplers"] == ["top_k", "top_p", "infill"] and body["top_k"] == 40 and body["top_p"] == 0.99
    assert body["t_max_prompt_ms"] == 500 and body["t_max_predict_ms"] == 500  # llama.vscode's package.json


def test_infill_request_on_an_indented_empty_line_and_at_the_edges_of_a_file():
    body = bench.infill_request("def f():\n    \nx = 1\n", len("def f():\n    "), [])
    # only indentation before the cursor: llama.vscode sends no prompt and the model writes the indent
    assert (body["input_prefix"], body["prompt"], body["input_suffix"], body["n_indent"]) == (
        "def f():\n",
        "",
        "\nx = 1\n\n",
        4,
    )
    body = bench.infill_request("abc\ndef", 0, [])
    assert (body["input_prefix"], body["prompt"], body["input_suffix"]) == ("\n", "", "abc\ndef\n")
    assert "n_indent" not in body  # sent only when non-zero
    body = bench.infill_request("abc\ndef", 7, [])
    assert (body["input_prefix"], body["prompt"], body["input_suffix"]) == ("abc\n", "def", "\n\n")


def test_result_cache_serves_completions_the_user_types_through():
    cache = bench.ResultCache(size=2)
    cache.put(bench.cache_key("P", "S", "    x = "), "foo(bar)")
    assert cache.completion("P", "S", "    x = ") == "foo(bar)"
    assert cache.completion("P", "S", "    x = fo") == "o(bar)"
    assert cache.completion("P", "S", "    x = fx") is None  # typed something else
    assert cache.completion("Q", "S", "    x = fo") is None
    cache.put(bench.cache_key("P", "S", ""), "    return 1")  # an empty-line suggestion (with its indent)
    assert cache.completion("P", "S", "    ret") == "urn 1"
    cache.put("third", "z")  # LRU: the least recently used key goes
    assert len(cache.items) == 2 and cache.get("third") == "z"


def test_suggestion_filters_follow_llama_vscode():
    doc = ["def f():", "    a = 1", "    return a", ""]
    assert bench.should_discard([], doc, 1, "    ", "")
    assert bench.should_discard(["  "], doc, 1, "    ", "")
    assert bench.should_discard(["return a"], doc, 1, "    ", "")  # repeats the next line
    assert not bench.should_discard(["return b"], doc, 1, "    ", "")
    assert bench.should_discard(["", "    return a"], doc, 1, "    a = 1", "")  # repeats what follows
    assert not bench.should_discard(["x"], doc, 3, "", "")  # the last line is never discarded
    assert bench.update_suggestion(["foo(bar)", "next"], "") == "foo(bar)\nnext"
    assert bench.update_suggestion(["foo(bar)", "next"], ")") == "foo(bar"
    assert bench.update_suggestion(["foo", "next"], ")") == "foo"
    assert bench.remove_leading_spaces("    return 1", 4) == "return 1" and bench.remove_leading_spaces("  x", 4) == "x"
    assert bench.remove_trailing_new_lines(["a", "", "  "]) == ["a"]


def test_prefetch_targets_the_text_after_accepting():
    inputs = bench.fim_inputs("def f():\n    x = \n", len("def f():\n    x = "))
    (prefix, suffix, prompt), accept = bench.future_requests(inputs, ["1"])
    assert (prefix, suffix, prompt, accept) == ("def f():\n", "\n\n", "    x = 1", None)
    (prefix, suffix, prompt), accept = bench.future_requests(inputs, ["1", "    return x"])
    assert (prefix, prompt) == ("def f():\n    x = 1\n", "    return x")
    assert accept == (bench.cache_key("def f():\n    x = 1\n", "\n\n", ""), "    return x")


def test_ring_chunks_follow_the_imports_and_stop_at_the_budget():
    files = {
        "pkg/models.py": "\n".join(
            ["# head"] * 70
            + ["class Request:", "    pass"]
            + ["x = 1"] * 100
            + ["@dec", "class PreparedRequest:", "    pass"]
        ),
        "pkg/hooks.py": "HOOKS = []\n",
        "pkg/other.py": "def other():\n    pass\n",
    }
    imports = bench.sibling_imports(MODULE, "pkg/sessions.py")
    assert imports == [("pkg/models.py", ["Request", "PreparedRequest"]), ("pkg/hooks.py", [])]
    chunks = bench.candidate_chunks(imports, files.get, ["pkg/other.py", "pkg/missing.py"])
    assert [(c["filename"], c["text"].split("\n", 1)[0]) for c in chunks] == [
        ("pkg/models.py", "class Request:"),
        ("pkg/models.py", "@dec"),
        ("pkg/models.py", "# head"),
        ("pkg/hooks.py", "HOOKS = []"),
        ("pkg/other.py", "def other():"),
    ]
    assert all(c["text"].count("\n") <= 64 for c in chunks)
    assert bench.take_chunks(chunks, [600, 600, 600, 10, 10], budget=1000) == chunks[:2]  # at least the budget
    assert bench.take_chunks(chunks, [1] * 5, budget=1000, limit=3) == chunks[:3]


def test_utf16_positions():
    assert bench.utf16_position("ab\ncd", 4) == (1, 1)
    assert bench.utf16_position("x\n\U0001f600y", 4) == (1, 3)


# ---- figures ---------------------------------------------------------------------------------


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert (
        bench.percentile(values, 0.5) == 51
        and bench.percentile(values, 0.95) == 95
        and bench.percentile(values, 0.99) == 99
    )
    assert bench.percentile([7.0], 0.95) == 7.0
    assert math.isnan(bench.percentile([], 0.5))
    assert bench.percentile([1.0, math.inf, 2.0], 0.95) == math.inf


def _record(index, pause, latency_ms, gap_ms, *, text="x", cancelled=False, evaluated=None):
    record = bench.Record("f", index, pause, sent=float(index))
    record.next_key = record.sent + gap_ms / 1000
    if latency_ms is not None:
        record.answered = record.sent + latency_ms / 1000
        record.text = text
        record.evaluated_tokens = evaluated
    else:
        record.error = "cancelled"
    record.cancel_sent = cancelled
    return record


def test_summary_figures():
    records = [
        _record(0, "space", 50, 300, evaluated=10),
        _record(1, "newline", 400, 1000, text="", evaluated=30),
        _record(2, "newline", None, 1000, cancelled=True),  # never answered: censored at 1000 ms
        _record(3, None, 80, 125, evaluated=20),
        _record(4, None, 200, 125, cancelled=True),  # answered after the next key despite the cancel
        _record(5, None, None, 125, cancelled=True),
    ]
    s = bench.summarize(records)
    assert s["requests"] == 6 and s["answered"] == 4 and s["cancelled"] == 2 and s["errors"] == 0
    assert s["pauses"] == 3 and s["pause_unanswered"] == 1
    assert s["pause_p50_ms"] == pytest.approx(400) and s["pause_p95_ms"] == math.inf
    assert s["pause_p50_min_ms"] == pytest.approx(400) and s["pause_p95_min_ms"] == pytest.approx(1000)  # lower bound
    assert s["pause_fast_share"] == pytest.approx(1 / 3)
    assert s["pause_nonempty_share"] == pytest.approx(1 / 3)
    assert s["between_answered"] == 2
    assert s["between_p50_ms"] == pytest.approx(80) and s["between_p95_ms"] == pytest.approx(200)
    assert s["answered_before_next_key"] == pytest.approx(3 / 6)
    assert s["evaluated_tokens_mean"] == pytest.approx(20) and s["evaluated_tokens_p50"] == 20
    assert bench.fmt_ms(s["pause_p95_ms"], s["pause_p95_min_ms"]) == ">1000"


def test_ratios_know_when_they_are_bounds():
    value, relation = bench.ratio(30.0, 30.0, 300.0, 300.0)
    assert (value, relation) == (pytest.approx(0.1), "=") and bench.verdict(value, relation, 0.15) == "met"
    value, relation = bench.ratio(30.0, 30.0, math.inf, 1000.0)  # theirs only known to exceed 1000 ms
    assert (value, relation) == (pytest.approx(0.03), "<=") and bench.verdict(value, relation, 0.15) == "met"
    assert bench.verdict(*bench.ratio(300.0, 300.0, math.inf, 1000.0), 0.15) == "undetermined"
    value, relation = bench.ratio(math.inf, 500.0, 1000.0, 1000.0)  # ours only known to exceed 500 ms
    assert (value, relation) == (pytest.approx(0.5), ">=") and bench.verdict(value, relation, 0.3) == "missed"
    assert bench.ratio(math.inf, 500.0, math.inf, 900.0)[1] == ""
    assert bench.ratio(30.0, 30.0, math.nan, math.nan)[1] == ""


def test_formatting():
    assert bench.fmt_share(0.304) == "30%" and bench.fmt_share(math.nan) == "-"
    assert bench._finite({"a": [math.nan, 1.0, math.inf]}) == {"a": [None, 1.0, None]}
    lines = bench.table({"ours": bench.summarize([_record(0, "space", 50, 300)])}, {"ours": 512.0})
    assert lines[0].split() == ["ours"] and any(line.startswith("peak RSS") and line.endswith("512") for line in lines)


def test_other_load_is_the_share_of_cpu_not_used_by_the_measured_processes():
    import os

    ticks, cpus = os.sysconf("SC_CLK_TCK"), os.cpu_count() or 1
    before = (10.0, 1000, 50)
    assert bench.other_load(before, (12.0, 1000 + 2 * ticks * cpus, 50)) == pytest.approx(1.0)  # all someone else's
    assert bench.other_load(before, (12.0, 1000 + ticks, 50 + ticks)) == pytest.approx(0.0)  # all ours
    assert bench.other_load((10.0, 0, 0), (12.0, 0, 0)) is None


# ---- replay --------------------------------------------------------------------------------


class _SlowDriver:
    """Answers every request ``delay_s`` after it was sent; records when keys arrive."""

    name = "slow"

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s

    async def begin(self, task) -> None:
        pass

    def key(self, record, before, start, inserted, after, cursor) -> None:
        import time

        record.sent = time.perf_counter()

    def pending(self, record) -> bool:
        import time

        if time.perf_counter() - record.sent < self.delay_s:
            return True
        record.answered = record.answered or record.sent + self.delay_s
        return False

    def cancel(self, record) -> None:
        pass

    async def end(self, task) -> None:
        pass


def _typing_task(typed: str):
    return bench.Task("m.py", "f", 1, 1, typed, "", 0, typed)


@pytest.mark.parametrize("pause_wait_s, waits", [(0.0, False), (5.0, True)])
async def test_replay_waits_at_pauses_for_the_answer_when_asked(pause_wait_s, waits):
    keys = bench.keystrokes("a b")
    times = bench.schedule(keys, 1000.0, 0.01, 0.01)
    records = await bench.replay(_SlowDriver(0.3), _typing_task("a b"), keys, times, 0.0, pause_wait_s)
    space, after = records[1], records[2]
    assert space.pause == "space"
    assert (after.sent - space.sent >= 0.3) is waits
    # Without waiting the pause request is cancelled at the next key: it has no latency.
    assert (space.latency_ms is not None) is waits
