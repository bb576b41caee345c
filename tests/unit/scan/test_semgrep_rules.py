"""The shipped Semgrep rules on planted insecure code in each language, and on harmless code (real Semgrep)."""

import asyncio
import os

import pytest

from lsp_server.scan.semgrep import find_semgrep
from lsp_server.scan.service import ScanFile, Scanner

pytestmark = pytest.mark.skipif(
    find_semgrep() is None and not os.environ.get("CI"),  # in CI it must be there: the test then fails
    reason="semgrep is a dependency: pip install -e .[dev]",
)

PLANTED = {
    "app.py": (
        "import subprocess, os, pickle, requests, hashlib\n"
        "def handler(user_cmd, data, cur, name, request):\n"
        "    subprocess.run(user_cmd, shell=True)\n"
        "    os.system('rm ' + name)\n"
        "    eval(data)\n"
        "    pickle.loads(data)\n"
        "    requests.get('https://example.org', verify=False)\n"
        '    cur.execute("SELECT * FROM users WHERE name = \'" + name + "\'")\n'
        "    API_KEY = 'sk-1234567890abcdef'\n"
        "    hashlib.md5(data)\n"
        "    open(os.path.join('/srv', request.args['p']))\n",
        {
            "python.command-injection.shell-true",
            "python.command-injection.os-system",
            "python.code-injection.eval-exec",
            "python.deserialization.unsafe",
            "python.tls.verify-disabled",
            "python.sql.string-built",
            "python.secrets.hardcoded-credential",
            "python.crypto.weak-hash",
            "python.path-traversal.request-path",
        },
    ),
    "server.js": (
        "const child_process = require('child_process');\n"
        "function f(req, db) {\n"
        "  child_process.exec(`ls ${req.query.dir}`);\n"
        "  eval(req.body.code);\n"
        "  db.query('SELECT * FROM t WHERE id = ' + req.params.id);\n"
        "  https.request({ host: 'x', rejectUnauthorized: false });\n"
        "  const apiKey = 'AbCdEf0123456789xyz';\n"
        "  const token = Math.random().toString(36);\n"
        "}\n",
        {
            "javascript.command-injection.child-process",
            "javascript.code-injection.eval",
            "javascript.sql.string-built",
            "javascript.tls.verify-disabled",
            "javascript.secrets.hardcoded-credential",
            "javascript.crypto.insecure-random-secret",
        },
    ),
    "api.ts": (
        "import { exec } from 'child_process';\n"
        "export function run(dir: string): void {\n"
        "  exec(`git log ${dir}`);\n"
        "}\n",
        {"javascript.command-injection.child-process"},
    ),
    "main.go": (
        "package main\n"
        "func f(db *sql.DB, name string) {\n"
        '\texec.Command("sh", "-c", "ls "+name).Run()\n'
        "\t_ = &tls.Config{InsecureSkipVerify: true}\n"
        "\tdb.Query(fmt.Sprintf(\"SELECT * FROM t WHERE n = '%s'\", name))\n"
        "\tmd5.Sum([]byte(name))\n"
        "}\n",
        {"go.command-injection.shell", "go.tls.verify-disabled", "go.sql.string-built", "go.crypto.weak"},
    ),
    "A.java": (
        "class A {\n"
        "  void f(String cmd, Statement st) throws Exception {\n"
        '    Runtime.getRuntime().exec("ls " + cmd);\n'
        '    st.executeQuery("SELECT * FROM t WHERE n = \'" + cmd + "\'");\n'
        '    MessageDigest.getInstance("MD5");\n'
        "  }\n"
        "}\n",
        {"java.command-injection.runtime-exec", "java.sql.string-built", "java.crypto.weak"},
    ),
    "tool.c": (
        "#include <stdlib.h>\n"
        "void f(const char *name) {\n"
        "  char buf[256];\n"
        "  system(buf);\n"
        '  const char *api_key = "abcdef0123456789";\n'
        "}\n",
        {"c.command-injection.system", "c.secrets.hardcoded-credential"},
    ),
    "tool.cpp": ("void f(const std::string &cmd) {\n  std::system(cmd.c_str());\n}\n", {"c.command-injection.system"}),
}

HARMLESS = {
    "app.py": (
        "import subprocess, os, yaml, requests, hashlib, secrets\n"
        "def f(data, cur, name):\n"
        "    subprocess.run(['ls', '-l', name], check=True)\n"
        "    subprocess.run('ls -l', shell=True)\n"
        "    yaml.safe_load(data)\n"
        "    requests.get('https://example.org', timeout=5)\n"
        "    cur.execute('SELECT * FROM users WHERE name = ?', (name,))\n"
        "    api_key = os.environ['API_KEY']\n"
        "    token = secrets.token_hex(16)\n"
        "    return hashlib.sha256(data).hexdigest()\n"
    ),
    "server.js": (
        "const { execFile } = require('child_process');\n"
        "function f(req, db, re) {\n"
        "  execFile('ls', [req.query.dir]);\n"
        "  re.exec(req.query.s);\n"
        "  db.query('SELECT * FROM t WHERE id = ?', [req.params.id]);\n"
        "  const apiKey = process.env.API_KEY;\n"
        "}\n"
    ),
}


def _scan(files):
    return asyncio.run(Scanner().scan(files))


def test_planted_insecure_code_is_found_in_every_language():
    report = _scan([ScanFile(name, None, text) for name, (text, _) in PLANTED.items()])
    assert report.engine.startswith("semgrep ") and not report.note
    for name, (_, expected) in PLANTED.items():
        found = {finding.rule for finding in report.findings if finding.path == name}
        assert expected <= found, (name, expected - found)
    shell = next(f for f in report.findings if f.rule == "python.command-injection.shell-true")
    assert shell.severity == "high" and shell.line == 2 and shell.text == "subprocess.run(user_cmd, shell=True)"
    assert report.findings[0].severity == "high"  # most severe first
    assert any(f.severity == "medium" for f in report.findings)  # weak crypto annotates


def test_harmless_code_is_clean():
    report = _scan([ScanFile(name, None, text) for name, text in HARMLESS.items()])
    assert report.findings == ()


def test_only_what_the_edit_introduces_is_reported():
    old = "import subprocess\n\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n"
    # the old finding moves down and is re-indented; one new finding is added
    new = (
        "import subprocess\nimport os\n\n\nclass Runner:\n    def run(self, cmd):\n"
        "        subprocess.run(cmd, shell=True)\n\n    def more(self, x):\n        eval(x)\n"
    )
    report = _scan([ScanFile("pkg/run.py", old, new)])
    assert [(f.rule, f.line) for f in report.findings] == [("python.code-injection.eval-exec", 9)]
    assert _scan([ScanFile("pkg/run.py", old, old + "\nVALUE = 1\n")]).findings == ()
    twice = old + "\ndef again(cmd):\n    subprocess.run(cmd, shell=True)\n"
    assert [f.line for f in _scan([ScanFile("pkg/run.py", old, twice)]).findings] == [6]  # a second copy is new


def test_a_nosemgrep_comment_from_the_model_does_not_hide_a_finding():
    report = _scan([ScanFile("a.py", "", "import os\nos.system(cmd)  # nosemgrep\n")])
    assert [f.rule for f in report.findings] == ["python.command-injection.os-system"]
