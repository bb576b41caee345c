"""scripts/bench_suggestion_scan.py: its corpus and its figures on a small run (the check stays sub-millisecond)."""

from __future__ import annotations

import sys

from script_loader import load_script

bench = load_script("bench_suggestion_scan")


def test_corpus_and_a_small_run(capsys, monkeypatch):
    pairs = bench.corpus(40, 3)
    assert len(pairs) == 40 and all(isinstance(prefix, str) and text for prefix, text in pairs)
    monkeypatch.setattr(sys, "argv", ["bench", "--suggestions", "40", "--repeat", "2"])
    bench.main()
    out = capsys.readouterr().out
    assert "added by the check" in out and "8 of 8 planted ones" in out
    costs = bench.timed(lambda prefix, text: bench.screen(text, prefix), bench.PLANTED, 5)
    assert max(costs) < 1000  # microseconds: sub-millisecond per suggestion
