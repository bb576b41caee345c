"""detect-secrets as an independent oracle over logged prompts: anything it finds fails the test."""

from __future__ import annotations

from pathlib import Path


def oracle_findings(path: Path) -> list[tuple[str, str]]:
    """(type, value) of every secret detect-secrets finds in a file, with its default plugins and filters."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    with default_settings():
        found = SecretsCollection()
        found.scan_file(str(path))
    return [(secret.type, str(secret.secret_value)) for secrets in found.data.values() for secret in secrets]


def assert_oracle_finds_nothing(folder: Path, prompts: list[str]) -> None:
    """Write each prompt to ``folder`` and scan it; the first finding fails with the prompt's tail."""
    folder.mkdir(parents=True, exist_ok=True)
    assert prompts, "no prompt to scan"
    for number, prompt in enumerate(prompts):
        path = folder / f"prompt{number}.txt"
        path.write_text(prompt)
        assert oracle_findings(path) == [], (number, prompt[-2000:])
