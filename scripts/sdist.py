"""Fetch a project's source distribution from PyPI once and unpack it into a cache folder."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path


def fetch_sdist(name: str, version: str, cache: Path) -> Path:
    """Download and unpack ``name==version`` into ``cache`` unless it is there; return its root folder."""
    root = cache / f"{name.lower()}-{version}"
    if root.is_dir():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as download:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"{name}=={version}",
                "-d",
                download,
            ],
            check=True,
        )
        archive = next(Path(download).glob("*.tar.gz"), None)
        if archive is None:
            raise SystemExit(f"pip download gave no .tar.gz sdist for {name}=={version}")
        with tarfile.open(archive) as tar:
            tar.extractall(download, filter="data")
        unpacked = next(p for p in Path(download).iterdir() if p.is_dir())
        unpacked.rename(root)
    return root
