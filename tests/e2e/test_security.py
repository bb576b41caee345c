"""Security promises (SECURITY.md): no secret in any prompt, nothing read outside the workspace, no network.

Every test runs the real server with SmolLM2 and asserts on the exact prompt text the model got
($IQUEST_PROMPT_LOG) or on the connections the process tried (an audit hook in the server).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "fuzz"))
from harness import initialize_params, server_env, wait_ready  # noqa: E402
from lsp_session import require_model  # noqa: E402
from rpc import RawServer  # noqa: E402
from secret_oracle import assert_oracle_finds_nothing, oracle_findings  # noqa: E402

SMOLLM = "smollm2-135m"
SECRETS = {
    "aws access key id": "AKIAIOSFODNN7EXAMPLE",
    "aws secret key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "github token": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "slack token": "xoxb-2048-1024-AbCdEfGhIjKlMnOpQrStUv",
    "stripe key": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "google api key": "AIzaSyA-1234567890abcdefghijklmnopqrstu",
    "openai key in .env": "sk-proj-dotenvvalue1234567890abcdefABCDEF",
    "password in a url": "s3cr3t-pa55w0rd",
    "private key body": "MIIEowIBAAKCAQEA7bq9xExamplePrivateKeyMaterial",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJlLXZhbHVl",
    "password assignment": "hunter2-correct-horse",
    "npm token file": "npm_abcdefghijklmnopqrstuvwxyz0123456789",
    "azure storage key": "ME9e4ipdsswgLtn2JMjvMvbsNgEAMzZApEacwgNbCvQeI9xhxA8eJ4PrBd7a7MmLSMneId0TCH2jM4OxKg7jQA==",
    "azure service bus key": "SlunfaFrkgHi5FOySZ0ntiUFseA0Tge91gLQlrnSFVA=",
    "discord bot token": "MTAxOTYwNjE2NzQ4NzQ4MDk2MA.9SDzRB.6PkUk4pVV5YVjy2HfvfoL9rKvu5",
    "twilio account sid": "AC2d6331a896688ca4981294c0e29b6854",
    "twilio auth token": "070f2f61d1e7d9e04172ef9c605e7b25",
    "telegram bot token": "501425881:AAaW91B1TSVHabFIyGL6W0SQLfX9pLcyppX",
    "slack webhook": "TKYXG0FWM/B71YORKNTRV/w8pyAiGP3YUzZzN5EXnRM7xR",
    "gcp private key id": "9eff21ec6820d4f5df94eaa6c3703cba9bf26c59",
    "libpq password": "r7uv3MDUMnIG729p",
}
# What detect-secrets (the oracle) must find in the planted file, so a blind oracle cannot pass.
ORACLE_SEES = {"Azure Storage Account access key", "Discord Bot Token", "Slack Token"}
OUTSIDE = "OUTSIDE_WORKSPACE_MARKER_7f3a"


def write_project(root: Path) -> Path:
    """A small shop whose ordinary source files hold secrets, plus secrets files that must not be read."""
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text('"""The shop."""\n')
    (root / "shop" / "settings.py").write_text(
        textwrap.dedent(f'''\
        """Settings of the shop."""

        AWS_ACCESS_KEY_ID = "{SECRETS["aws access key id"]}"
        aws_secret_access_key = "{SECRETS["aws secret key"]}"
        GITHUB_TOKEN = "{SECRETS["github token"]}"
        SLACK_BOT_TOKEN = "{SECRETS["slack token"]}"
        STRIPE_KEY = "{SECRETS["stripe key"]}"
        MAPS_KEY = "{SECRETS["google api key"]}"
        DATABASE_URL = "postgres://shop:{SECRETS["password in a url"]}@db.internal/shop"
        SESSION = "{SECRETS["jwt"]}"
        admin_password = "{SECRETS["password assignment"]}"
        STORAGE = (
            "DefaultEndpointsProtocol=https;AccountName=shop;"
            "AccountKey={SECRETS["azure storage key"]};EndpointSuffix=core.windows.net"
        )
        BUS = (
            "Endpoint=sb://shop.servicebus.windows.net/;"
            "SharedAccessKeyName=Root;SharedAccessKey={SECRETS["azure service bus key"]}"
        )
        DISCORD_BOT = "{SECRETS["discord bot token"]}"
        SMS = Client("{SECRETS["twilio account sid"]}", "{SECRETS["twilio auth token"]}")
        TELEGRAM_BOT = Bot("{SECRETS["telegram bot token"]}")
        ALERTS = "https://hooks.slack.com/services/{SECRETS["slack webhook"]}"
        SERVICE_ACCOUNT = {{"type": "service_account", "private_key_id": "{SECRETS["gcp private key id"]}"}}
        PG_DSN = "host=db.internal port=5432 user=shop password={SECRETS["libpq password"]} dbname=shop"


        def database_url():
            """The database to connect to."""
            return DATABASE_URL
        ''')
    )
    (root / "shop" / "client.js").write_text(
        f"const token = '{SECRETS['github token']}';\n\n"
        "export function headers() {\n  return { Authorization: token };\n}\n"
    )
    (root / ".env").write_text(f"OPENAI_API_KEY={SECRETS['openai key in .env']}\n")
    (root / ".npmrc").write_text(f"//registry.npmjs.org/:_authToken={SECRETS['npm token file']}\n")
    (root / "deploy_key.pem").write_text(
        f"-----BEGIN RSA PRIVATE KEY-----\n{SECRETS['private key body']}\n-----END RSA PRIVATE KEY-----\n"
    )
    return root


def start(tmp_path: Path, root: Path, **options) -> RawServer:
    env = {**server_env(tmp_path), "IQUEST_PROMPT_LOG": str(tmp_path / "prompts.jsonl")}
    server = RawServer(env=env, stderr_path=tmp_path / "server.log")
    server.call("initialize", initialize_params(root, contextTokens=2000, maxPromptTokens=1024, **options), timeout=60)
    server.notify("initialized", {})
    assert wait_ready(server)["state"] == "ready"
    deadline = time.monotonic() + 60
    while status(server)["index"]["state"] != "ready" and time.monotonic() < deadline:
        time.sleep(0.1)
    return server


def status(server: RawServer) -> dict:
    return server.call("workspace/executeCommand", {"command": "iquest.status"})["result"]


def open_and_complete(server: RawServer, path: Path, text: str, language: str = "python") -> dict:
    uri = path.as_uri()
    server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}
    )
    lines = text.split("\n")
    params = {
        "textDocument": {"uri": uri},
        "position": {"line": len(lines) - 1, "character": len(lines[-1])},
        "context": {"triggerKind": 1},
    }
    return server.call("textDocument/inlineCompletion", params, timeout=300)


def command(server: RawServer, name: str, argument: dict) -> dict:
    return server.call("workspace/executeCommand", {"command": name, "arguments": [argument]}, timeout=600)


def logged(tmp_path: Path) -> list[dict]:
    path = tmp_path / "prompts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def whole_file(path: Path) -> dict:
    lines = path.read_text().split("\n")
    return {"start": {"line": 0, "character": 0}, "end": {"line": len(lines) - 1, "character": len(lines[-1])}}


def assert_no_secret(prompts: list[str]) -> None:
    for name, secret in SECRETS.items():
        for prompt in prompts:
            assert secret not in prompt, f"{name} reached a prompt"


def test_no_secret_reaches_a_completion_action_or_refactor_plan_prompt(tmp_path):
    require_model(SMOLLM)
    root = write_project(tmp_path / "repo")
    before = snapshot(root)
    assert ORACLE_SEES <= {kind for kind, _ in oracle_findings(root / "shop" / "settings.py")}
    server = start(tmp_path, root, maxTokens=4, actionMaxTokens=16)
    settings = root / "shop" / "settings.py"
    try:
        # Completions: inside the file with the secrets, in a file that uses it (context), in JS.
        assert "result" in open_and_complete(
            server, settings, settings.read_text() + "\n\ndef cache_url():\n    return"
        )
        text = (
            "from shop.settings import database_url, DATABASE_URL, GITHUB_TOKEN, admin_password\n\n\n"
            "def connect():\n    url = "
        )
        assert "result" in open_and_complete(server, root / "shop" / "db.py", text)
        assert "result" in open_and_complete(
            server, root / "shop" / "client.js", (root / "shop" / "client.js").read_text() + "\n", "javascript"
        )
        # Secrets files: no completion and no action at all.
        assert open_and_complete(server, root / ".env", (root / ".env").read_text())["result"]["items"] == []
        assert "error" in command(
            server, "iquest.explain", {"uri": (root / ".env").as_uri(), "range": whole_file(root / ".env")}
        )
        # Actions and plans over the file with the secrets.
        uri = settings.as_uri()
        for name, argument in [
            ("iquest.explain", {"uri": uri, "range": whole_file(settings)}),
            (
                "iquest.rewriteSelection",
                {"uri": uri, "range": whole_file(settings), "instruction": "sort the settings"},
            ),
            (
                "iquest.refactorPlan",
                {
                    "goal": "Read the settings from the environment",
                    "focus": ["shop/settings.py", ".env", "deploy_key.pem"],
                },
            ),
        ]:
            answer = command(server, name, argument)
            assert "result" in answer or answer["error"]["code"] != -32603, (name, answer)
    finally:
        server.close()
    entries = logged(tmp_path)
    kinds = {entry["kind"].split(":")[0] for entry in entries}
    assert {"request", "action"} <= kinds, kinds
    actions = [entry["prompt"] for entry in entries if entry["kind"].startswith("action:")]
    assert len(actions) >= 3, [entry["kind"] for entry in entries]
    # The code around the secrets is there (so an empty prompt cannot pass), the secrets are not.
    assert any("def database_url():" in prompt and "<redacted>" in prompt for prompt in actions)
    assert any("def database_url():" in entry["prompt"] for entry in entries if entry["kind"] == "request")
    assert_oracle_finds_nothing(tmp_path / "oracle", [entry["prompt"] for entry in entries])
    assert_no_secret([entry["prompt"] for entry in entries])
    assert snapshot(root) == before  # edits went to the client as WorkspaceEdits; no file was written


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def write_escapes(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace with a symlinked folder and a symlinked file that lead outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.py").write_text(
        f'def outside_helper_{OUTSIDE}(value):\n    """Docstring seen only on disk ZZ91."""\n    return value\n\n\n'
        "def hidden_outside_function_q9z():\n    return 0\n"
    )
    (outside / "secret_config.py").write_text(f"TOKEN_{OUTSIDE} = 1\n")
    root = tmp_path / "ws"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "core.py").write_text("def inside_helper(value):\n    return value * 2\n")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "app" / "alias.py").symlink_to(outside / "leak.py")
    return root, outside


def test_symlinks_and_dotdot_paths_out_of_the_workspace_are_never_read(tmp_path):
    require_model(SMOLLM)
    root, outside = write_escapes(tmp_path)
    server = start(tmp_path, root, maxTokens=4)
    try:
        index = status(server)["index"]
        assert index["files"] == 2, index  # app/__init__.py and app/core.py; no symlinked file or folder
        text = (
            f"from linked.leak import outside_helper_{OUTSIDE}\nfrom app.alias import outside_helper_{OUTSIDE}\n"
            "from app.core import inside_helper\n\n\n"
            f"def run(x):\n    return inside_helper(outside_helper_{OUTSIDE}(x)) + "
        )
        assert "result" in open_and_complete(server, root / "app" / "main.py", text)
        # A document opened through `..` or outside the workspace gets no repository context.
        dotdot = root.as_uri() + "/../outside/notes.py"
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": dotdot, "languageId": "python", "version": 1, "text": "from leak import *\nx = "}},
        )
        assert "result" in server.call(
            "textDocument/inlineCompletion",
            {"textDocument": {"uri": dotdot}, "position": {"line": 1, "character": 4}, "context": {"triggerKind": 1}},
            timeout=300,
        )
        assert "result" in open_and_complete(
            server, outside / "other.py", "import secret_config\nfrom leak import *\ny = "
        )
        # Open and close the symlinked file: back to "the disk" must not mean reading through the link.
        alias = (root / "app" / "alias.py").as_uri()
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": alias, "languageId": "python", "version": 1, "text": "x = 1\n"}},
        )
        server.notify("textDocument/didClose", {"textDocument": {"uri": alias}})
        time.sleep(1)  # open documents are indexed after a short pause in typing
        assert "result" in open_and_complete(server, root / "app" / "main2.py", text)
        assert status(server)["index"]["files"] == 4  # app/main.py (open) joined; the outside documents did not
        plan = command(
            server,
            "iquest.refactorPlan",
            {
                "goal": "inline the helper",
                "focus": ["../outside/leak.py", str(outside / "leak.py"), "linked/leak.py", "app/alias.py"],
            },
        )
        assert "result" in plan or plan["error"]["code"] != -32603, plan
    finally:
        server.close()
    prompts = [entry["prompt"] for entry in logged(tmp_path)]
    assert prompts and any("inside_helper" in p and "return value * 2" in p for p in prompts)  # inside context is used
    for prompt in prompts:
        # Text only the outside files hold (a docstring, a function, a constant) never appears.
        for marker in ("ZZ91", "hidden_outside_function_q9z", f"TOKEN_{OUTSIDE}"):
            assert marker not in prompt, (marker, prompt[-2000:])


NETWORK_HOOK = textwrap.dedent('''\
    """Test hook: record and refuse every network operation of this process (see test_security.py)."""
    import os
    import socket
    import sys

    _LOG = os.environ["IQUEST_NET_LOG"]


    def _hook(event, args):
        if event == "socket.connect" and getattr(args[0], "family", None) == socket.AF_UNIX:
            return
        if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto", "urllib.Request"):
            with open(_LOG, "a") as handle:
                handle.write(f"{event} {args[1:] if event == 'socket.connect' else args}\\n")
            raise PermissionError(f"network blocked by the test: {event}")


    sys.addaudithook(_hook)
    ''')


def test_nothing_goes_to_the_network_by_default(tmp_path):
    require_model(SMOLLM)
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(NETWORK_HOOK)
    net_log = tmp_path / "network.log"
    env = {
        "PYTHONPATH": os.pathsep.join([str(hook_dir), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "IQUEST_NET_LOG": str(net_log),
    }
    # The hook works: a plain connection attempt from a process with the same environment is caught.
    probe = subprocess.run(
        [sys.executable, "-c",
         "import socket\ntry:\n socket.create_connection(('127.0.0.1', 9), timeout=1)\nexcept OSError:\n pass"],
        env={**os.environ, **env}, timeout=60,
    )  # fmt: skip
    assert probe.returncode == 0 and "socket" in net_log.read_text()
    net_log.unlink()
    root = write_project(tmp_path / "repo")
    server = RawServer(env={**server_env(tmp_path), **env}, stderr_path=tmp_path / "server.log")
    try:
        server.call(
            "initialize", initialize_params(root, maxTokens=8, actionMaxTokens=16), timeout=60
        )  # default settings otherwise
        server.notify("initialized", {})
        assert wait_ready(server)["state"] == "ready"
        assert "result" in open_and_complete(
            server, root / "shop" / "app.py", "from shop.settings import database_url\n\n\ndef main():\n    return "
        )
        uri = (root / "shop" / "app.py").as_uri()
        assert "result" in command(
            server,
            "iquest.explain",
            {"uri": uri, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 3, "character": 0}}},
        )
        for name in ("iquest.reindex", "iquest.reloadModel", "iquest.status"):
            assert "result" in server.call("workspace/executeCommand", {"command": name}, timeout=300)
        assert server.close() == 0
    finally:
        server.close()
    assert not net_log.exists(), net_log.read_text()
    # The suggestion shown was audited, locally, in a file only its owner can read.
    audit = tmp_path / "state" / "audit.jsonl"
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    assert any(entry["kind"] == "inline_completion" and len(entry["prompt_sha256"]) == 64 for entry in entries), entries
    assert audit.stat().st_mode & 0o777 == 0o600
