"""SuggestionOutcomes: ids, attribution, audit entries, bad events, today's figures."""

import json

import pytest

from lsp_server.audit import AuditLog
from lsp_server.completion.outcomes import MIN_SHOWN, SuggestionOutcomes, UnknownOutcome, language_of
from lsp_server.completion.postprocess import is_mid_line


def _outcomes(tmp_path, **kwargs):
    return SuggestionOutcomes(AuditLog(tmp_path / "audit.jsonl"), lambda: "m", **kwargs)


def _show(outcomes, text="foo(bar)\nbaz", document="x = \nmore", offset=4, source="generation"):
    return outcomes.shown(
        uri="file:///w/a.py",
        text=text,
        offset=offset,
        document_text=document,
        multiline=True,
        source=source,
        latency_ms=123.4,
        prompt="P",
        version=1,
    )


def test_events_are_attributed_to_the_suggestion_and_audited(tmp_path):
    outcomes = _outcomes(tmp_path)
    first, second = _show(outcomes), _show(outcomes, text="é😀 tail", source="cache")
    assert first.id != second.id and first.kind == "multi-line" and first.language == "python"
    outcomes.partially_accepted(second.id, 3)  # é is one UTF-16 unit, 😀 two
    outcomes.accepted(first.id)
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [e["kind"] for e in entries] == [
        "inline_completion",
        "inline_completion",
        "inline_partially_accepted",
        "inline_accepted",
    ]
    assert entries[2]["output"] == "é😀" and entries[2]["accepted_chars"] == 2 and entries[2]["source"] == "cache"
    assert entries[3]["id"] == first.id and entries[3]["accepted_chars"] == len(first.text)
    figures = outcomes.figures()
    assert (figures["shown"], figures["accepted"], figures["partiallyAccepted"]) == (2, 1, 1)


def test_accepting_all_of_it_in_parts_is_a_whole_acceptance(tmp_path):
    outcomes = _outcomes(tmp_path)
    shown = _show(outcomes, text="abc")
    outcomes.partially_accepted(shown.id, 3)
    assert outcomes.figures()["accepted"] == 1 and outcomes.figures()["partiallyAccepted"] == 0


@pytest.mark.parametrize("length", [-1, 2, 4, 2.0, True, None])
def test_an_out_of_range_length_is_refused_and_changes_nothing(tmp_path, length):
    outcomes = _outcomes(tmp_path)
    shown = _show(outcomes, text="a😀")
    with pytest.raises(UnknownOutcome, match="acceptedLength"):
        outcomes.partially_accepted(shown.id, length)  # 2 ends inside the emoji (two UTF-16 units)
    assert outcomes.figures()["acceptedChars"] == 0


def test_unknown_and_forgotten_ids_are_refused(tmp_path):
    outcomes = _outcomes(tmp_path, capacity=2)
    old = _show(outcomes)
    _show(outcomes), _show(outcomes)
    for ident in (old.id, "nope", None, 3):
        with pytest.raises(UnknownOutcome, match="no inline suggestion"):
            outcomes.accepted(ident)


def test_the_figures_start_again_each_day(tmp_path):
    day = ["2026-12-06"]
    outcomes = _outcomes(tmp_path, today=lambda: day[0])
    outcomes.accepted(_show(outcomes).id)
    day[0] = "2026-12-07"
    assert outcomes.figures()["day"] == "2026-12-07" and outcomes.figures()["shown"] == 0


def test_kind_and_language_helpers():
    assert is_mid_line("f(x)\n"[2:]) and not is_mid_line("f(  \n)"[2:])
    assert language_of("file:///a/b.tsx") == "tsx" and language_of("file:///a/b.lua") == "lua"
    assert language_of("untitled:Untitled-1") == "other"


def test_nothing_is_rarely_taken_until_the_client_reports_an_acceptance(tmp_path):
    outcomes = _outcomes(tmp_path)
    for _ in range(25):
        _show(outcomes)
    assert not outcomes.rarely_taken("python", "multi-line")  # a client that never reports looks like this
    outcomes.accepted(_show(outcomes).id)  # 1 of 26 taken: under 5%, and now the client is known to report
    assert outcomes.rarely_taken("python", "multi-line")


def test_a_restarted_server_keeps_todays_figures_and_what_adaptation_learnt(tmp_path):
    before = _outcomes(tmp_path)
    assert before.restored.wait(5)
    for _ in range(MIN_SHOWN):
        _show(before)
    taken = _show(before, text="one line", document="x = \n")
    before.accepted(taken.id)
    assert before.rarely_taken("python", "multi-line")
    after = _outcomes(tmp_path)
    assert after.restored.wait(5)
    figures = after.figures()
    assert (figures["shown"], figures["accepted"]) == (MIN_SHOWN + 1, 1)
    assert after.rarely_taken("python", "multi-line") and figures["rarelyTaken"] == ["python multi-line"]
    # Its own new events count once, not again from the log it writes.
    _show(after)
    assert after.figures()["shown"] == MIN_SHOWN + 2


def test_another_days_events_teach_adaptation_but_are_not_todays_figures(tmp_path):
    def event(kind, ident, suggestion):
        entry = {"time": "2020-01-01T10:00:00+0000", "kind": kind, "uri": "file:///w/a.py", "model": "m", "id": ident}
        entry.update(language="python", suggestion=suggestion, source="generation", latency_ms=5.0)
        return json.dumps(entry) + "\n"

    lines = [event("inline_completion", f"old-{n}", "multi-line") for n in range(MIN_SHOWN)]
    lines += [event("inline_completion", "old-x", "single-line"), event("inline_accepted", "old-x", "single-line")]
    (tmp_path / "audit.jsonl").write_text("".join(lines))
    outcomes = _outcomes(tmp_path)
    assert outcomes.restored.wait(5)
    assert outcomes.figures()["shown"] == 0
    assert outcomes.rarely_taken("python", "multi-line") and not outcomes.rarely_taken("python", "single-line")
