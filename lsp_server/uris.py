"""Document URIs: file paths from file URIs, and the key open documents are kept under."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

_DRIVE_LETTER = re.compile(r"/[a-zA-Z]:")


def uri_to_path(uri: str) -> Path | None:
    """The local path of a file URI, or None for other schemes and file URIs without a path.

    Follows pygls's ``to_fs_path`` off Windows: a host becomes a UNC-style ``//host/path`` and a drive
    letter comes back lower-cased without the leading slash (``file:///C:/x`` is ``c:/x``).
    """
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    netloc, path = unquote(parsed.netloc), unquote(parsed.path)
    if netloc and path:
        path = f"//{netloc}{path}"
    elif _DRIVE_LETTER.match(path):
        path = path[1].lower() + path[2:]
    return Path(path) if path else None


def document_key(uri: str) -> str:
    """The key pygls keeps an open document under: the percent-decoded URI."""
    return unquote(uri)
