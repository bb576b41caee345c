"""Typing-through cache: hits when the user types what was suggested, misses otherwise."""

from lsp_server.completion.cache import Cached, TypingThroughCache

PREFIX = "def area(width, height):\n    "
SUFFIX = "\n\n\nprint(area(2, 3))\n"


def test_typing_the_start_of_a_suggestion_returns_the_rest():
    cache = TypingThroughCache()
    cache.put("file:///a.py", PREFIX, SUFFIX, "return width * height\n")
    assert cache.lookup("file:///a.py", PREFIX + "ret", SUFFIX) == Cached("urn width * height\n", short=False)
    assert cache.lookup("file:///a.py", PREFIX, SUFFIX).rest == "return width * height\n"
    assert cache.hits == 2


def test_different_text_suffix_or_document_misses():
    cache = TypingThroughCache()
    cache.put("file:///a.py", PREFIX, SUFFIX, "return width * height\n")
    assert cache.lookup("file:///a.py", PREFIX + "x = ", SUFFIX) is None
    assert cache.lookup("file:///a.py", PREFIX + "ret", SUFFIX + "# changed\n") is None
    assert cache.lookup("file:///b.py", PREFIX + "ret", SUFFIX) is None
    assert cache.lookup("file:///a.py", "# edited above\n" + PREFIX + "ret", SUFFIX) is None
    assert cache.misses == 4


def test_typing_all_of_it_leaves_nothing_to_suggest():
    cache = TypingThroughCache()
    cache.put("file:///a.py", PREFIX, SUFFIX, "return 1")
    assert cache.lookup("file:///a.py", PREFIX + "return 1", SUFFIX) is None


def test_a_longer_continuation_replaces_a_shorter_one_but_not_the_reverse():
    cache = TypingThroughCache()
    cache.put("file:///a.py", PREFIX, SUFFIX, "return 1")
    cache.put("file:///a.py", PREFIX, SUFFIX, "return 1\n    # done")
    cache.put("file:///a.py", PREFIX, SUFFIX, "return 1")
    assert cache.lookup("file:///a.py", PREFIX + "return 1\n", SUFFIX).rest == "    # done"


def test_a_full_prompts_answer_replaces_a_short_prompts_even_when_shorter():
    cache = TypingThroughCache()
    cache.put("file:///a.py", PREFIX, SUFFIX, "return 1\n    # done", short=True)
    cache.put("file:///a.py", PREFIX, SUFFIX, "return 1", short=False)
    assert cache.lookup("file:///a.py", PREFIX + "ret", SUFFIX) == Cached("urn 1", short=False)
    cache.put("file:///a.py", PREFIX, SUFFIX, "return", short=True)
    assert cache.lookup("file:///a.py", PREFIX, SUFFIX) == Cached("return 1", short=False)


def test_the_newest_answer_the_typing_agrees_with_wins():
    cache = TypingThroughCache()
    cache.put("file:///a.py", PREFIX, SUFFIX, "return width * height", short=True)
    cache.put("file:///a.py", PREFIX + "ret", SUFFIX, "urn area", short=False)
    assert cache.lookup("file:///a.py", PREFIX + "return ", SUFFIX) == Cached("area", short=False)
    assert cache.lookup("file:///a.py", PREFIX + "return w", SUFFIX) == Cached("idth * height", short=True)


def test_capacity_is_bounded_and_forget_drops_a_document():
    cache = TypingThroughCache(capacity=2)
    for i in range(3):
        cache.put("file:///a.py", PREFIX + str(i), SUFFIX, "x")
    assert cache.lookup("file:///a.py", PREFIX + "0", SUFFIX) is None
    assert cache.lookup("file:///a.py", PREFIX + "2", SUFFIX).rest == "x"
    cache.forget("file:///a.py")
    assert cache.lookup("file:///a.py", PREFIX + "2", SUFFIX) is None


def test_continuations_are_every_different_rest_here_greedy_first_then_alternatives():
    cache = TypingThroughCache()
    cache.put("u", "x = ", "", "compute(a)")
    cache.put_alternative("u", "x = ", "", "compute(b)")
    cache.put_alternative("u", "x = ", "", "compute(a)")  # the same text twice counts once
    cache.put_alternative("u", "y = ", "", "other()")
    assert cache.continuations("u", "x = comp", "") == ["ute(a)", "ute(b)"]
    assert cache.lookup("u", "x = comp", "").rest == "ute(a)"  # the greedy one still answers first
    cache.forget("u")
    assert cache.continuations("u", "x = ", "") == []
