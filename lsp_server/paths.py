"""Where iquest-lsp keeps fetched models, caches and logs."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """Return the per-user cache directory (``$IQUEST_CACHE_DIR`` or XDG cache)."""
    explicit = os.environ.get("IQUEST_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "iquest-lsp"


def models_dir() -> Path:
    """Return the directory that holds fetched, verified model files."""
    explicit = os.environ.get("IQUEST_MODEL_DIR")
    return Path(explicit).expanduser() if explicit else cache_root() / "models"


def state_dir() -> Path:
    """Return the directory for the audit log and other local state."""
    explicit = os.environ.get("IQUEST_STATE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / "iquest-lsp"
