"""The full fuzz run: >= 10,000 hostile LSP messages into one real server process, then a normal completion.

The CI slice (tests/fuzz) draws a few hundred; this keeps drawing batches until --messages were sent,
with a sanity completion every 25 batches and a 50 MB document at the end, and prints the figures.

    .venv/bin/python scripts/fuzz_lsp.py [--messages 12000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fuzz"))

from harness import FuzzTarget, fuzz  # noqa: E402


def huge_document(target: FuzzTarget) -> float:
    """Open, complete in and close a 50 MB document; returns the seconds it took."""
    started = time.perf_counter()
    uri = (target.root / "huge.py").as_uri()
    line = "value_%08d = compute(alpha, beta)  # padding to make the line longer than most\n"
    count = 50_000_000 // len(line % 0) + 1
    text = "".join(line % i for i in range(count))
    target.server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
    )
    params = {
        "textDocument": {"uri": uri},
        "position": {"line": count // 2, "character": 6},
        "context": {"triggerKind": 1},
    }
    response = target.server.call("textDocument/inlineCompletion", params, timeout=600)
    assert "result" in response, response
    target.server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=12_000, help="send at least this many messages")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="iquest-fuzz-"))
    log = base / "server.log"
    started = time.perf_counter()
    target = FuzzTarget(base, stderr_path=log)
    try:
        while target.figures.messages < args.messages:
            fuzz(target, 200)
            print(
                f"{target.figures.messages} messages, {target.figures.batches} batches, "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
        huge_s = huge_document(target)
        final = target.sanity()
        peak_mib = target.server.rss_kib("VmHWM") / 1024
        exit_code = target.close()
    except BaseException:
        print(f"server log: {log}", file=sys.stderr)
        target.server.close()
        raise
    figures = target.figures
    summary = {
        "messages": figures.messages,
        "batches": figures.batches,
        "by_kind": dict(figures.by_kind),
        "answers": dict(figures.answers),
        "sanity_completions": figures.sanity_checks,
        "final_completion": final[0]["insertText"] if final else "",
        "huge_document_s": round(huge_s, 1),
        "peak_rss_mib": round(peak_mib),
        "exit_code": exit_code,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    ok = exit_code == 0 and bool(final)
    print("PASS" if ok else "FAIL: the server did not end cleanly or the last completion was empty")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
