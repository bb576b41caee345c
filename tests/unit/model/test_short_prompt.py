"""The short prompt: sized by the machine's speed in steps, never under the floor, no repository context."""

from lsp_server.model.backend import GenerationRequest
from lsp_server.model.short_prompt import short_request
from lsp_server.model.speed import MachineSpeed
from lsp_server.prompting.budget import TEMPLATE_MARGIN_TOKENS

REQUEST = GenerationRequest(
    prefix="x = 1\n",
    suffix="\n",
    max_tokens=32,
    prefix_tokens=1536,
    suffix_tokens=512,
    repo_name="repo",
    path="a.py",
    context=(("b.py", "y = 2\n"),),
    context_tokens=256,
)


def test_the_short_prompt_holds_what_evaluates_in_two_seconds_in_steps_of_64_without_context():
    short = short_request(REQUEST, MachineSpeed(prompt_tps=100.0, generation_tps=20.0), budget_s=10.0)
    room = (200 - TEMPLATE_MARGIN_TOKENS) // 64 * 64
    assert short.prefix_tokens + short.suffix_tokens == room and short.suffix_tokens == room // 4
    assert (short.context, short.context_tokens, short.repo_name, short.path) == ((), 0, None, None)
    assert short.prefix == REQUEST.prefix and short.max_tokens == REQUEST.max_tokens


def test_a_tight_budget_or_a_slow_machine_still_gets_the_floor_and_a_fast_one_no_more_than_asked():
    slow = short_request(REQUEST, MachineSpeed(prompt_tps=5.0, generation_tps=1.0), budget_s=10.0)
    assert slow.prefix_tokens + slow.suffix_tokens == 48
    fast = short_request(REQUEST, MachineSpeed(prompt_tps=10_000.0, generation_tps=100.0), budget_s=10.0)
    assert fast.prefix_tokens + fast.suffix_tokens == REQUEST.prefix_tokens + REQUEST.suffix_tokens
    tight = short_request(REQUEST, MachineSpeed(prompt_tps=100.0, generation_tps=20.0), budget_s=1.0)
    assert tight.prefix_tokens + tight.suffix_tokens == (100 - TEMPLATE_MARGIN_TOKENS) // 64 * 64
