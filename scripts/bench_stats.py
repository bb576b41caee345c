"""Statistics shared by the benchmark and eval scripts (the percentile's home is lsp_server.percentile)."""

from __future__ import annotations

from lsp_server.percentile import percentile

__all__ = ["percentile"]
