"""Prompt layout: redaction at line boundaries, window steps, the forced middle, context budget."""

from lsp_server.completion.layout import DocumentSnapshot, build_request
from lsp_server.settings import Settings


def _request(text: str, **settings):
    return build_request(DocumentSnapshot("file:///m.py", text, 1), len(text), Settings(**settings), 4096, True, None)


def test_huge_document_window_starts_at_a_step_line_and_is_redacted():
    secret = 'API_TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"\n'
    text = "a = 1\n" * 20000 + secret + "b = "
    request = _request(text)
    assert len(request.prefix) <= 32_000
    assert request.prefix.startswith("a = 1\n") and request.prefix.endswith("b = ")
    assert request.prefix_first_line % 32 == 0 and request.prefix_line_step == 32
    assert "ghp_16C7e42F292c6912E7710c838347Ae178B4a" not in request.prefix
    assert 'API_TOKEN = "<redacted>"' in request.prefix


def test_lines_typed_since_the_last_step_line_become_the_middle():
    lines = [f"x{i} = {i}" for i in range(19)]  # the cursor is on line 18; 16 is the step line
    text = "\n".join(lines) + "\nresult = x1"
    request = _request(text)
    middle = request.prefix[len(request.prefix) - request.middle_chars :]
    assert middle == "x16 = 16\nx17 = 17\nx18 = 18\nresult = x1"


def test_middle_lines_sets_the_step():
    lines = [f"x{i} = {i}" for i in range(19)]
    text = "\n".join(lines) + "\nresult = x1"
    assert _request(text, middle_lines=1).prefix.endswith("\nresult = x1")
    assert _request(text, middle_lines=1).middle_chars == len("result = x1")
    assert _request(text, middle_lines=5).middle_chars == len("x15 = 15\nx16 = 16\nx17 = 17\nx18 = 18\nresult = x1")


def test_the_middle_stays_anchored_while_typing_on_the_same_lines():
    text = "\n".join(f"y{i} = {i}" for i in range(10)) + "\nz = "
    first, second = _request(text), _request(text + "y9 +")
    assert (
        second.prefix[: len(second.prefix) - second.middle_chars]
        == first.prefix[: len(first.prefix) - first.middle_chars]
    )


def test_context_budget_leaves_room_for_the_local_window_and_generation():
    asked = []
    request = build_request(
        DocumentSnapshot("file:///m.py", "x = ", 1),
        4,
        Settings(context_tokens=100000),
        4096,
        False,
        lambda uri, text, offset, budget, local: asked.append(local),
    )
    assert request.context_tokens + request.prefix_tokens + request.suffix_tokens + request.max_tokens <= 4096
    # The context is told how far around the cursor the local window reaches (about 4 characters a token).
    assert asked == [(request.prefix_tokens * 4, request.suffix_tokens * 4)]
    off = _request("x = ", repo_context=False)
    assert off.context_tokens == 0


def _context_budget(text: str, offset: int, **settings) -> int | None:
    """The budget the layout asks the context provider for; None when it does not ask."""
    asked = []
    build_request(
        DocumentSnapshot("file:///m.py", text, 1),
        offset,
        Settings(**settings),
        4096,
        False,
        lambda uri, text, offset, budget, local: asked.append(budget),
    )
    return asked[0] if asked else None


def test_repository_context_only_gets_the_room_the_document_leaves():
    short = "x = 1\n" * 100  # 600 characters, about 150 tokens of a 2,048-token window
    assert _context_budget(short, len(short), max_prompt_tokens=2048, context_tokens=4096) == 1792
    assert _context_budget(short, len(short), max_prompt_tokens=2048, context_tokens=512) == 512
    # By default a short file's room gets no more context than a long file's floor (more did worse, README).
    assert _context_budget(short, len(short)) == Settings().context_floor_tokens
    long = "value = compute(1)\n" * 2000  # 38,000 characters fill the window on either side
    assert _context_budget(long, len(long) // 2, max_prompt_tokens=2048, context_floor_tokens=0) is None
    # At either end of a long file the window holds only one side of the cursor.
    assert _context_budget(long, len(long), max_prompt_tokens=2048, context_tokens=4096) == 512
    assert _context_budget(long, 0, max_prompt_tokens=2048, context_tokens=4096) == 1536


def test_a_long_document_gives_the_context_floor_from_its_own_window():
    long = "value = compute(1)\n" * 2000
    middle = len(long) // 2
    assert _context_budget(long, middle, max_prompt_tokens=2048) == Settings().context_floor_tokens == 256
    asked = []
    request = build_request(
        DocumentSnapshot("file:///m.py", long, 1),
        middle,
        Settings(max_prompt_tokens=2048, context_floor_tokens=256),
        4096,
        False,
        lambda uri, text, offset, budget, local: asked.append(local),
    )
    # The prompt keeps its size: the floor comes out of the document's window, which the context is told.
    assert request.context_tokens + request.prefix_tokens + request.suffix_tokens == 2048
    assert asked == [(request.prefix_tokens * 4, request.suffix_tokens * 4)]
    # Where the document leaves more room than the floor, the floor takes nothing from it.
    short = "x = 1\n" * 100
    assert (
        _context_budget(short, len(short), max_prompt_tokens=2048, context_tokens=1024, context_floor_tokens=256)
        == 1024
    )
    assert _request(long[:middle], context_floor_tokens=256).prefix_tokens == _request(long[:middle]).prefix_tokens


def test_typing_does_not_move_the_context_budget_until_a_step_is_crossed():
    text = "x = 1\n" * 300
    budgets = {
        _context_budget(text + "y" * typed, len(text) + typed, max_prompt_tokens=2048, context_tokens=4096)
        for typed in range(0, 40)
    }
    assert len(budgets) == 1


def test_a_slow_machines_prompt_cap_bounds_the_window_and_the_context():
    text = "a = 1\n" * 5000 + "b = "
    full, capped = (
        _request(text),
        build_request(DocumentSnapshot("file:///m.py", text, 1), len(text), Settings(), 4096, True, None, 768),
    )
    assert full.prefix_tokens + full.suffix_tokens == Settings().max_prompt_tokens
    assert capped.prefix_tokens + capped.suffix_tokens == 768
    short = "x = 1\n" * 100
    asked = []
    build_request(
        DocumentSnapshot("file:///m.py", short, 1),
        len(short),
        Settings(context_tokens=4096),
        4096,
        False,
        lambda uri, text, offset, budget, local: asked.append(budget),
        768,
    )
    assert 0 < asked[0] <= 768 - 100
