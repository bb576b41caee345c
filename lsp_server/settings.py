"""Typed server settings, parsed from initializationOptions and didChangeConfiguration."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MULTILINE_MODES = ("auto", "always", "never")
BACKENDS = ("local", "llama-server", "openai-compatible")
FIM_FAMILIES = ("auto", "qwen", "codegemma", "starcoder", "deepseek", "codellama", "codestral", "none")
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
CONTEXT_LAYOUTS = ("comments", "repo-tokens")
# Candidate sources of repository context, in the order the assembler ranks them.
CONTEXT_SOURCES = ("types", "definitions", "similar", "imports", "recent", "neighbours")


@dataclass(frozen=True)
class Settings:
    """Everything a user can configure under the ``iquest`` namespace."""

    model: str = "qwen2.5-coder-0.5b"
    context_size: int = 4096
    kv_snapshot_mb: int = 512
    kv_snapshot_disk_mb: int = 1024
    threads: int = 0
    gpu_layers: int = -1  # -1: every layer when llama.cpp can offload to a GPU, none on a CPU-only build
    max_tokens: int = 64
    max_prompt_tokens: int = 2048
    full_prompt_seconds: int = 40
    max_lines: int = 8
    multiline: str = "auto"
    generation_timeout_ms: int = 5000
    debounce_ms: int = 0
    speculate: bool = True
    candidates: int = 2
    adapt: bool = True
    warm_up: bool = True
    first_lines_ms: int = 1000
    middle_lines: int = 8
    audit_log: bool = True
    repo_context: bool = True
    context_tokens: int = 256
    context_floor_tokens: int = 256
    context_layout: str = "comments"
    context_sources: tuple[str, ...] = CONTEXT_SOURCES
    exclude: tuple[str, ...] = ()
    max_file_bytes: int = 1_000_000
    audit_log_path: str = ""
    models_dir: str = ""
    action_max_tokens: int = 512
    plan_max_tokens: int = 768
    action_timeout_ms: int = 120000
    self_verify: bool = False
    test_command: str = ""
    verify_rounds: int = 2
    verify_timeout_ms: int = 120000
    verify_memory_mb: int = 4096
    scan_edits: bool = True
    scan_suggestions: bool = True
    backend: str = "local"
    server_url: str = "http://127.0.0.1:8080"
    server_model: str = ""
    api_key_env: str = "IQUEST_API_KEY"
    fim_family: str = "auto"
    next_edit_enabled: bool = False
    next_edit_idle_ms: int = 400

    @property
    def effective_threads(self) -> int:
        """Threads for llama.cpp: the setting, or every core when 0."""
        return self.threads or max(1, os.cpu_count() or 1)

    @property
    def model_dir_path(self) -> Path | None:
        """The configured models directory, or None for the default."""
        return Path(self.models_dir).expanduser() if self.models_dir else None


@dataclass(frozen=True)
class _Field:
    attr: str
    kind: type
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()


_FIELDS: dict[str, _Field] = {
    "model": _Field("model", str),
    "contextSize": _Field("context_size", int, 512, 131072),
    "kvSnapshotMb": _Field("kv_snapshot_mb", int, 0, 65536),
    "kvSnapshotDiskMb": _Field("kv_snapshot_disk_mb", int, 0, 1048576),
    "threads": _Field("threads", int, 0, 256),
    "gpuLayers": _Field("gpu_layers", int, -1, 1000),
    "maxTokens": _Field("max_tokens", int, 1, 1024),
    "maxPromptTokens": _Field("max_prompt_tokens", int, 64, 131072),
    "maxLines": _Field("max_lines", int, 1, 200),
    "multiline": _Field("multiline", str, choices=MULTILINE_MODES),
    "generationTimeoutMs": _Field("generation_timeout_ms", int, 100, 600000),
    "debounceMs": _Field("debounce_ms", int, 0, 5000),
    "speculate": _Field("speculate", bool),
    "candidates": _Field("candidates", int, 1, 5),
    "adapt": _Field("adapt", bool),
    "warmUp": _Field("warm_up", bool),
    "firstLinesMs": _Field("first_lines_ms", int, 0, 600000),
    "fullPromptSeconds": _Field("full_prompt_seconds", int, 0, 3600),
    "middleLines": _Field("middle_lines", int, 1, 64),
    "auditLog": _Field("audit_log", bool),
    "repoContext": _Field("repo_context", bool),
    "contextTokens": _Field("context_tokens", int, 0, 32768),
    "contextFloorTokens": _Field("context_floor_tokens", int, 0, 32768),
    "contextLayout": _Field("context_layout", str, choices=CONTEXT_LAYOUTS),
    "contextSources": _Field("context_sources", list, choices=CONTEXT_SOURCES),
    "exclude": _Field("exclude", list),
    "maxFileBytes": _Field("max_file_bytes", int, 1000, 100_000_000),
    "auditLogPath": _Field("audit_log_path", str),
    "modelsDir": _Field("models_dir", str),
    "actionMaxTokens": _Field("action_max_tokens", int, 16, 8192),
    "planMaxTokens": _Field("plan_max_tokens", int, 64, 16384),
    "actionTimeoutMs": _Field("action_timeout_ms", int, 1000, 3600000),
    "selfVerify": _Field("self_verify", bool),
    "testCommand": _Field("test_command", str),
    "verifyRounds": _Field("verify_rounds", int, 1, 10),
    "verifyTimeoutMs": _Field("verify_timeout_ms", int, 1000, 3600000),
    "verifyMemoryMb": _Field("verify_memory_mb", int, 256, 1048576),
    "scanEdits": _Field("scan_edits", bool),
    "scanSuggestions": _Field("scan_suggestions", bool),
    "backend": _Field("backend", str, choices=BACKENDS),
    "serverUrl": _Field("server_url", str),
    "serverModel": _Field("server_model", str),
    "apiKeyEnv": _Field("api_key_env", str),
    "fimFamily": _Field("fim_family", str, choices=FIM_FAMILIES),
    "nextEdit.enabled": _Field("next_edit_enabled", bool),
    "nextEdit.idleMs": _Field("next_edit_idle_ms", int, 50, 10000),
}

# Settings that only take effect when the model is loaded again.
RELOAD_FIELDS = frozenset(
    {"model", "context_size", "kv_snapshot_mb", "kv_snapshot_disk_mb", "threads", "gpu_layers", "models_dir"}
    | {"backend", "server_url", "server_model", "api_key_env", "fim_family"}
)
# Settings that only take effect when the workspace is indexed again.
REINDEX_FIELDS = frozenset({"repo_context", "exclude", "max_file_bytes"})


def _namespace(options: Any) -> Mapping[str, Any]:
    """Accept ``{"iquest": {...}}`` as well as the bare ``{...}``."""
    if not isinstance(options, Mapping):
        return {}
    inner = options.get("iquest")
    return _dotted(inner if isinstance(inner, Mapping) else options)


def _dotted(options: Mapping[str, Any]) -> Mapping[str, Any]:
    """``{"nextEdit": {"enabled": true}}`` as ``{"nextEdit.enabled": true}``, as VS Code may send either."""
    flat: dict[str, Any] = {}
    for name, value in options.items():
        if isinstance(value, Mapping) and name not in _FIELDS:
            flat.update({f"{name}.{key}": item for key, item in value.items()})
        else:
            flat[name] = value
    return flat


def _check(name: str, spec: _Field, value: Any) -> str | None:
    """Return why ``value`` is not acceptable for ``name``, or None."""
    if spec.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        return f"iquest.{name} must be an integer, got {value!r}"
    if spec.kind is list:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return f"iquest.{name} must be a list of strings, got {value!r}"
        unknown = [item for item in value if spec.choices and item not in spec.choices]
        if unknown:
            return f"iquest.{name} items must be among {', '.join(spec.choices)}, got {unknown[0]!r}"
        return None
    if spec.kind is not int and not isinstance(value, spec.kind):
        return f"iquest.{name} must be a {spec.kind.__name__}, got {value!r}"
    if spec.minimum is not None and value < spec.minimum:
        return f"iquest.{name} must be at least {spec.minimum}, got {value}"
    if spec.maximum is not None and value > spec.maximum:
        return f"iquest.{name} must be at most {spec.maximum}, got {value}"
    if spec.choices and value not in spec.choices:
        return f"iquest.{name} must be one of {', '.join(spec.choices)}, got {value!r}"
    if isinstance(value, str):
        if spec.attr == "model" and not value.strip():
            return "iquest.model must name a catalog model or a .gguf path"
        if spec.attr == "server_url":
            return _check_url(value)
        if spec.attr == "api_key_env" and not _ENV_NAME.fullmatch(value):
            # Never echo the value: a key pasted here by mistake must not reach messages or logs.
            return "iquest.apiKeyEnv must be the NAME of an environment variable (A-Z, 0-9, _), not the key itself"
    return None


def _check_url(value: str) -> str | None:
    """Why ``value`` is not a usable server URL, or None."""
    scheme, _, rest = value.partition("://")
    if scheme not in ("http", "https") or not rest.strip("/"):
        return f"iquest.serverUrl must be an http:// or https:// URL, got {value!r}"
    if "@" in rest.split("/", 1)[0]:
        return (
            "iquest.serverUrl must not contain credentials; put the API key in the variable named by iquest.apiKeyEnv"
        )
    return None


def parse_settings(options: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Return settings from client options plus a message for every value that was ignored."""
    base = base or Settings()
    changes: dict[str, Any] = {}
    errors: list[str] = []
    for name, value in _namespace(options).items():
        spec = _FIELDS.get(name)
        if spec is None:
            errors.append(f"iquest.{name} is not a known setting (known: {', '.join(sorted(_FIELDS))})")
            continue
        if value is None:
            continue
        problem = _check(name, spec, value)
        if problem:
            errors.append(f"{problem}; using {getattr(base, spec.attr)!r}")
        else:
            changes[spec.attr] = tuple(value) if spec.kind is list else value
    return dataclasses.replace(base, **changes), errors


def needs_reload(old: Settings, new: Settings) -> bool:
    """True when switching from ``old`` to ``new`` requires loading the model again."""
    return any(getattr(old, name) != getattr(new, name) for name in RELOAD_FIELDS)


def needs_reindex(old: Settings, new: Settings) -> bool:
    """True when switching from ``old`` to ``new`` requires indexing the workspace again."""
    return any(getattr(old, name) != getattr(new, name) for name in REINDEX_FIELDS)


class SettingsStore:
    """Holds the current settings; updates report what was ignored and whether to reload."""

    def __init__(self, initial: Settings | None = None) -> None:
        self.current = initial or Settings()

    def update(self, options: Any) -> tuple[Settings, list[str]]:
        """Apply client options; return the previous settings and messages for ignored values."""
        new, errors = parse_settings(options, self.current)
        old, self.current = self.current, new
        return old, errors
