"""scripts/soak.py: the slope and what counts as a leak (no model, no server)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "soak.py"


def _load():
    spec = importlib.util.spec_from_file_location("soak", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module
    spec.loader.exec_module(module)
    return module


soak = _load()


def _summary(**overrides) -> dict:
    flat = {
        "rss_slope_mib_per_1000_requests_after_warmup": 0.4,
        "python_blocks_slope_per_1000_requests_after_warmup": -150,
        "pending_tasks_max_after_warmup": 3,
        "request_futures_max_after_warmup": 2,
    }
    return {**flat, **overrides}


def test_slope_per_1000_of_a_line_and_of_a_constant():
    assert soak.slope_per_1000([(n, 300 + 0.004 * n) for n in range(0, 5000, 100)]) == pytest.approx(4.0)
    assert soak.slope_per_1000([(n, 300.0) for n in range(0, 5000, 100)]) == 0.0
    assert soak.slope_per_1000([(100, 1.0)]) == 0.0


def test_a_flat_run_passes():
    assert soak.leaks(_summary(), 2.0, 500) == []


def test_each_growth_is_named():
    found = soak.leaks(
        _summary(
            rss_slope_mib_per_1000_requests_after_warmup=3.06,
            python_blocks_slope_per_1000_requests_after_warmup=9800,
            pending_tasks_max_after_warmup=40,
            request_futures_max_after_warmup=2300,
        ),
        2.0,
        500,
    )
    assert len(found) == 4
    assert (
        "3.06 MiB" in found[0]
        and "9800" in found[1]
        and "40 pending" in found[2]
        and "2300 request futures" in found[3]
    )
