"""workspace/executeCommand: status for clients (status bars, tests) and model reload."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from pygls.lsp.server import LanguageServer

from lsp_server.completion.service import CompletionService
from lsp_server.features.workspace_context import WorkspaceContextFeature
from lsp_server.model.runtime import ModelRuntime
from lsp_server.scan.service import Scanner

STATUS = "iquest.status"
RELOAD_MODEL = "iquest.reloadModel"
REINDEX = "iquest.reindex"


def status_payload(runtime: ModelRuntime) -> dict[str, Any]:
    """What a client shows about the model."""
    backend = runtime.backend
    payload: dict[str, Any] = {"state": runtime.state.value, "error": runtime.error, "generations": runtime.generations}
    if backend is not None:
        info = backend.info
        payload.update(
            model=info.name,
            path=info.path,
            architecture=info.architecture,
            fimFamily=info.fim_family,
            contextLength=info.context_length,
        )
        snapshots = getattr(backend, "snapshots", None)
        if snapshots is not None:
            payload["kvSnapshots"] = {"count": len(snapshots), "bytes": snapshots.bytes_used}
            if snapshots.spill is not None:
                payload["kvSnapshots"].update(onDisk=len(snapshots.spill), diskBytes=snapshots.spill.bytes_used)
        speed = getattr(backend, "speed", None)
        if speed is not None:
            payload["machineSpeed"] = speed.as_status()
    last = runtime.last_result
    if last is not None:
        payload["lastGeneration"] = {
            "totalMs": round(last.total_ms, 1),
            "promptMs": round(last.prompt_ms, 1),
            "promptTokens": last.prompt_tokens,
            "evaluatedTokens": last.evaluated_tokens,
            "generatedTokens": last.generated_tokens,
            "stopReason": last.stop_reason,
            "restoredTokens": last.restored_tokens,
            "shortPrompt": last.short_prompt,
        }
    if runtime.last_cancel_ms is not None:
        payload["lastCancelMs"] = round(runtime.last_cancel_ms, 2)
    return payload


class Commands:
    """iquest.status, iquest.reloadModel and iquest.reindex."""

    def __init__(
        self,
        runtime: ModelRuntime,
        reload_model: Callable[[], Awaitable[None]],
        workspace: WorkspaceContextFeature,
        completion: CompletionService,
        scanner: Scanner | None = None,
    ) -> None:
        self._runtime = runtime
        self._reload_model = reload_model
        self._workspace = workspace
        self._completion = completion
        self._scanner = scanner

    def register(self, server: LanguageServer) -> None:
        """Wire the commands."""

        def payload() -> dict[str, Any]:
            # What a soak watches for leaks: pending asyncio tasks, the futures pygls keeps by message
            # id, live threads and the blocks Python's allocator holds (every object, gc-tracked or not; O(1)).
            process = {
                "pendingTasks": len(asyncio.all_tasks()),
                "requestFutures": len(server.protocol._request_futures),
                "threads": threading.active_count(),
                "pythonBlocks": sys.getallocatedblocks(),
            }
            return {
                **status_payload(self._runtime),
                "index": self._workspace.status(),
                "completion": self._completion.stats(),
                "process": process,
                **({"scan": self._scanner.status()} if self._scanner is not None else {}),
            }

        @server.command(STATUS)
        def status(ls: LanguageServer, *args: Any) -> dict[str, Any]:
            """Model state and FIM family, the last generation's figures, the index state."""
            return payload()

        @server.command(RELOAD_MODEL)
        async def reload(ls: LanguageServer, *args: Any) -> dict[str, Any]:
            """Load the configured model again (after `iquest-lsp model fetch`, say)."""
            await self._reload_model()
            return payload()

        @server.command(REINDEX)
        async def reindex(ls: LanguageServer, *args: Any) -> dict[str, Any]:
            """Walk the workspace again."""
            await self._workspace.reindex()
            return payload()
