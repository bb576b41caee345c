"""iquest-lsp stats: events from the audit log and its rotated files, --since, JSON, text and the PNG."""

import datetime
import io
import json

from lsp_server.stats import run_stats, suggestion_events

EVENTS = [
    {"time": "2026-12-01T10:00:00+0000", "kind": "inline_completion", "id": "a", "language": "go", "latency_ms": 50.0},
    {"time": "2026-12-01T10:00:01+0000", "kind": "inline_accepted", "id": "a", "accepted_chars": 9},
    {
        "time": "2026-12-06T10:00:00+0000",
        "kind": "inline_completion",
        "id": "b",
        "language": "python",
        "suggestion": "mid-line",
        "source": "cache",
        "latency_ms": 700.0,
    },  # fmt: skip
    {"time": "2026-12-06T10:00:00+0000", "kind": "inline_partially_accepted", "id": "b", "accepted_chars": 3},
    {"time": "2026-12-06T10:00:00+0000", "kind": "accepted", "id": "p", "action": "fix"},
]


def _log(tmp_path):
    path = tmp_path / "audit.jsonl"
    path.with_name("audit.jsonl.1").write_text("".join(json.dumps(e) + "\n" for e in EVENTS[:2]))
    path.write_text("not json\n" + "".join(json.dumps(e) + "\n" for e in EVENTS[2:]))
    return path


def test_json_figures_read_the_rotated_files_too(tmp_path):
    out = io.StringIO()
    assert run_stats(_log(tmp_path), None, True, None, out) == 0
    figures = json.loads(out.getvalue())
    assert (figures["shown"], figures["accepted"], figures["partiallyAccepted"], figures["acceptedChars"]) == (
        2,
        1,
        1,
        12,
    )
    assert figures["by"]["kind"]["mid-line"]["partiallyAccepted"] == 1 and list(figures["days"]) == [
        "2026-12-01",
        "2026-12-06",
    ]


def test_since_keeps_the_recent_days_only(tmp_path):
    now = datetime.datetime(2026, 12, 6, 12, tzinfo=datetime.UTC)
    assert [e["id"] for e in suggestion_events(_log(tmp_path), 2, now)] == ["b", "b"]
    assert len(suggestion_events(_log(tmp_path), None, now)) == 4


def test_text_report_and_plot(tmp_path):
    out, png = io.StringIO(), tmp_path / "stats.png"
    assert run_stats(_log(tmp_path), None, False, png, out) == 0
    text = out.getvalue()
    assert "acceptance rate 100.0%" in text and "by source" in text and "p95 700 ms" in text
    from PIL import Image

    with Image.open(png) as image:
        assert image.format == "PNG" and image.size[0] > 400 and image.size[1] > 300
