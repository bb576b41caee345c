"""Tests for keeping secret files and key-shaped strings out of prompts."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.context.secrets import REDACTED, is_secret_path, redact

# Fake keys are assembled at run time so no scanner mistakes this file for a leak.
AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SESSION_ID = "ASIA" + "Z2X3C4V5B6N7M8Q9"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
GITHUB_TAIL = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
GITHUB = {prefix: prefix + GITHUB_TAIL for prefix in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")}
GITHUB_PAT = "github_pat_" + "11ABCDEFG0" + "abcdefghij_" * 6
GITLAB = "glpat-" + "xYz12AbC34dEf56GhI78"
SLACK = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
GOOGLE = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
STRIPE = {prefix: prefix + "51HqLyjW" + "x" * 16 for prefix in ("sk_live_", "rk_live_", "sk_test_")}
OPENAI = "sk-" + "T3BlbkFJa1b2c3d4e5f6g7h8"
OPENAI_PROJECT = "sk-proj-" + "Ab12Cd34Ef56Gh78Ij90Kl12Mn34"
ANTHROPIC = "sk-ant-api03-" + "Xy9_" * 10 + "AA"
JWT = "eyJ" + "hbGciOiJIUzI1NiJ9" + ".eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0" + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
PEM_BODY = "MIIEowIBAAKCAQEA7bq\nZmFrZSBrZXkgZGF0YQ==\nAbCdEf0123456789+/="
AZURE_KEY = "ME9e4ipdsswgLtn2JMjvMvbsNgEAMzZApEacwgNbCvQeI9xhxA8eJ4Pr" + "Bd7a7MmLSMneId0TCH2jM4OxKg7jQA=="
SERVICE_BUS_KEY = "SlunfaFrkgHi5FOySZ0ntiUF" + "seA0Tge91gLQlrnSFVA="
DISCORD = "MTAxOTYwNjE2NzQ4NzQ4MDk2MA" + ".9SDzRB." + "6PkUk4pVV5YVjy2HfvfoL9rKvu5"
TWILIO_SID = "AC" + "2d6331a896688ca4981294c0e29b6854"
TWILIO_KEY_SID = "SK" + "4f1e0a7c9b2d6e8f0a1b3c5d7e9f1a2b"
TWILIO_TOKEN = "070f2f61d1e7d9e0" + "4172ef9c605e7b25"
TELEGRAM = "501425881:" + "AAaW91B1TSVHabFIyGL6W0SQLfX9pLcyppX"
SLACK_HOOK_PATH = "TKYXG0FWM/B71YORKNTRV/" + "w8pyAiGP3YUzZzN5EXnRM7xR"
GCP_KEY_ID = "9eff21ec6820d4f5df94" + "eaa6c3703cba9bf26c59"


@pytest.mark.parametrize(
    "name",
    [
        ".env",
        ".env.local",
        ".env.example",
        ".ENV.production",
        "server.pem",
        "tls.key",
        "store.p12",
        "cert.pfx",
        "app.jks",
        "release.keystore",
        "site.crt",
        "ca.cer",
        "ca.der",
        "id_rsa",
        "id_rsa.pub",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
        ".netrc",
        ".npmrc",
        ".pypirc",
        ".git-credentials",
        "credentials",
        "prod.tfvars",
        "secrets.yaml",
        "secrets.py",
        "client_secret_123.json",
        "my-secrets.yml",
        "app_secret.toml",
        ".htpasswd",
        "vault.kdbx",
        "SERVER.PEM",
    ],
)
def test_secret_file_names(name: str) -> None:
    assert is_secret_path(name)
    assert is_secret_path(Path("/work/project/config") / name)


@pytest.mark.parametrize(
    "name", ["main.py", "environment.ts", "keyboard.py", "secret_handler.py", "tokens.json", "config.yaml", "README.md"]
)
def test_ordinary_file_names(name: str) -> None:
    assert not is_secret_path(name)


@pytest.mark.parametrize(
    ("before", "secret", "after"),
    [
        ('aws_id = "', AWS_ID, '"  # deploy key'),
        ("session = ", AWS_SESSION_ID, "\n"),
        *((f'TOKEN_{prefix} = ("', token, '")') for prefix, token in GITHUB.items()),
        ("pat: ", GITHUB_PAT, " # ci"),
        ("const gitlab = '", GITLAB, "';"),
        ("slack(", SLACK, ")"),
        ("maps_key = '", GOOGLE, "'"),
        *((f'stripe[{i}] = "', key, '"') for i, key in enumerate(STRIPE.values())),
        ('client = OpenAI(key="', OPENAI, '")'),
        ("OPENAI=", OPENAI_PROJECT, "\n"),
        ("anthropic = Anthropic(", ANTHROPIC, ")"),
        ("headers['Authorization'] = 'Bearer ' + '", JWT, "'"),
    ],
)
def test_tokens_are_redacted_and_surroundings_kept(before: str, secret: str, after: str) -> None:
    assert redact(before + secret + after) == before + REDACTED + after


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"aws_secret_access_key = {AWS_SECRET}\nregion = eu", f"aws_secret_access_key = {REDACTED}\nregion = eu"),
        (f'AWS_SECRET_ACCESS_KEY="{AWS_SECRET}"', f'AWS_SECRET_ACCESS_KEY="{REDACTED}"'),
        (f'{{"aws_secret_access_key": "{AWS_SECRET}"}}', f'{{"aws_secret_access_key": "{REDACTED}"}}'),
    ],
)
def test_aws_secret_key_in_assignment(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_pem_private_key_block_becomes_one_marker() -> None:
    for kind in ("RSA ", "EC ", "OPENSSH ", "ENCRYPTED ", ""):
        block = f"-----BEGIN {kind}PRIVATE KEY-----\n{PEM_BODY}\n-----END {kind}PRIVATE KEY-----"
        text = f"KEY = '''\n{block}\n'''\nprint(KEY)\n"
        assert redact(text) == f"KEY = '''\n{REDACTED}\n'''\nprint(KEY)\n"


def test_pem_block_inside_escaped_string_and_unterminated_block() -> None:
    escaped = 'key = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEow\\n-----END RSA PRIVATE KEY-----"\nnext = 1'
    assert redact(escaped) == f'key = "{REDACTED}"\nnext = 1'
    assert redact(f"header\n-----BEGIN PRIVATE KEY-----\n{PEM_BODY}") == f"header\n{REDACTED}"


def test_pem_body_whose_begin_line_was_cut_off() -> None:
    window = "Zm9vYmFy\n" + PEM_BODY + "\n-----END RSA PRIVATE KEY-----\n)\nprint(KEY)\n"
    assert redact(window) == f"{REDACTED}\n)\nprint(KEY)\n"
    code = 'if line == "-----END RSA PRIVATE KEY-----":\n    done = True\n'
    assert redact(code) == code


def test_public_certificate_is_not_a_private_key() -> None:
    cert = "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----"
    assert redact(cert) == cert


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "DB = 'postgres://admin:s3cr3t-pw@db.example.com:5432/app'",
            f"DB = 'postgres://admin:{REDACTED}@db.example.com:5432/app'",
        ),
        (
            "git clone https://bob:hunter2@github.com/org/repo.git",
            f"git clone https://bob:{REDACTED}@github.com/org/repo.git",
        ),
        ("amqp+ssl://user:p%40ss@mq:5671", f"amqp+ssl://user:{REDACTED}@mq:5671"),
    ],
)
def test_password_in_url_removed_user_and_host_kept(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('password = "hunter2hunter2"', f'password = "{REDACTED}"'),
        ("PASSWORD: 'correct-horse'", f"PASSWORD: '{REDACTED}'"),
        ('{"api_key": "abcd1234efgh", "name": "demo"}', f'{{"api_key": "{REDACTED}", "name": "demo"}}'),
        ("db_passwd='qwertyuiop'", f"db_passwd='{REDACTED}'"),
        ('clientSecret: "0a1b2c3d4e5f"', f'clientSecret: "{REDACTED}"'),
        ('self.access_token = "abcdefghijkl"', f'self.access_token = "{REDACTED}"'),
        ('config["apiKey"] = `abcdefghijk`;', f'config["apiKey"] = `{REDACTED}`;'),
        ('ACCESS_KEY := "abcdefghijk"', f'ACCESS_KEY := "{REDACTED}"'),
        ('private_key = b"abcdefghijk"', f'private_key = b"{REDACTED}"'),
        ('password: str = "hunter2hunter2"', f'password: str = "{REDACTED}"'),
        ("connect(host, password='hunter2hunter2', port=1)", f"connect(host, password='{REDACTED}', port=1)"),
        ("'secret' => 'abcdefghij',", f"'secret' => '{REDACTED}',"),
        ('#define API_KEY "abcdefghijk"', f'#define API_KEY "{REDACTED}"'),
        (
            'os.environ.setdefault("GITHUB_TOKEN", "abcdefgh1234")',
            f'os.environ.setdefault("GITHUB_TOKEN", "{REDACTED}")',
        ),
        ("  password: hunter2hunter2", f"  password: {REDACTED}"),
        ("export API_TOKEN=abc123def456", f"export API_TOKEN={REDACTED}"),
    ],
)
def test_generic_secret_assignments(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "token = tokens[0]",
        "password = getpass()",
        "def get_token():\n    return self._token",
        'password = "changem"',  # 7 chars: below the 8+ rule
        'tokenizer = "bert-base-uncased"',
        'token_type = "refresh-token"',
        'api_key = os.environ["API_KEY"]',
        "api_key: SecretStr",
        "token = next_token",
        'password_hash = "abcdefghijkl"',
        "max_tokens = 12345678",
        'url = "https://example.com:8080/path@v2"',
        "see https://docs.python.org/3/library/secrets.html",
        "token: ${{ secrets.GITHUB_TOKEN }}",
        "for key, value in mapping.items():",
        "class TaskRunner:\n    task_queue_name_for_workers = 1",
    ],
)
def test_ordinary_code_is_untouched(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"DefaultEndpointsProtocol=https;AccountName=shop;AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net",
            f"DefaultEndpointsProtocol=https;AccountName=shop;AccountKey={REDACTED};EndpointSuffix=core.windows.net",
        ),
        (
            "Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
            f"SharedAccessKey={SERVICE_BUS_KEY}",
            "Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
            f"SharedAccessKey={REDACTED}",
        ),
        (f'bot.run("{DISCORD}")', f'bot.run("{REDACTED}")'),
        (
            f'client = Client("{TWILIO_SID}", "{TWILIO_TOKEN}")',
            f'client = Client("{REDACTED}", "{REDACTED}")',
        ),
        (f"sid: {TWILIO_KEY_SID}", f"sid: {REDACTED}"),
        (f"bot = telebot.TeleBot('{TELEGRAM}')", f"bot = telebot.TeleBot('{REDACTED}')"),
        (
            f'HOOK = "https://hooks.slack.com/services/{SLACK_HOOK_PATH}"',
            f'HOOK = "https://hooks.slack.com/services/{REDACTED}"',
        ),
        (f'  "private_key_id": "{GCP_KEY_ID}",', f'  "private_key_id": "{REDACTED}",'),
        (
            'psycopg.connect("host=db.internal port=5432 user=shop password=r7uv3MDUMnIG729p dbname=shop")',
            f'psycopg.connect("host=db.internal port=5432 user=shop password={REDACTED} dbname=shop")',
        ),
        ("dsn = 'dbname=shop password=r7uv3MDU'", f"dsn = 'dbname=shop password={REDACTED}'"),
        ("PG=host=db user=app password=r7uv3MDU", f"PG=host=db user=app password={REDACTED}"),
    ],
)
def test_cloud_chat_and_database_credentials(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "SharedAccessKeyName=RootManageSharedAccessKey",
        "account_key = settings.AZURE_ACCOUNT_KEY",
        "AccountKey=;",
        "result = MyVeryLongModuleNameHereX.method.some_very_long_attribute_name_here()",
        "Node.ObjectPropertyHandlerFactory.create.createDefaultPropertyHandlerForObject",
        'checksum = "d41d8cd98f00b204e9800998ecf8427e"',
        "ACCOUNT_HOLDER_NAME_FIELD_FOR_DISPLAYING",
        "at 20240101:abcdefghijklmnopqrstuvwxyzabcdefghi-more",
        "see https://api.slack.com/messaging/webhooks",
        "key_id = credentials.private_key_id",
        "connect(host=host, user=user, password=password, dbname=name)",
        "db.connect(password=pw, host=h)",
        "f(password=secret_var)",
        'dsn = f"host={host} password={password}"',
        'dsn = "host=db password=$PGPASSWORD dbname=shop"',
        "password=hunter2 without any connection keyword",
    ],
)
def test_ordinary_code_near_the_new_formats_is_untouched(text: str) -> None:
    assert redact(text) == text


def test_text_without_secrets_is_returned_as_is_and_redaction_is_idempotent() -> None:
    text = "import os\n\nprint('héllo wörld ✓')\n" * 100
    assert redact(text) == text
    once = redact(f'password = "hunter2hunter2"\n{GITHUB["ghp_"]}\nhttps://u:pw123456@h\n')
    assert redact(once) == once
    assert "hunter2" not in once and "pw123456" not in once


def test_non_ascii_text_around_secrets_is_kept() -> None:
    text = f"# ключ ✓\napi = '{GOOGLE}'  # 🔑\nprint('日本')\n"
    assert redact(text) == f"# ключ ✓\napi = '{REDACTED}'  # 🔑\nprint('日本')\n"


def test_one_megabyte_is_fast_and_planted_secrets_are_caught() -> None:
    block = (
        "def handler(request, key=None):\n"
        "    token = request.headers.get('Authorization')  # the key lookup\n"
        "    url = f'https://example.com/api/{key}'\n"
        "    return {'status': 'ok', 'password_field': form.password}\n\n"
    )
    text = block * (1_000_000 // len(block))
    planted = text[:500_000] + f'\nSTRIPE = "{STRIPE["sk_live_"]}"\n' + text[500_000:]
    out = redact(planted)  # speed: scripts/bench_index.py territory, not a timed test
    assert STRIPE["sk_live_"] not in out
    assert out == planted.replace(STRIPE["sk_live_"], REDACTED)


def test_windows_line_endings_and_trailing_comments() -> None:
    text = "a: 1\r\npassword: hunter2hunter2\r\ntoken=abc123456789  # note\r\n"
    assert redact(text) == f"a: 1\r\npassword: {REDACTED}\r\ntoken={REDACTED}  # note\r\n"


def test_token_inside_secret_assignment_becomes_one_marker() -> None:
    assert redact(f'api_key = "{OPENAI}"') == f'api_key = "{REDACTED}"'
    assert redact(f'password = "https://u:{OPENAI}@host"') == f'password = "{REDACTED}"'


def test_tokens_glued_to_longer_words_are_left_alone() -> None:
    text = "x = my" + GITHUB["ghp_"] + "\nnot_AKIA" + "IOSFODNN7EXAMPLE1"
    assert redact(text) == text
