"""Cost of the ghost-text security check (iquest.scanSuggestions) per suggestion.

Suggestions are cut from real code: windows of 1 to 8 lines at a seeded sample of places in the
Python standard library's own sources (the cursor line's text before the window is the prefix), plus
planted worst patterns. Each suggestion goes through the post-processing step (clean_completion)
with and without the check, and through the check alone, --repeat times; the figures are per
suggestion. No model is involved: the check runs after the model, on its cleaned text.

    .venv/bin/python scripts/bench_suggestion_scan.py [--suggestions 5000] [--repeat 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sysconfig
import time
from pathlib import Path

from lsp_server.completion.postprocess import clean_completion
from lsp_server.completion.suggestion_scan import screen
from lsp_server.percentile import percentile

PLANTED = [
    ("    ", "subprocess.run(user_cmd, shell=True)"),
    ("    subprocess.run(cmd, ", "shell=True)"),
    ("    ", "os.system(f'rm -rf {path}')"),
    ("  ", "child_process.exec(`ls ${dir}`);"),
    ("    ", "result = eval(request.args['expr'])"),
    ("    ", "r = requests.get(url, verify=False)"),
    ("", "-----BEGIN RSA PRIVATE KEY-----"),
    ("    ", 'API_KEY = "sk-1234567890abcdef"'),
]


def corpus(count: int, seed: int) -> list[tuple[str, str]]:
    """(cursor line prefix, suggestion) pairs from the standard library's sources."""
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    while len(out) < count:
        lines = rng.choice(files).read_text(encoding="utf-8", errors="replace").split("\n")
        if len(lines) < 10:
            continue
        start = rng.randrange(len(lines) - 9)
        line = lines[start]
        cut = rng.randrange(len(line) + 1)
        window = "\n".join([line[cut:], *lines[start + 1 : start + rng.randint(1, 8)]])
        if window.strip():
            out.append((line[:cut], window))
    return out


def timed(function, pairs, repeat: int) -> list[float]:
    """Microseconds per call of ``function(prefix, text)`` for each pair (the best of ``repeat``)."""
    costs = []
    for prefix, text in pairs:
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter_ns()
            function(prefix, text)
            best = min(best, time.perf_counter_ns() - started)
        costs.append(best / 1000)
    return costs


def summary(name: str, costs: list[float]) -> str:
    ordered = sorted(costs)
    return (
        f"{name:<34} mean {sum(costs) / len(costs):7.1f} µs  p50 {percentile(ordered, 0.5):7.1f}  "
        f"p99 {percentile(ordered, 0.99):7.1f}  max {ordered[-1]:7.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suggestions", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    pairs = corpus(args.suggestions, args.seed)
    planted = PLANTED * 50

    def clean(scan: bool):
        return lambda prefix, text: clean_completion(text, prefix=prefix, suffix="", multiline=True, scan=scan)

    changed = sum(screen(text, prefix) != text for prefix, text in pairs)
    caught = sum(screen(text, prefix) != text for prefix, text in PLANTED)
    print(f"{len(pairs)} suggestions from the standard library (1-8 lines), best of {args.repeat} runs each")
    check = timed(lambda prefix, text: screen(text, prefix), pairs, args.repeat)
    with_scan = timed(clean(True), pairs, args.repeat)
    without = timed(clean(False), pairs, args.repeat)
    print(summary("check alone", check))
    print(summary("post-processing with the check", with_scan))
    print(summary("post-processing without it", without))
    added = [a - b for a, b in zip(with_scan, without, strict=True)]
    print(summary("added by the check", added))
    print(summary("check alone, planted patterns", timed(lambda p, t: screen(t, p), planted, args.repeat)))
    print(f"cut or dropped: {changed} of {len(pairs)} real suggestions, {caught} of {len(PLANTED)} planted ones")


if __name__ == "__main__":
    main()
