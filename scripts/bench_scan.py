"""What the Semgrep scan of a proposed edit costs: start-up, one proposal, a five-file proposal.

Measures, each --runs times (the median and the worst are printed):
  * start-up of Semgrep's Python CLI (`semgrep scan`, which pysemgrep runs) and of the OCaml engine the
    server uses (`semgrep scan --experimental`), on one small file with the shipped rules;
  * the same engine right after its 270 MB binary was dropped from the page cache (posix_fadvise), the
    first scan after a reboot or a long idle;
  * Scanner.scan (what a proposal waits for: both sides of every file written out, one Semgrep run,
    the findings compared) for a one-file and a five-file proposal of about 60 lines each.

    .venv/bin/python scripts/bench_scan.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from lsp_server.scan.semgrep import _environment, command, find_semgrep
from lsp_server.scan.service import ScanFile, Scanner

MODULE = "".join(
    f"def handler_{i}(request, db):\n    rows = db.execute('SELECT * FROM t WHERE id = ?', (request.id,))\n"
    f"    return [row.name for row in rows if row.value > {i}]\n\n\n"
    for i in range(12)
)
PLANTED = MODULE + "def run(user_cmd):\n    import subprocess\n    subprocess.run(user_cmd, shell=True)\n"


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True, timeout=300)
    return time.perf_counter() - started


def drop_from_page_cache(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def line(name: str, values: list[float]) -> str:
    return f"{name:<52} median {statistics.median(values):6.2f} s  worst {max(values):6.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    semgrep = find_semgrep()
    if semgrep is None:
        raise SystemExit("semgrep is not installed: pip install -e .[dev]")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "a.py").write_text(PLANTED)
        env = _environment(work)
        engine = command(semgrep, ["a.py"])
        python_cli = [part for part in engine if part != "--experimental"]
        print(f"semgrep: {semgrep}; {len(PLANTED.splitlines())}-line file; {args.runs} runs each")
        print(
            line("start-up + scan, Python CLI (semgrep scan)", [timed(python_cli, work, env) for _ in range(args.runs)])
        )
        print(
            line("start-up + scan, OCaml engine (--experimental)", [timed(engine, work, env) for _ in range(args.runs)])
        )
        core = Path(semgrep).resolve().parent
        binaries = list(core.glob("../lib/python*/site-packages/semgrep/bin/semgrep-core"))
        cold = []
        for _ in range(min(3, args.runs)):
            if not binaries or not drop_from_page_cache(binaries[0]):
                break
            cold.append(timed(engine, work, env))
        if cold:
            print(line("the same, engine binary dropped from the page cache", cold))
        else:
            print("(could not drop the engine binary from the page cache)")

    async def proposals() -> tuple[list[float], list[float], int]:
        one, five, found = [], [], 0
        for run in range(args.runs):
            scanner = Scanner()  # no cache between runs
            started = time.perf_counter()
            report = await scanner.scan([ScanFile("pkg/m.py", MODULE, PLANTED + f"\n# run {run}\n")])
            one.append(time.perf_counter() - started)
            found = len(report.findings)
            files = [ScanFile(f"pkg/m{i}.py", MODULE, PLANTED + f"\n# {run}\n") for i in range(5)]
            started = time.perf_counter()
            await scanner.scan(files)
            five.append(time.perf_counter() - started)
        return one, five, found

    one, five, found = asyncio.run(proposals())
    print(line(f"Scanner.scan, 1-file proposal ({found} finding introduced)", one))
    print(line("Scanner.scan, 5-file proposal", five))


if __name__ == "__main__":
    main()
