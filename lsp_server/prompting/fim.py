"""Fill-in-the-middle prompt templates by model family, and detection from a vocabulary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class FimTemplate:
    """How one model family lays out a fill-in-the-middle prompt."""

    family: str
    prefix_token: str
    suffix_token: str
    middle_token: str
    suffix_first: bool
    stop_tokens: tuple[str, ...]
    repo_name_token: str | None = None
    file_sep_token: str | None = None

    @property
    def uses_fim(self) -> bool:
        """True when the template has FIM markers (the model can see the suffix)."""
        return bool(self.prefix_token and self.suffix_token)

    @property
    def repo_level(self) -> bool:
        """True when the template can name the repository and file before the FIM part."""
        return bool(self.repo_name_token and self.file_sep_token)

    def build(
        self,
        prefix: str,
        suffix: str,
        *,
        repo_name: str | None = None,
        path: str | None = None,
        context: Sequence[tuple[str, str]] = (),
        comment: str = "#",
    ) -> str:
        """Return the exact prompt text; ``context`` is (path, text) chunks of other files, placed first."""
        outside = inside = ""
        if self.repo_level and repo_name is not None and path is not None:
            files = "".join(f"{self.file_sep_token}{p}\n{_ends_line(t)}" for p, t in context)
            outside = f"{self.repo_name_token}{repo_name}\n{files}{self.file_sep_token}{path}\n"
        elif context:
            # Without repo tokens, other files become comment-headed snippets ahead of the code.
            inside = "".join(f"{comment} {p}\n{_ends_line(t)}\n" for p, t in context)
            if path is not None:
                inside += f"{comment} {path}\n"
        if not self.uses_fim:
            return inside + prefix
        if self.suffix_first:
            return f"{outside}{self.suffix_token}{suffix}{self.prefix_token}{inside}{prefix}{self.middle_token}"
        return f"{outside}{self.prefix_token}{inside}{prefix}{self.suffix_token}{suffix}{self.middle_token}"


def _ends_line(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


_QWEN = FimTemplate(
    family="qwen",
    prefix_token="<|fim_prefix|>",
    suffix_token="<|fim_suffix|>",
    middle_token="<|fim_middle|>",
    suffix_first=False,
    stop_tokens=(
        "<|endoftext|>",
        "<|file_sep|>",
        "<|fim_pad|>",
        "<|fim_prefix|>",
        "<|fim_suffix|>",
        "<|fim_middle|>",
        "<|repo_name|>",
        "<|im_end|>",
    ),
    repo_name_token="<|repo_name|>",
    file_sep_token="<|file_sep|>",
)

_CODEGEMMA = FimTemplate(
    family="codegemma",
    prefix_token="<|fim_prefix|>",
    suffix_token="<|fim_suffix|>",
    middle_token="<|fim_middle|>",
    suffix_first=False,
    stop_tokens=("<|file_separator|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<eos>"),
)

_STARCODER = FimTemplate(
    family="starcoder",
    prefix_token="<fim_prefix>",
    suffix_token="<fim_suffix>",
    middle_token="<fim_middle>",
    suffix_first=False,
    stop_tokens=("<|endoftext|>", "<file_sep>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
    repo_name_token="<repo_name>",
    file_sep_token="<file_sep>",
)

_DEEPSEEK = FimTemplate(
    family="deepseek",
    prefix_token="<\uff5cfim\u2581begin\uff5c>",
    suffix_token="<\uff5cfim\u2581hole\uff5c>",
    middle_token="<\uff5cfim\u2581end\uff5c>",
    suffix_first=False,
    stop_tokens=("<\uff5cend\u2581of\u2581sentence\uff5c>", "<|EOT|>"),
)

# The spaces belong to CodeLlama's infilling format: "<PRE> {p} <SUF>{s} <MID>".
_CODELLAMA = FimTemplate(
    family="codellama",
    prefix_token="<PRE> ",
    suffix_token=" <SUF>",
    middle_token=" <MID>",
    suffix_first=False,
    stop_tokens=("<EOT>", "</s>"),
)

# Codestral takes the suffix first and has no trailing middle marker: "[SUFFIX]{s}[PREFIX]{p}".
_CODESTRAL = FimTemplate(
    family="codestral",
    prefix_token="[PREFIX]",
    suffix_token="[SUFFIX]",
    middle_token="",
    suffix_first=True,
    stop_tokens=("</s>", "[PREFIX]", "[SUFFIX]", "[MIDDLE]"),
)

_NONE = FimTemplate(
    family="none",
    prefix_token="",
    suffix_token="",
    middle_token="",
    suffix_first=False,
    stop_tokens=("</s>", "<|endoftext|>", "<|im_end|>"),
)

FAMILIES: dict[str, FimTemplate] = {
    t.family: t for t in (_QWEN, _CODEGEMMA, _STARCODER, _DEEPSEEK, _CODELLAMA, _CODESTRAL, _NONE)
}

# Most specific markers first: qwen and codegemma share their FIM markers and differ
# only by their file separator, so each is chosen by the token only it has.
_DETECTION_ORDER: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("deepseek", ()),
    ("codestral", ()),
    ("codellama", ()),
    ("starcoder", ()),
    ("qwen", ("<|file_sep|>",)),
    ("qwen", ("<|fim_pad|>",)),
    ("codegemma", ("<|file_separator|>",)),
    ("qwen", ()),  # shared markers but neither separator: the qwen layout is the same
)


def template_for_family(name: str) -> FimTemplate:
    """Return the base template for a family name such as ``"qwen"``; ValueError if unknown."""
    key = name.strip().lower()
    if key not in FAMILIES:
        known = ", ".join(sorted(FAMILIES))
        raise ValueError(f"unknown FIM family {name!r} (known: {known})")
    return FAMILIES[key]


def detect_template(has_special_token: Callable[[str], bool]) -> FimTemplate:
    """Choose the template whose FIM markers are special tokens of the loaded model."""

    def has(token: str) -> bool:
        # Some vocabularies store a marker with its leading space (CodeLlama's "▁<PRE>").
        bare = token.strip()
        return has_special_token(bare) or has_special_token(" " + bare)

    for family, extra in _DETECTION_ORDER:
        base = FAMILIES[family]
        markers = [t for t in (base.prefix_token, base.suffix_token, base.middle_token) if t]
        if all(has(t) for t in markers) and all(has(t) for t in extra):
            return _fit_to_vocab(base, has)
    return _fit_to_vocab(_NONE, has)


def _fit_to_vocab(base: FimTemplate, has: Callable[[str], bool]) -> FimTemplate:
    """Keep only the stop and repo-level tokens the vocabulary really has."""
    repo = base.repo_name_token if base.repo_name_token and has(base.repo_name_token) else None
    sep = base.file_sep_token if base.file_sep_token and has(base.file_sep_token) else None
    stops = tuple(t for t in base.stop_tokens if has(t))
    return replace(base, stop_tokens=stops, repo_name_token=repo, file_sep_token=sep)
