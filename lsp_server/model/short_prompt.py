"""The short prompt that answers first where the full one would take too long to evaluate."""

from __future__ import annotations

from dataclasses import replace

from lsp_server.model.backend import GenerationRequest
from lsp_server.model.speed import MachineSpeed
from lsp_server.prompting.budget import TEMPLATE_MARGIN_TOKENS

# Where the full prompt would take too long to evaluate, a short one answers first: the lines around
# the cursor, as many as evaluate in this long (and within the request's budget), but never fewer
# tokens than the floor.
_SHORT_PROMPT_S = 2.0
_SHORT_PROMPT_MIN_TOKENS = 48
# The short prompt's size moves in steps of this many tokens, so that the one at a place comes back
# the same (and its KV with it) while the measured speed moves a little.
_SHORT_PROMPT_STEP = 64


def short_room(request: GenerationRequest, speed: MachineSpeed, budget_s: float) -> int:
    """The short prompt's tokens: as many as evaluate within the short prompt's time and ``budget_s``, in steps."""
    room = speed.prompt_tokens_within(min(budget_s, _SHORT_PROMPT_S)) - TEMPLATE_MARGIN_TOKENS
    room = room // _SHORT_PROMPT_STEP * _SHORT_PROMPT_STEP  # the same size as the speed estimate wavers
    return max(_SHORT_PROMPT_MIN_TOKENS, min(room, request.prefix_tokens + request.suffix_tokens))


def short_request(
    request: GenerationRequest, speed: MachineSpeed, budget_s: float, room: int | None = None
) -> GenerationRequest:
    """The request with only the lines around the cursor: ``room`` tokens of them, by default ``short_room``'s."""
    if room is None:
        room = short_room(request, speed, budget_s)
    suffix = min(request.suffix_tokens, room // 4)
    return replace(
        request,
        prefix_tokens=room - suffix,
        suffix_tokens=suffix,
        context=(),
        context_tokens=0,
        repo_name=None,
        path=None,
    )
