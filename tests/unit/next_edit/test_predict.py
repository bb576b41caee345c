"""One prediction with a scripted model: which prompt each region gets, and the answer read back into the text."""

from __future__ import annotations

from lsp_server.model.backend import ChatRequest, GenerationResult, StopReason, TextRequest
from lsp_server.next_edit.history import Edit
from lsp_server.next_edit.predict import predict

BEFORE = "def total(items, rate):\n    subtotal = sum(items)\n    return subtotal * rate\n"
RENAMED = BEFORE.replace("items, rate", "items, tax_rate")
RENAME = Edit(0, ("def total(items, rate):",), ("def total(items, tax_rate):",))


async def _predict(text: str, edit: Edit, before: str, answer: str, prompts: list[str]):
    async def ask(request: TextRequest | ChatRequest) -> GenerationResult:
        assert isinstance(request, TextRequest)
        prompts.append(request.prompt)
        return GenerationResult(answer, request.prompt, 9, 9, 3, 1.0, 2.0, StopReason.STOP_CHECK)

    return await predict(
        ask,
        path="shop.py",
        language="python",
        text=text,
        edits=[edit],
        before_last=before,
        prompt_format="versions",
        file_sep="<|file_sep|>",
    )


async def test_the_uses_of_a_renamed_name_get_the_versions_prompt_and_the_answer_is_the_rest_of_the_region():
    prompts: list[str] = []
    predicted = await _predict(
        RENAMED, RENAME, BEFORE, "    subtotal = sum(items)\n    return subtotal * tax_rate\n", prompts
    )
    assert prompts == [f"<|file_sep|>shop.py\n{BEFORE}<|file_sep|>shop.py\ndef total(items, tax_rate):\n"]
    assert predicted is not None and predicted.change.new_text == "tax_"
    assert predicted.answer == RENAMED.replace("* rate", "* tax_rate")


async def test_the_lines_after_an_edit_without_uses_get_sweeps_blocks():
    added = "def total(items, fee):\n    subtotal = sum(items)\n    return subtotal\n"
    edit = Edit(0, ("def total(items):",), ("def total(items, fee):",))
    prompts: list[str] = []
    answer = "    subtotal = sum(items) + fee\n    return subtotal\n"
    predicted = await _predict(added, edit, added.replace(", fee", ""), answer, prompts)
    assert len(prompts) == 1 and "current/shop.py\n    subtotal = sum(items)\n" in prompts[0]
    assert predicted is not None and predicted.change.new_text == " + fee"


async def test_the_uses_of_a_name_taken_away_without_a_new_one_get_sweeps_blocks():
    text = "import sys\n\nWINDOWS = platform.system() == 'Windows'\n"
    removal = Edit(0, ("import platform", "import sys"), ("import sys",))
    prompts: list[str] = []
    await _predict(text, removal, "import platform\n" + text, "WINDOWS = sys.platform == 'win32'\n", prompts)
    assert prompts and all("current/shop.py\n" in prompt for prompt in prompts)
