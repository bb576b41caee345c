"""Statistics shared by the benchmark and eval scripts (the percentile's home is lsp_server.percentile)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from lsp_server.percentile import percentile

__all__ = ["percentile", "server_option"]


def server_option(parser: argparse.ArgumentParser, text: str) -> tuple[str, Any]:
    """A ``--server-option NAME=JSON`` argument as (name, value); a bare string stays a string."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        parser.error(f"--server-option wants NAME=JSON, got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value  # a bare string such as contextLayout=repo-tokens
