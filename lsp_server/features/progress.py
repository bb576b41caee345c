"""Work-done progress that is only sent when the client supports it, and always ends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from lsp_server.progress import Progress

log = logging.getLogger(__name__)


def _supported(server: LanguageServer) -> bool:
    window = server.client_capabilities.window
    return bool(window and window.work_done_progress)


@contextlib.asynccontextmanager
async def work_done_progress(server: LanguageServer, title: str) -> AsyncIterator[Progress]:
    """Yield a thread-safe ``report(message, percent)``; the progress ends however the block exits."""
    if not _supported(server):
        yield lambda message, percent: None
        return
    token = str(uuid.uuid4())
    try:
        await server.work_done_progress.create_async(token)
    except Exception as exc:  # the client may refuse; progress is a nicety
        log.debug("progress refused: %s", exc)
        yield lambda message, percent: None
        return
    loop = asyncio.get_running_loop()
    server.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, percentage=0))

    def report(message: str, percent: int) -> None:
        value = types.WorkDoneProgressReport(message=message, percentage=percent)
        loop.call_soon_threadsafe(server.work_done_progress.report, token, value)

    outcome = "done"
    try:
        yield report
    except BaseException:
        outcome = "failed"
        raise
    finally:
        server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=outcome))
        server.work_done_progress.tokens.pop(token, None)  # pygls 2.1 keeps every token's future otherwise
