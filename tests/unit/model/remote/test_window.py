"""fit_request: the typed middle apart, a held-back space, budgets by estimate, context that fits."""

from lsp_server.model.backend import GenerationRequest
from lsp_server.model.remote.window import fit_request
from lsp_server.prompting.budget import estimate_tokens


def _request(**kwargs) -> GenerationRequest:
    base = dict(prefix="a = 1\nb = 2\nc = ", suffix="\nd = 4\n", max_tokens=8, prefix_tokens=100, suffix_tokens=50)
    return GenerationRequest(**{**base, **kwargs})


def test_the_typed_middle_is_split_off_for_fim():
    window = fit_request(_request(middle_chars=4), uses_fim=True, split_middle=True)
    assert window.prefix == "a = 1\nb = 2\n" and window.middle == "c =" and window.healed == " "
    assert window.suffix == "\nd = 4\n"


def test_a_server_that_can_constrain_the_answer_gets_the_word_held_back():
    window = fit_request(
        _request(prefix="x = os.path.jo", middle_chars=14), uses_fim=True, split_middle=True, heal_words=True
    )
    assert window.healed == "jo" and window.middle == "x = os.path."
    assert (
        fit_request(_request(prefix="f(a, b", middle_chars=6), uses_fim=True, split_middle=True, heal_words=True).healed
        == " b"
    )
    assert (
        fit_request(_request(prefix="f(", middle_chars=2), uses_fim=True, split_middle=True, heal_words=True).healed
        == "("
    )
    assert (
        fit_request(
            _request(prefix="a = 1\n", middle_chars=0), uses_fim=True, split_middle=True, heal_words=True
        ).healed
        == ""
    )


def test_without_fim_there_is_no_suffix_and_no_middle():
    window = fit_request(_request(middle_chars=4), uses_fim=False, split_middle=True)
    assert window.middle == "" and window.suffix == "" and window.prefix == "a = 1\nb = 2\nc ="


def test_the_prefix_is_cut_to_its_estimated_budget_by_whole_lines():
    prefix = "".join(f"line_{i} = {i}\n" for i in range(100))
    window = fit_request(_request(prefix=prefix, prefix_tokens=30), uses_fim=True, split_middle=False)
    assert estimate_tokens(window.prefix) <= 30 and window.prefix.endswith("line_99 = 99\n")
    assert window.prefix.startswith("line_")


def test_context_chunks_are_kept_while_they_fit():
    chunks = (("a.py", "x" * 30), ("b.py", "y" * 30), ("c.py", "z" * 300))
    window = fit_request(_request(context=chunks, context_tokens=40), uses_fim=True, split_middle=False)
    assert [path for path, _ in window.context] == ["a.py", "b.py"]
