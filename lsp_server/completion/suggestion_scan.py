"""Ghost text screened for the worst patterns before it is shown: cut before the line, or dropped.

The patterns are the scan package's quick check (regular expressions behind a substring prefilter);
it costs microseconds per suggestion (scripts/bench_suggestion_scan.py prints the figures).
"""

from __future__ import annotations

import logging

from lsp_server.scan.quick import hits

log = logging.getLogger(__name__)


def screen(suggestion: str, cursor_line: str) -> str:
    """``suggestion`` cut before its first line that completes a worst pattern ('' when that is the first).

    ``cursor_line`` is the text before the cursor on its line: a pattern the user typed there is not the
    suggestion's doing, one the suggestion completes is.
    """
    if not suggestion:
        return suggestion
    found = hits(cursor_line + suggestion, skip=len(cursor_line))
    if not found:
        return suggestion
    first = min(hit.line for hit in found)
    log.info("suggestion %s at its line %d: %s", "dropped" if first == 0 else "cut", first + 1, found[0].rule)
    return "\n".join(suggestion.split("\n")[:first]).rstrip() if first else ""
