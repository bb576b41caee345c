"""The llama.cpp backend with the real 0.5B coder: prompt encoding, FIM detection, cancel, budget."""

from __future__ import annotations

import threading

import pytest

from lsp_server.completion.postprocess import clean_completion, repeats_code_below
from lsp_server.model.backend import GenerationRequest, StopReason, TextRequest
from lsp_server.model.kv_snapshots import KvSnapshots
from lsp_server.model.llama_decode import MAX_RESTARTS

pytestmark = pytest.mark.slow


def test_fim_family_and_stop_tokens_come_from_the_vocabulary(backend):
    assert backend.template.family == "qwen"
    assert backend.template.repo_name_token == "<|repo_name|>"
    assert backend.has_special_token("<|fim_middle|>")
    assert not backend.has_special_token("<|not_a_token|>")
    assert not backend.has_special_token("return")


def test_prompt_markers_are_special_tokens_and_user_text_never_is(backend):
    fim_suffix = backend._tokenize("<|fim_suffix|>", special=True)[0]
    tokens = backend.encode_prompt('s = "<|fim_suffix|>"\n', "\nprint(s)\n", None, None)
    assert tokens.count(fim_suffix) == 1, "a marker typed in the code must stay plain text"
    expected = [backend._tokenize(m, special=True)[0] for m in ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>")]
    markers = [t for t in tokens if t in expected]
    assert markers == expected
    assert tokens[-1] == expected[-1]


def test_prompt_is_cut_to_the_token_budget(backend):
    prefix = "".join(f"value_{i} = {i}\n" for i in range(3000))
    request = GenerationRequest(prefix=prefix, suffix="", max_tokens=1, prefix_tokens=200, suffix_tokens=50)
    result = backend.complete(request, threading.Event())
    assert result.prompt_tokens <= 200 + 50 + 8
    assert "value_2999 = 2999" in result.prompt and "value_0 = 0\n" not in result.prompt


def test_second_identical_prompt_reuses_the_kv_cache(backend):
    request = GenerationRequest(
        prefix="def square(x):\n    return", suffix="\n", max_tokens=4, prefix_tokens=500, suffix_tokens=100
    )
    backend.complete(request, threading.Event())
    again = backend.complete(request, threading.Event())
    assert again.evaluated_tokens <= 1


def test_going_back_to_a_place_restores_its_kv_instead_of_evaluating_it_again(backend):
    place_a = (
        "".join(f"def area_{i}(w, h):\n    return w * h * {i}\n\n" for i in range(40)) + "def total(items):\n    return"
    )
    place_b = "".join(f"class Shape{i}:\n    sides = {i}\n\n" for i in range(40)) + "class Last:\n    sides ="

    def ask(prefix: str):
        request = GenerationRequest(prefix=prefix, suffix="\n", max_tokens=8, prefix_tokens=1500, suffix_tokens=50)
        return backend.complete(request, threading.Event())

    first = ask(place_a)
    ask(place_b)
    assert ask(place_a).evaluated_tokens > 300, "without snapshots the whole prompt is evaluated again"
    backend.snapshots = KvSnapshots(256 * 2**20)
    try:
        ask(place_b)
        back = ask(place_a)
        saved = len(backend.snapshots)
    finally:
        backend.snapshots = None
    assert saved == 2  # each place was saved when the other one took the KV
    assert back.restored_tokens > 300 and back.evaluated_tokens <= 2
    assert back.text == first.text


def test_a_cold_place_over_the_budget_answers_from_a_short_prompt_and_a_warm_one_never_does(backend):
    prefix = (
        "".join(f"def scale_{i}(x):\n    return x * {i}\n\n" for i in range(150)) + "def scale_150(x):\n    return x *"
    )
    context = (("helpers.py", "".join(f"LIMIT_{i} = {i}\n" for i in range(20))),)

    def ask(budget_s: float | None, text: str = prefix):
        request = GenerationRequest(
            prefix=text,
            suffix="\n",
            max_tokens=6,
            prefix_tokens=1400,
            suffix_tokens=50,
            context=context,
            context_tokens=300,
            path="scales.py",
            eval_budget_s=budget_s,
        )
        return backend.complete(request, threading.Event())

    assert backend.speed.prompt_tps > 0 and backend.speed.generation_tps > 0
    budget_s = backend.speed.prompt_seconds(300)  # the full prompt needs about six times as long
    short = ask(budget_s)
    assert short.short_prompt and short.text.strip()
    assert 48 <= short.prompt_tokens <= 300 and "scale_150" in short.prompt
    assert "LIMIT_" not in short.prompt and "scale_0(" not in short.prompt
    # Within a budget that fits the full prompt, the short one still answers: it is in the KV, and the
    # full one would keep the user waiting seconds longer.
    again = ask(backend.speed.prompt_seconds(3000))
    assert again.short_prompt and again.evaluated_tokens <= 2
    full = ask(None)
    assert not full.short_prompt and full.prompt_tokens > 1200 and "LIMIT_19" in full.prompt
    # The full prompt is in the KV now: within the same budget it costs nothing to evaluate.
    warm = ask(budget_s)
    assert not warm.short_prompt and warm.evaluated_tokens <= 1
    # A cold place within a budget that fits its full prompt: the full prompt answers (the short one
    # would need evaluating too).
    elsewhere = ask(backend.speed.prompt_seconds(3000), prefix.replace("scale_", "grow_"))
    assert not elsewhere.short_prompt and elsewhere.prompt_tokens > 1200


def test_cancel_during_prompt_evaluation_stops_the_decode(backend):
    prefix = "".join(f"def function_{i}(a, b):\n    return a * {i} + b\n\n" for i in range(120))
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    result = backend.complete(
        GenerationRequest(prefix=prefix, suffix="", max_tokens=64, prefix_tokens=1500, suffix_tokens=0), cancel
    )
    assert result.stop_reason == "cancelled"
    assert result.generated_tokens == 0
    # The backend still works after an aborted decode.
    after = backend.complete(
        GenerationRequest(prefix="x = 1\ny = ", suffix="\n", max_tokens=3, prefix_tokens=100, suffix_tokens=20),
        threading.Event(),
    )
    assert after.stop_reason in ("max_tokens", "stop_token") and after.prompt_tokens > 0


def test_typed_lines_go_after_the_middle_marker_and_typing_only_appends(backend):
    prefix = "def area(width, height):\n    result = width"
    suffix = "\n    return result\n"
    first = backend.complete(
        GenerationRequest(
            prefix=prefix,
            suffix=suffix,
            max_tokens=2,
            prefix_tokens=500,
            suffix_tokens=100,
            middle_chars=len("    result = width"),
        ),
        threading.Event(),
    )
    # " width" is the cursor's token: healed, it is taken off the prompt and spelled by the model.
    assert first.prompt.endswith("<|fim_middle|>    result =")
    assert "<|fim_suffix|>\n    return result\n<|fim_middle|>" in first.prompt
    typed = prefix + " *"
    second = backend.complete(
        GenerationRequest(
            prefix=typed,
            suffix=suffix,
            max_tokens=2,
            prefix_tokens=500,
            suffix_tokens=100,
            middle_chars=len("    result = width *"),
        ),
        threading.Event(),
    )
    assert second.evaluated_tokens <= 3 < second.prompt_tokens


def test_typing_inside_a_word_keeps_the_healed_prompt(backend):
    suffix = "\n    return result\n"
    requests = [
        GenerationRequest(
            prefix=f"def area(width, height):\n    result = {word}",
            suffix=suffix,
            max_tokens=3,
            prefix_tokens=500,
            suffix_tokens=100,
            middle_chars=len(f"    result = {word}"),
        )
        for word in ("wid", "widt")
    ]
    first = backend.complete(requests[0], threading.Event())
    second = backend.complete(requests[1], threading.Event())
    assert first.prompt == second.prompt and first.prompt.endswith("<|fim_middle|>    result =")
    assert second.evaluated_tokens <= 1
    assert first.text.startswith("th") and second.text.startswith("h"), (first.text, second.text)


def test_a_window_that_moves_forward_reuses_the_shifted_cache(backend):
    lines = [f"value_{i} = compute({i}, factor={i % 7})\n" for i in range(110)]

    def request(start: int) -> GenerationRequest:
        return GenerationRequest(
            prefix="".join(lines[start:]), suffix="", max_tokens=1, prefix_tokens=5000, suffix_tokens=0
        )

    backend.complete(request(0), threading.Event())
    moved = backend.complete(request(32), threading.Event())
    assert moved.prompt_tokens > 800
    assert moved.evaluated_tokens < 0.05 * moved.prompt_tokens


def test_the_window_starts_on_a_line_step(backend):
    prefix = "".join(f"line_{i} = {i}\n" for i in range(100)) + "x = "

    def first_line(prefix_tokens: int) -> int:
        request = GenerationRequest(
            prefix=prefix,
            suffix="",
            max_tokens=1,
            prefix_tokens=prefix_tokens,
            suffix_tokens=0,
            prefix_first_line=0,
            prefix_line_step=32,
        )
        kept = backend.complete(request, threading.Event()).prompt.split("<|fim_prefix|>", 1)[1]
        return 100 - kept.count("\n")

    assert first_line(600) % 32 == 0  # a long window starts on the 32-line step
    short = first_line(200)  # a short one on an 8-line step rather than losing most of its lines
    assert short % 8 == 0 and 100 - short > 8


def test_a_trailing_space_is_not_doubled(backend):
    # "    x = " tokenizes as "   " + " x" + " =" + " "; healed, the model's " value" is not "  value".
    request = GenerationRequest(
        prefix="def area(width, height):\n    result = ",
        suffix="\n    return result\n",
        max_tokens=6,
        prefix_tokens=500,
        suffix_tokens=100,
        middle_chars=len("    result = "),
    )
    result = backend.complete(request, threading.Event())
    assert result.prompt.endswith("<|fim_middle|>    result =")
    assert result.text and not result.text.startswith(" ")
    indented = GenerationRequest(
        prefix="def area(width, height):\n    ",
        suffix="\n",
        max_tokens=4,
        prefix_tokens=500,
        suffix_tokens=100,
        middle_chars=4,
    )
    answer = backend.complete(indented, threading.Event())
    assert answer.text.strip() and not answer.text.startswith(" ")


def test_a_changed_context_answers_from_the_context_in_the_kv_until_the_new_one_is_in(backend):
    prefix = (
        "".join(f"def scale_{i}(x):\n    return x * {i}\n\n" for i in range(60)) + "def scale_60(x):\n    return x *"
    )
    helpers = ("helpers.py", "".join(f"LIMIT_{i} = {i}\n" for i in range(20)))
    shapes = ("shapes.py", "".join(f"SIDES_{i} = {i}\n" for i in range(20)))

    def ask(context, budget_s):
        request = GenerationRequest(
            prefix=prefix,
            suffix="\n",
            max_tokens=4,
            prefix_tokens=1400,
            suffix_tokens=50,
            context=context,
            context_tokens=600,
            path="scales.py",
            eval_budget_s=budget_s,
        )
        return backend.complete(request, threading.Event())

    first = ask((helpers,), None)
    assert "LIMIT_19" in first.prompt and first.prompt_tokens > 900
    # The context grew ahead of the document's ~800 tokens: within a budget that cannot evaluate them
    # again, the prompt with the context already in the KV answers, at the cost of a token or two.
    grown = ask((helpers, shapes), backend.speed.prompt_seconds(200))
    assert grown.short_prompt and grown.prompt_tokens == first.prompt_tokens and grown.evaluated_tokens <= 2
    assert "LIMIT_19" in grown.prompt and "SIDES_" not in grown.prompt
    filled = ask((helpers, shapes), None)  # the fill-in
    assert not filled.short_prompt and "SIDES_19" in filled.prompt
    # Back to the old context: a chunk dropped is a KV shift, the full prompt answers at once.
    back = ask((helpers,), backend.speed.prompt_seconds(200))
    assert not back.short_prompt and "SIDES_" not in back.prompt and back.evaluated_tokens <= 2


def test_prompt_lookup_gives_the_greedy_text_in_fewer_steps_and_markers_stay_special(backend):
    region = "def total(items, tax_rate):\n    subtotal = sum(items)\n    return subtotal * rate\n"
    parts = (
        ("<|file_sep|>", True),
        ("shop.py.diff\noriginal:\ndef total(items, rate):\nupdated:\ndef total(items, tax_rate):\n", False),
        ("<|file_sep|>", True),
        (f"current/shop.py\n{region}", False),
        ("<|file_sep|>", True),
        ("updated/shop.py\n", False),
    )
    plain = backend.generate(TextRequest(parts, max_tokens=60, draft=0), threading.Event())
    steps: list[int] = []
    decode = backend._llm._ctx.decode
    backend._llm._ctx.decode = lambda batch: (steps.append(1), decode(batch))[1]
    try:
        copied = backend.generate(TextRequest(parts, max_tokens=60, draft=8), threading.Event())
    finally:
        backend._llm._ctx.decode = decode
    assert copied.text == plain.text and copied.generated_tokens == plain.generated_tokens > 10, (plain, copied)
    assert len(steps) < copied.generated_tokens / 2, (len(steps), copied.generated_tokens)  # drafts were kept
    assert plain.prompt.count("<|file_sep|>") == 3 and plain.prompt_tokens < len(plain.prompt) // 2


def test_a_right_guess_is_checked_in_one_batch_and_a_wrong_one_changes_nothing(backend):
    then = "def total(items, rate):\n    subtotal = sum(items)\n    return subtotal * rate\n"
    now = "def total(items, tax_rate):\n"
    parts = (("<|file_sep|>", True), (f"shop.py\n{then}", False), ("<|file_sep|>", True), (f"shop.py\n{now}", False))
    plain = backend.generate(TextRequest(parts, max_tokens=40, draft=0), threading.Event())
    assert plain.text.startswith("    subtotal = sum(items)\n    return"), plain.text
    right = plain.text[: plain.text.index("\n", plain.text.index("return")) + 1]

    def stops_at_return(text: str) -> bool:
        return "return" in text and text.endswith("\n")

    steps: list[int] = []
    decode = backend._llm._ctx.decode
    backend._llm._ctx.decode = lambda batch: (steps.append(batch.n_tokens()), decode(batch))[1]
    try:
        guessed = backend.generate(
            TextRequest(parts, max_tokens=40, guess=right, should_stop=stops_at_return), threading.Event()
        )
        decodes = len(steps)
        wrong = backend.generate(
            TextRequest(parts, max_tokens=40, guess=right.replace("subtotal", "total"), should_stop=stops_at_return),
            threading.Event(),
        )
    finally:
        backend._llm._ctx.decode = decode
    assert guessed.text == wrong.text == right, (guessed.text, wrong.text, right)
    assert guessed.stop_reason is wrong.stop_reason is StopReason.STOP_CHECK
    # The prompt in its batches, then one batch holding the whole guess: every token kept.
    assert decodes <= 3 and guessed.generated_tokens > 10, (steps, guessed.generated_tokens)


def _mean_request(**refusal) -> GenerationRequest:
    return GenerationRequest(
        prefix="def mean(values):\n    ",
        suffix=MEAN_BELOW,
        max_tokens=32,
        prefix_tokens=500,
        suffix_tokens=100,
        middle_chars=4,
        **refusal,
    )


MEAN_BELOW = "\n    return sum(values) / len(values)\n"


def test_an_answer_that_repeats_the_line_below_is_generated_again_from_another_start(backend):
    plain = backend.complete(_mean_request(), threading.Event())
    # The greedy answer writes the line below the cursor again, which the post-processing drops: no ghost text.
    assert plain.text.startswith("return sum(values) / len(values)\n"), plain.text
    assert clean_completion(plain.text, prefix="def mean(values):\n    ", suffix=MEAN_BELOW, multiline=True) == ""
    again = backend.complete(
        _mean_request(repeats_code_below=repeats_code_below("    ", MEAN_BELOW)), threading.Event()
    )
    shown = clean_completion(again.text, prefix="def mean(values):\n    ", suffix=MEAN_BELOW, multiline=True)
    assert shown.strip() and not shown.startswith("return sum(values)"), again.text
    assert again.evaluated_tokens <= 1, again  # the restart reuses the prompt's KV
    # The KV holds the prompt and nothing of the refused answers: the plain request answers as before.
    assert backend.complete(_mean_request(), threading.Event()).text == plain.text


def test_restarts_stop_after_the_cap_and_the_last_answer_stands(backend):
    plain = backend.complete(_mean_request(), threading.Event())
    refused: list[str] = []

    def refuses_any_line(text: str) -> bool:
        if "\n" in text:
            refused.append(text.split("\n", 1)[0])
            return True
        return False

    last = backend.complete(_mean_request(repeats_code_below=refuses_any_line), threading.Event())
    first_lines = [*dict.fromkeys(refused), last.text.split("\n", 1)[0]]
    assert first_lines[0] == plain.text.split("\n", 1)[0]
    assert len(first_lines) == 1 + MAX_RESTARTS and len(set(first_lines)) == len(first_lines), (refused, last.text)
    assert "\n" in last.text  # the last attempt is not checked any more
