"""Tests for FIM templates and their detection from a model vocabulary."""

from __future__ import annotations

import pytest

from lsp_server.prompting.fim import FAMILIES, FimTemplate, detect_template, template_for_family

QWEN_VOCAB = {
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
}
CODEGEMMA_VOCAB = {
    "<bos>",
    "<eos>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|file_separator|>",
}
STARCODER_VOCAB = {
    "<|endoftext|>",
    "<fim_prefix>",
    "<fim_middle>",
    "<fim_suffix>",
    "<fim_pad>",
    "<repo_name>",
    "<file_sep>",
    "<filename>",
}
DEEPSEEK_VOCAB = {
    "<\uff5cbegin\u2581of\u2581sentence\uff5c>",
    "<\uff5cend\u2581of\u2581sentence\uff5c>",
    "<\uff5cfim\u2581begin\uff5c>",
    "<\uff5cfim\u2581hole\uff5c>",
    "<\uff5cfim\u2581end\uff5c>",
    "<|EOT|>",
}
CODELLAMA_VOCAB = {"<s>", "</s>", "<PRE>", "<SUF>", "<MID>", "<EOT>"}
CODESTRAL_VOCAB = {"<s>", "</s>", "[INST]", "[PREFIX]", "[SUFFIX]", "[MIDDLE]"}
SMOLLM_VOCAB = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}


def detect(vocab: set[str]) -> FimTemplate:
    return detect_template(vocab.__contains__)


def test_qwen_prompt_is_exact():
    t = template_for_family("qwen")
    assert t.build("def f():\n    ", "\n") == "<|fim_prefix|>def f():\n    <|fim_suffix|>\n<|fim_middle|>"


def test_qwen_repo_level_prompt_is_exact():
    t = template_for_family("qwen")
    got = t.build("P", "S", repo_name="demo", path="src/app.py")
    assert got == "<|repo_name|>demo\n<|file_sep|>src/app.py\n<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"


def test_repo_header_needs_both_repo_name_and_path():
    t = template_for_family("qwen")
    assert t.build("P", "S", repo_name="demo") == "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"
    assert t.build("P", "S", path="a.py") == "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"


def test_codegemma_prompt_and_stops():
    t = template_for_family("codegemma")
    assert t.build("P", "S") == "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"
    assert t.build("P", "S", repo_name="r", path="p") == "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"
    assert t.stop_tokens == ("<|file_separator|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<eos>")


def test_starcoder_prompt_exact_with_and_without_repo():
    t = template_for_family("starcoder")
    assert t.build("P", "S") == "<fim_prefix>P<fim_suffix>S<fim_middle>"
    assert t.build("P", "S", repo_name="r", path="a/b.py") == (
        "<repo_name>r\n<file_sep>a/b.py\n<fim_prefix>P<fim_suffix>S<fim_middle>"
    )
    assert "<file_sep>" in t.stop_tokens and "<|endoftext|>" in t.stop_tokens


def test_deepseek_prompt_uses_full_width_bars_and_block_char():
    t = template_for_family("deepseek")
    assert t.build("P", "S") == "<\uff5cfim\u2581begin\uff5c>P<\uff5cfim\u2581hole\uff5c>S<\uff5cfim\u2581end\uff5c>"
    assert t.stop_tokens == ("<\uff5cend\u2581of\u2581sentence\uff5c>", "<|EOT|>")


def test_codellama_prompt_keeps_its_spaces():
    t = template_for_family("codellama")
    assert t.build("def f(", "):") == "<PRE> def f( <SUF>): <MID>"
    assert t.stop_tokens == ("<EOT>", "</s>")


def test_codestral_is_suffix_first_without_middle_marker():
    t = template_for_family("codestral")
    assert t.suffix_first
    assert t.build("P", "S") == "[SUFFIX]S[PREFIX]P"
    assert set(t.stop_tokens) == {"</s>", "[PREFIX]", "[SUFFIX]", "[MIDDLE]"}


def test_none_family_prompt_is_prefix_only():
    t = template_for_family("none")
    assert not t.uses_fim
    assert not t.suffix_first
    assert t.build("import os\n", "ignored", repo_name="r", path="p") == "import os\n"
    assert t.stop_tokens == ("</s>", "<|endoftext|>", "<|im_end|>")


def test_every_fim_family_uses_fim():
    assert {name for name, t in FAMILIES.items() if t.uses_fim} == set(FAMILIES) - {"none"}


def test_template_for_family_is_case_insensitive_and_rejects_unknown():
    assert template_for_family(" Qwen ") is FAMILIES["qwen"]
    with pytest.raises(ValueError, match="unknown FIM family"):
        template_for_family("gpt-neo")


def test_templates_are_frozen():
    with pytest.raises(AttributeError):
        FAMILIES["qwen"].family = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("vocab", "family"),
    [
        (QWEN_VOCAB, "qwen"),
        (CODEGEMMA_VOCAB, "codegemma"),
        (STARCODER_VOCAB, "starcoder"),
        (DEEPSEEK_VOCAB, "deepseek"),
        (CODELLAMA_VOCAB, "codellama"),
        (CODESTRAL_VOCAB, "codestral"),
        (SMOLLM_VOCAB, "none"),
        (set(), "none"),
    ],
)
def test_detects_family_from_vocabulary(vocab, family):
    assert detect(vocab).family == family


def test_detected_qwen_keeps_repo_tokens_and_all_stops():
    t = detect(QWEN_VOCAB)
    assert t.repo_name_token == "<|repo_name|>" and t.file_sep_token == "<|file_sep|>"
    assert t.stop_tokens == FAMILIES["qwen"].stop_tokens
    assert t.build("P", "S", repo_name="r", path="x.py").startswith("<|repo_name|>r\n<|file_sep|>x.py\n")


def test_qwen_without_repo_tokens_builds_file_level_prompt():
    vocab = QWEN_VOCAB - {"<|repo_name|>"}
    t = detect(vocab)
    assert t.family == "qwen"
    assert t.repo_name_token is None and t.file_sep_token == "<|file_sep|>"
    assert t.build("P", "S", repo_name="r", path="x.py") == "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"
    assert "<|repo_name|>" not in t.stop_tokens


def test_qwen_detected_by_fim_pad_when_file_sep_is_missing():
    t = detect(QWEN_VOCAB - {"<|file_sep|>", "<|repo_name|>"})
    assert t.family == "qwen"
    assert t.file_sep_token is None and not t.repo_level


def test_stop_tokens_limited_to_vocabulary():
    t = detect(CODEGEMMA_VOCAB)
    assert t.stop_tokens == ("<|file_separator|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<eos>")
    t = detect(STARCODER_VOCAB - {"<file_sep>"})
    assert "<file_sep>" not in t.stop_tokens and t.file_sep_token is None
    assert t.stop_tokens[0] == "<|endoftext|>"


def test_none_template_keeps_only_known_end_tokens():
    assert detect(SMOLLM_VOCAB).stop_tokens == ("<|endoftext|>", "<|im_end|>")
    assert detect({"</s>"}).stop_tokens == ("</s>",)


def test_partial_markers_do_not_select_a_family():
    # A vocabulary with only some FIM markers cannot fill in the middle.
    assert detect({"<|fim_prefix|>", "<|fim_suffix|>", "<|endoftext|>"}).family == "none"
    assert detect({"<fim_prefix>", "<fim_middle>"}).family == "none"


def test_codellama_detected_when_vocab_stores_space_prefixed_markers():
    vocab = {"</s>", " <PRE>", " <SUF>", " <MID>", " <EOT>"}
    assert detect(vocab).family == "codellama"


def test_repo_level_prompt_lists_context_files_before_the_current_file():
    template = template_for_family("qwen")
    prompt = template.build(
        "P", "S", repo_name="proj", path="pkg/b.py", context=[("pkg/a.py", "def helper():\n    pass")]
    )
    assert prompt == (
        "<|repo_name|>proj\n<|file_sep|>pkg/a.py\ndef helper():\n    pass\n"
        "<|file_sep|>pkg/b.py\n<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>"
    )


def test_context_without_repo_tokens_becomes_comment_headed_snippets_in_the_prefix():
    template = template_for_family("deepseek")
    prompt = template.build(
        "P", "S", repo_name="proj", path="b.js", context=[("a.js", "export const X = 1;")], comment="//"
    )
    begin, hole, end = template.prefix_token, template.suffix_token, template.middle_token
    assert prompt == f"{begin}// a.js\nexport const X = 1;\n\n// b.js\nP{hole}S{end}"


def test_context_for_a_model_without_fim_is_prepended_to_the_prefix():
    prompt = template_for_family("none").build("x = ", "ignored", path="b.py", context=[("a.py", "Y = 2\n")])
    assert prompt == "# a.py\nY = 2\n\n# b.py\nx = "
