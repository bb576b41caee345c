"""The acceptance tally: whole and partial acceptances per id, groups, days, latency percentiles."""

from lsp_server.acceptance import AcceptanceTally, latency_bucket


def _event(kind, ident, **fields):
    base = {"time": "2026-12-06T10:00:00+0000", "language": "python", "suggestion": "single-line"}
    return {"kind": kind, "id": ident, "source": "generation", "latency_ms": 100.0, **base, **fields}


def test_partial_then_whole_counts_once_as_whole_with_the_longest_text():
    tally = AcceptanceTally().add_all(
        [
            _event("inline_completion", "a"),
            _event("inline_partially_accepted", "a", accepted_chars=3),
            _event("inline_partially_accepted", "a", accepted_chars=7),
            _event("inline_accepted", "a", accepted_chars=10),
            _event("inline_completion", "b", source="cache", latency_ms=900.0),
            _event("inline_partially_accepted", "b", source="cache", latency_ms=900.0, accepted_chars=4),
            _event("inline_completion", "c", time="2026-12-07T09:00:00+0000"),
            {"kind": "accepted", "id": "x", "action": "fix"},  # a code action: not a suggestion event
        ]
    )
    figures = tally.figures()
    assert (figures["shown"], figures["accepted"], figures["partiallyAccepted"]) == (3, 1, 1)
    assert figures["acceptedChars"] == 14 and figures["acceptanceRate"] == round(2 / 3, 4)
    assert figures["by"]["source"]["cache"]["partiallyAccepted"] == 1
    assert figures["by"]["source"]["generation"]["accepted"] == 1
    assert figures["by"]["latency"]["500-1000 ms"]["shown"] == 1
    assert list(figures["days"]) == ["2026-12-06", "2026-12-07"]
    assert figures["days"]["2026-12-07"]["acceptanceRate"] == 0
    assert figures["latencyMs"] == {"p50": 100.0, "p95": 900.0}


def test_no_events_give_no_rate_and_no_latency():
    figures = AcceptanceTally().figures()
    assert figures["acceptanceRate"] is None and figures["latencyMs"] == {"p50": None, "p95": None}


def test_latency_buckets():
    assert [latency_bucket(ms) for ms in (0, 249.9, 250, 4999, 5000)] == [
        "0-250 ms",
        "0-250 ms",
        "250-500 ms",
        "2000-5000 ms",
        ">=5000 ms",
    ]
