"""The scanner without Semgrep: said once, the quick check instead; never hangs; the quick check itself."""

import asyncio
import os
import stat

from lsp_server.completion.suggestion_scan import screen
from lsp_server.scan.findings import Finding, introduced
from lsp_server.scan.service import QUICK_ENGINE, ScanFile, Scanner

OLD = "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n"
NEW = OLD + "\ndef calc(expr):\n    return eval(expr)\n"


def test_missing_semgrep_is_said_once_and_the_quick_check_runs():
    told: list[str] = []
    scanner = Scanner(locate=lambda: None, on_unavailable=told.append)
    first = asyncio.run(scanner.scan([ScanFile("a.py", OLD, NEW)]))
    second = asyncio.run(scanner.scan([ScanFile("b.py", OLD, NEW + "\nx = 1\n")]))
    assert len(told) == 1 and "semgrep is not installed" in told[0]
    assert first.engine == QUICK_ENGINE and "built-in patterns" in first.note
    assert [(f.rule, f.line) for f in first.findings] == [("quick.code-injection.eval", 6)]  # not the old shell
    assert [f.rule for f in second.findings] == ["quick.code-injection.eval"]


def test_a_broken_semgrep_is_said_once(tmp_path):
    broken = tmp_path / "semgrep"
    broken.write_text("#!/bin/sh\necho 'Traceback: boom' >&2\nexit 2\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    told: list[str] = []
    scanner = Scanner(str(broken), on_unavailable=told.append)
    report = asyncio.run(scanner.scan([ScanFile("a.py", OLD, NEW)]))
    asyncio.run(scanner.scan([ScanFile("a.py", OLD, NEW + "\n")]))
    assert len(told) == 1 and "semgrep failed (exit 2)" in told[0] and "boom" in told[0]
    assert report.engine == QUICK_ENGINE and report.high


def test_a_hanging_semgrep_is_killed_at_the_timeout(tmp_path):
    hang = tmp_path / "semgrep"
    hang.write_text("#!/bin/sh\nsleep 30\n")
    hang.chmod(hang.stat().st_mode | stat.S_IEXEC)
    scanner = Scanner(str(hang), timeout_s=0.5, on_unavailable=lambda m: None)
    report = asyncio.run(scanner.scan([ScanFile("a.py", OLD, NEW)]))
    assert report.seconds < 5 and "did not finish within" in report.note and report.high
    assert scanner.unavailable is None  # a slow scan is not a broken Semgrep


def test_a_cancelled_scan_ends_soon_though_a_child_that_left_the_group_holds_its_pipes(tmp_path):
    # setsid: the child is out of the killed process group and keeps stdout/stderr open for 30 s.
    stray = tmp_path / "semgrep"
    stray.write_text("#!/bin/sh\nsetsid sleep 30 &\nsleep 30\n")
    stray.chmod(stray.stat().st_mode | stat.S_IEXEC)
    scanner = Scanner(str(stray), timeout_s=30, on_unavailable=lambda m: None)

    async def cancelled_scan() -> float:
        task = asyncio.ensure_future(scanner.scan([ScanFile("a.py", OLD, NEW)]))
        await asyncio.sleep(0.5)
        task.cancel()
        started = asyncio.get_running_loop().time()
        await asyncio.gather(task, return_exceptions=True)
        return asyncio.get_running_loop().time() - started

    assert asyncio.run(cancelled_scan()) < 5  # a server shutting down waits for this


def test_semgrep_runs_offline_with_the_shipped_rules_only():
    from lsp_server.scan.semgrep import command, rules_dir

    line = command("semgrep", ["after/0/a.py"])
    assert line[line.index("--metrics") + 1] == "off" and "--disable-version-check" in line
    assert line[line.index("--config") + 1] == str(rules_dir()) and "--disable-nosem" in line
    assert sorted(p.name for p in rules_dir().glob("*.yml")) == [
        "c.yml",
        "go.yml",
        "java.yml",
        "javascript.yml",
        "private_keys.yml",
        "python.yml",
    ]
    assert not any(part.startswith(("p/", "r/", "http")) for part in line)


def test_introduced_matches_by_text_not_line():
    def f(line, text, rule="r"):
        return Finding(rule, "high", "m", "a.py", line, line, text)

    before = [f(3, "eval(x)"), f(9, "os.system(c)")]
    after = [f(5, "eval(x)"), f(6, "eval(x)"), f(12, "os.system(c)"), f(14, "eval(y)")]
    assert [x.line for x in introduced(before, after)] == [6, 14]


def test_quick_screen_drops_or_cuts_suggestions():
    assert screen("subprocess.run(user_cmd, shell=True)", "    ") == ""
    assert screen("shell=True)", "    subprocess.run(cmd, ") == ""
    assert screen("x = 1\n    eval(data)\n    y = 2", "    ") == "x = 1"
    assert screen("requests.get(url, verify=False)", "    r = ") == ""
    assert screen("-----BEGIN RSA PRIVATE KEY-----", 'KEY = """') == ""
    assert screen('"sk-live-1234567890abcdef"', "    API_KEY = ") == ""
    assert screen("child_process.exec(`ls ${dir}`);", "  ") == ""
    assert screen("os.system(f'rm {path}')", "    ") == ""
    for harmless, line in [
        ("subprocess.run(['ls', '-l'])", "    "),
        ('subprocess.run("ls -l", shell=True)', "    "),
        ("ast.literal_eval(data)", "    "),
        ("re.exec(text)", "  "),
        ("requests.get(url, timeout=5)", "    "),
        ('os.environ["API_KEY"]', "    api_key = "),
        ("check_password(pw)", "    ok = "),
        (")", "    subprocess.run(cmd, shell=True"),  # the user typed it, the suggestion only closes it
    ]:
        assert screen(harmless, line) == harmless, harmless


def test_rules_are_package_data():
    from lsp_server.scan.semgrep import rules_dir

    assert all(os.path.getsize(p) > 200 for p in rules_dir().glob("*.yml"))
