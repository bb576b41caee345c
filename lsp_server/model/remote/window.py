"""What of a GenerationRequest goes to a remote server, fitted to its budgets without a tokenizer."""

from __future__ import annotations

from dataclasses import dataclass

from lsp_server.model.backend import GenerationRequest
from lsp_server.model.healing import healed_chars
from lsp_server.prompting.budget import estimate_tokens, fit_context, fit_local_window


@dataclass(frozen=True)
class RemoteWindow:
    """The prompt parts: ``prefix`` then the typed ``middle`` (after the FIM middle marker)."""

    prefix: str
    middle: str
    suffix: str
    context: tuple[tuple[str, str], ...]
    # Text held back from the end of the prompt (a BPE boundary): the answer must start with it,
    # and it is dropped from the answer.
    healed: str


def fit_request(
    request: GenerationRequest, *, uses_fim: bool, split_middle: bool, heal_words: bool = False
) -> RemoteWindow:
    """Budget the local window and the context by estimated tokens.

    With ``split_middle`` the last ``middle_chars`` of the prefix are returned apart (they go after
    the FIM middle marker, so typing only appends to the prompt and the server's cache is reused).
    A trailing space is held back; with ``heal_words`` (for a server that can make the answer start
    with it) the whole word or punctuation at the cursor is.
    """
    text = request.prefix
    healed = text[len(text) - healed_chars(text) :] if heal_words else " " * text.endswith(" ")
    text = text[: len(text) - len(healed)]
    middle_chars = max(0, request.middle_chars - len(healed)) if split_middle and uses_fim else 0
    middle = text[len(text) - middle_chars :] if middle_chars else ""
    head = text[: len(text) - len(middle)]
    prefix, suffix = fit_local_window(
        head,
        request.suffix if uses_fim else "",
        estimate_tokens,
        prefix_tokens=max(0, request.prefix_tokens - estimate_tokens(middle)),
        suffix_tokens=request.suffix_tokens if uses_fim else 0,
        first_line=request.prefix_first_line,
        line_step=request.prefix_line_step,
    )
    kept = fit_context(request.context, estimate_tokens, request.context_tokens)
    return RemoteWindow(prefix, middle, suffix, tuple(kept), healed)
