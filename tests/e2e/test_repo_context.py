"""Repository context end to end: cross-file definitions, watcher, warm restart, planted secrets."""

from __future__ import annotations

import asyncio
import json
import os
import textwrap
from pathlib import Path

import pytest
from lsp_session import (
    SERVER_COMMAND,
    end_of,
    initialize_params,
    inline_params,
    items_of,
    open_document,
    require_model,
    status,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from secret_oracle import assert_oracle_finds_nothing

from lsp_server.paths import models_dir

BILLING = textwrap.dedent('''\
    """Invoices for the shop."""


    class InvoiceCalculator:
        """Works out what a customer pays."""

        def apply_regional_vat_and_discounts(self, line_items, region_code):
            """Total of the line items with the region's VAT and any discounts."""
            return sum(item.price for item in line_items)
    ''')
CHECKOUT = textwrap.dedent('''\
    from shop.billing import InvoiceCalculator


    def checkout(cart, region):
        """Charge the customer for the cart."""
        calculator = InvoiceCalculator()
        total = calculator.''')

SECRETS = {
    "aws_key": "AKIAIOSFODNN7EXAMPLE",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "github": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "url_password": "s3cr3t-pa55w0rd",
    "private_key_body": "MIIEowIBAAKCAQEA7bq9xExamplePrivateKeyMaterial",
    "dotenv": "sk-proj-dotenvvalue1234567890abcdefABCDEF",
    "discord": "MTAxOTYwNjE2NzQ4NzQ4MDk2MA.9SDzRB.6PkUk4pVV5YVjy2HfvfoL9rKvu5",
    "slack_webhook": "TKYXG0FWM/B71YORKNTRV/w8pyAiGP3YUzZzN5EXnRM7xR",
    "libpq_password": "r7uv3MDUMnIG729p",
}


def write_project(root: Path) -> Path:
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text('"""The shop."""\n')
    (root / "shop" / "billing.py").write_text(BILLING)
    (root / "shop" / "checkout.py").write_text(CHECKOUT + "\n")
    (root / "shop" / "settings.py").write_text(
        textwrap.dedent(f'''\
        AWS_ACCESS_KEY_ID = "{SECRETS["aws_key"]}"
        aws_secret_access_key = "{SECRETS["aws_secret"]}"
        GITHUB_TOKEN = "{SECRETS["github"]}"
        DATABASE_URL = "postgres://shop:{SECRETS["url_password"]}@db.internal/shop"
        DISCORD_BOT = "{SECRETS["discord"]}"
        ALERTS = "https://hooks.slack.com/services/{SECRETS["slack_webhook"]}"
        REPORTS_DSN = "host=reports.internal user=shop password={SECRETS["libpq_password"]} dbname=reports"


        def database_url():
            """The database to connect to."""
            return DATABASE_URL
        ''')
    )
    (root / ".env").write_text(f"OPENAI_API_KEY={SECRETS['dotenv']}\n")
    (root / "deploy_key.pem").write_text(
        f"-----BEGIN RSA PRIVATE KEY-----\n{SECRETS['private_key_body']}\n-----END RSA PRIVATE KEY-----\n"
    )
    return root


def config(cache: Path, prompt_log: Path) -> ClientServerConfig:
    # A fresh cache for the index, the usual place for the fetched models.
    env = {
        **os.environ,
        "IQUEST_CACHE_DIR": str(cache),
        "IQUEST_MODEL_DIR": str(models_dir()),
        "IQUEST_PROMPT_LOG": str(prompt_log),
    }
    return ClientServerConfig(server_command=SERVER_COMMAND, server_env=env)


async def wait_for_index(client: LanguageClient, timeout: float = 120) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        current = await status(client)
        if current["state"] in ("ready", "failed") and current["index"]["state"] in ("ready", "failed", "off"):
            return current
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(str(current))
        await asyncio.sleep(0.1)


async def start(root: Path, cache: Path, prompt_log: Path, **options) -> LanguageClient:
    client = await config(cache, prompt_log).start()
    await client.initialize_session(initialize_params(root, auditLog=False, **options))
    return client


def prompts(prompt_log: Path, *, speculative: bool = False) -> list[str]:
    """The logged prompts of requests (and of speculations too when ``speculative``)."""
    entries = [json.loads(line) for line in prompt_log.read_text().splitlines()] if prompt_log.exists() else []
    return [entry["prompt"] for entry in entries if speculative or not entry["speculative"]]


async def complete_checkout(client: LanguageClient, root: Path) -> str:
    uri = open_document(client, root / "shop" / "checkout.py", CHECKOUT, "python")
    line, character = end_of(CHECKOUT)
    items = items_of(await client.text_document_inline_completion_async(inline_params(uri, line, character)))
    return items[0].insert_text if items else ""


@pytest.mark.slow
async def test_completion_uses_a_definition_from_another_file(tmp_path):
    require_model("qwen2.5-coder-0.5b")
    root = write_project(tmp_path / "repo")
    results = {}
    for enabled in (True, False):
        log = tmp_path / f"prompts-{enabled}.jsonl"
        client = await start(root, tmp_path / "cache", log, model="qwen2.5-coder-0.5b", repoContext=enabled)
        try:
            current = await wait_for_index(client)
            assert current["index"]["state"] == ("ready" if enabled else "off")
            results[enabled] = await complete_checkout(client, root)
        finally:
            await client.shutdown_session()
            await client.stop()
        if enabled:
            assert "def apply_regional_vat_and_discounts(self, line_items, region_code):" in prompts(log)[-1]
    assert "apply_regional_vat_and_discounts" in results[True], results
    assert "apply_regional_vat_and_discounts" not in results[False], results


async def test_index_survives_a_restart_warm_and_follows_edits_on_disk(tmp_path):
    require_model("smollm2-135m")
    root = write_project(tmp_path / "repo")
    cache, log = tmp_path / "cache", tmp_path / "prompts.jsonl"
    first = await start(root, cache, log, model="smollm2-135m", maxTokens=4)
    try:
        cold = (await wait_for_index(first))["index"]
        assert cold["files"] == 4 and cold["parsed"] == 4 and cold["watching"] is True
        # A file created on disk (not through the editor) is picked up by the watcher.
        (root / "shop" / "shipping.py").write_text(
            "def estimate_parcel_delivery_window_days(postcode):\n    return 3\n"
        )
        for _ in range(100):
            if (await status(first))["index"]["files"] == 5:
                break
            await asyncio.sleep(0.05)
        assert (await status(first))["index"]["files"] == 5
        text = "from shop.shipping import estimate_parcel_delivery_window_days\n\n\ndef eta(order):\n    return "
        uri = open_document(first, root / "shop" / "eta.py", text, "python")
        line, character = end_of(text)
        await first.text_document_inline_completion_async(inline_params(uri, line, character))
        assert "def estimate_parcel_delivery_window_days(postcode):" in prompts(log)[-1]
    finally:
        await first.shutdown_session()
        await first.stop()
    second = await start(root, cache, log, model="smollm2-135m", maxTokens=4)
    try:
        warm = (await wait_for_index(second))["index"]
        assert warm["files"] == 5 and warm["parsed"] == 0 and warm["fromCache"] == 5
    finally:
        await second.shutdown_session()
        await second.stop()


async def test_planted_secrets_never_reach_a_prompt(tmp_path):
    require_model("smollm2-135m")
    root = write_project(tmp_path / "repo")
    log = tmp_path / "prompts.jsonl"
    client = await start(root, tmp_path / "cache", log, model="smollm2-135m", maxTokens=4, contextTokens=3000)
    try:
        await wait_for_index(client)
        settings_text = (root / "shop" / "settings.py").read_text()
        # Edit the secrets file in the editor (recent-edit context) and complete in files that use it.
        uri = open_document(client, root / "shop" / "settings.py", settings_text, "python")
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=3, character=0), end=types.Position(line=3, character=0)
                        ),
                        text="# db\n",
                    )
                ],
            )
        )
        line, character = end_of(settings_text)
        await client.text_document_inline_completion_async(inline_params(uri, line + 1, character))
        text = (
            "from shop.settings import database_url, DATABASE_URL, GITHUB_TOKEN\n\n\n"
            "def connect():\n    url = database_url()\n    "
        )
        uri2 = open_document(client, root / "shop" / "db.py", text, "python")
        line, character = end_of(text)
        await client.text_document_inline_completion_async(inline_params(uri2, line, character))
        env_uri = open_document(client, root / ".env", (root / ".env").read_text(), "dotenv")
        answer = await client.text_document_inline_completion_async(inline_params(env_uri, 1, 0))
        assert items_of(answer) == []  # no completions inside a secrets file at all
    finally:
        await client.shutdown_session()
        await client.stop()
    seen = prompts(log)
    assert len(seen) == 2
    assert 'AWS_ACCESS_KEY_ID = "<redacted>"' in seen[0]  # the code around a secret is kept ...
    assert "def database_url():" in seen[1] and "<redacted>" in seen[1]  # ... and so is the context ...
    for name, secret in SECRETS.items():  # ... and none of the secrets, in speculations either
        for prompt in prompts(log, speculative=True):
            assert secret not in prompt, name
    assert_oracle_finds_nothing(tmp_path / "oracle", prompts(log, speculative=True))


async def test_a_long_files_own_imports_and_far_code_reach_the_prompt(tmp_path):
    require_model("smollm2-135m")
    root = write_project(tmp_path / "repo")
    far = (
        "def refund_order(order, reason_code):\n    calculator = InvoiceCalculator()\n"
        "    owed = calculator.apply_regional_vat_and_discounts(order.items, order.region)\n    return owed\n"
    )
    filler = "".join(f"\n\ndef step_{i}(value):\n    return value + {i}\n" for i in range(120))
    text = (
        "from shop.billing import InvoiceCalculator\n\n\n"
        + far
        + filler
        + "\n\ndef reprice_order(order):\n    calculator = InvoiceCalculator()\n    owed = "
    )
    seen = {}
    for sources in (["similar", "imports"], ["definitions"]):
        log = tmp_path / f"prompts-{len(sources)}.jsonl"
        client = await start(
            root,
            tmp_path / "cache",
            log,
            model="smollm2-135m",
            maxTokens=4,
            maxPromptTokens=1024,
            contextSources=sources,
            speculate=False,
            warmUp=False,
        )
        try:
            await wait_for_index(client)
            uri = open_document(client, root / "shop" / "orders.py", text, "python")
            line, character = end_of(text)
            await client.text_document_inline_completion_async(inline_params(uri, line, character))
        finally:
            await client.shutdown_session()
            await client.stop()
        seen[len(sources)] = prompts(log)[-1]
    # The local window (768 tokens before the cursor) holds neither the imports nor refund_order:
    # the context, in the room the empty suffix leaves (256 tokens), brings them back.
    assert "from shop.billing import InvoiceCalculator" in seen[2]
    assert "owed = calculator.apply_regional_vat_and_discounts(order.items, order.region)" in seen[2]
    assert "from shop.billing import InvoiceCalculator" not in seen[1] and "def refund_order" not in seen[1]
