"""Composition root: builds every service and registers every LSP feature; nothing else wires them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from pygls.lsp.server import LanguageServer

from lsp_server import __version__
from lsp_server.actions.service import ActionService
from lsp_server.actions.sources import Sources
from lsp_server.audit import AuditLog
from lsp_server.completion.service import CompletionService
from lsp_server.features.acceptance import Acceptance
from lsp_server.features.code_actions import CodeActions
from lsp_server.features.commands import Commands
from lsp_server.features.documents import DocumentSync, LspWorkspace, open_text, position_encoding
from lsp_server.features.feature import Feature
from lsp_server.features.inline_completion import InlineCompletion
from lsp_server.features.jsonrpc import StrictLanguageServer
from lsp_server.features.lifecycle import Lifecycle
from lsp_server.features.messages import Notifier
from lsp_server.features.next_edit import NextEdit
from lsp_server.features.scan_diagnostics import ScanDiagnostics
from lsp_server.features.warm_up import WarmUp
from lsp_server.features.workspace_context import WorkspaceContextFeature
from lsp_server.model.backend import Backend
from lsp_server.model.catalog import load_catalog
from lsp_server.model.runtime import BackendFactory, ModelRuntime
from lsp_server.next_edit.service import NextEditService
from lsp_server.paths import state_dir
from lsp_server.progress import Progress
from lsp_server.scan.service import Scanner
from lsp_server.settings import Settings, SettingsStore


def llama_backend_factory(settings: Settings) -> BackendFactory:
    """Make a loader for the in-process llama.cpp backend with these settings."""

    def build(progress: Progress) -> Backend:
        from lsp_server.model.llama_backend import LlamaCppBackend

        return LlamaCppBackend(
            settings.model,
            load_catalog(),
            models_dir=settings.model_dir_path,
            n_ctx=settings.context_size,
            n_threads=settings.effective_threads,
            n_gpu_layers=settings.gpu_layers,
            snapshot_bytes=settings.kv_snapshot_mb * 2**20,
            spill_bytes=settings.kv_snapshot_disk_mb * 2**20,
            progress=progress,
        )

    return build


def backend_factory(settings: Settings) -> BackendFactory:
    """The loader iquest.backend names: in-process llama.cpp, llama-server or an OpenAI-compatible server."""
    if settings.backend == "local":
        return llama_backend_factory(settings)
    from lsp_server.model.remote.factory import remote_backend_factory

    return remote_backend_factory(settings)


class AuditFromSettings(AuditLog):
    """An audit log whose switch and path follow the live settings."""

    def __init__(self, settings: SettingsStore, on_failure: Callable[[str], None] | None = None) -> None:
        super().__init__(state_dir() / "audit.jsonl")
        self._store = settings
        self.on_failure = on_failure

    def record(self, kind: str, **fields) -> None:
        """Append unless the user turned the log off."""
        current = self._store.current
        self.enabled = current.audit_log
        self.path = Path(current.audit_log_path).expanduser() if current.audit_log_path else state_dir() / "audit.jsonl"
        super().record(kind, **fields)


def build_server() -> LanguageServer:
    """Create the language server with every feature registered."""
    # Documents keep LSP's line model (pygls's own splits lines at \f, \u2028 and other breaks LSP does not know).
    server = StrictLanguageServer("iquest-lsp", __version__, workspace_class=LspWorkspace)
    settings = SettingsStore()
    runtime = ModelRuntime()
    notifier = Notifier(server)
    runtime.on_unavailable.append(notifier.error)
    workspace = WorkspaceContextFeature(server, settings, notifier)
    # One audit log for every feature: one lock around appends and rotation, one failure message.
    audit = AuditFromSettings(settings, notifier.warning)
    completion = CompletionService(runtime, lambda: settings.current, audit, workspace.prompt_context)
    sources = Sources(workspace.files, partial(open_text, server), partial(position_encoding, server))
    scanner = Scanner(on_unavailable=notifier.warning)
    actions = ActionService(
        runtime, lambda: settings.current, audit, sources, workspace.prompt_context, workspace.summaries, scanner
    )
    scan_diagnostics = ScanDiagnostics(actions)

    def action_accepted(details: Mapping[str, Any]) -> None:
        actions.accepted(details)
        scan_diagnostics.accepted(details)

    predictions = NextEditService(runtime, lambda: settings.current, audit)
    next_edit = NextEdit(server, predictions)
    inline_completion = InlineCompletion(completion, next_edit.inline_item)
    warm_up = WarmUp(server, completion)
    lifecycle = Lifecycle(
        server,
        settings,
        runtime,
        notifier,
        backend_factory,
        on_initialized=[workspace.start],
        on_settings_changed=[workspace.settings_changed],
        on_shutdown=[workspace.stop, predictions.shutdown],
    )
    # Registration order is the order of the handlers and commands the server advertises.
    features: list[Feature] = [
        DocumentSync(
            [inline_completion, workspace, warm_up, next_edit, scan_diagnostics]
        ),  # each document event goes to these, in this order
        lifecycle,
        Commands(runtime, lifecycle.load_model, workspace, completion, scanner),
        inline_completion,
        CodeActions(actions, scan_diagnostics, next_edit.code_actions),
        scan_diagnostics,
        Acceptance(completion.outcomes, action_accepted),
        warm_up,
        next_edit,
    ]
    for feature in features:
        feature.register(server)
    return server
