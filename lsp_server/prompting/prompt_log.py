"""$IQUEST_PROMPT_LOG: the exact text of every prompt the model gets, as JSONL (a debugging aid, off unless set)."""

from __future__ import annotations

import json
import os

BACKGROUND_KINDS = ("speculation", "warm-up")


def log_prompt(prompt: str, kind: str, healed: str = "") -> None:
    """Append ``prompt``; ``kind`` is "request", "speculation", "warm-up" or "action:<name>".

    ``healed`` is the typed text taken back off the prompt's end, which the model spells again first.
    """
    path = os.environ.get("IQUEST_PROMPT_LOG")
    if path:
        entry = {"prompt": prompt, "healed": healed, "speculative": kind in BACKGROUND_KINDS, "kind": kind}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
