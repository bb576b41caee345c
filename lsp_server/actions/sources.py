"""Text of documents for actions: the open document if the editor has it, else the file inside the workspace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lsp_server.context.files import WorkspaceFiles
from lsp_server.context.languages import language_for_path
from lsp_server.positions import UTF16
from lsp_server.uris import uri_to_path


class ActionError(Exception):
    """Bad input from the client (unknown document, range out of bounds, nothing to act on)."""


@dataclass(frozen=True)
class Source:
    """One document's current text and where it lives."""

    uri: str
    path: Path | None
    text: str
    version: int | None

    @property
    def language(self) -> str | None:
        return language_for_path(self.path or self.uri)


# uri -> (text, version) of an open document, or None when it is not open.
OpenText = Callable[[str], "tuple[str, int | None] | None"]


class Sources:
    """Reads documents for the actions without ever leaving the workspace roots."""

    def __init__(
        self,
        files: Callable[[], WorkspaceFiles | None],
        open_text: OpenText,
        position_encoding: Callable[[], str] = lambda: UTF16,
    ) -> None:
        self._files = files
        self._open_text = open_text
        self._position_encoding = position_encoding

    @property
    def position_encoding(self) -> str:
        """How the client counts columns (LSP ``positionEncoding``: utf-16 unless it asked for another)."""
        return self._position_encoding()

    @property
    def files(self) -> WorkspaceFiles | None:
        return self._files()

    @property
    def roots(self) -> tuple[Path, ...]:
        files = self._files()
        return files.roots if files is not None else ()

    def get(self, uri: str) -> Source:
        """The open document, else the file on disk inside the workspace; ActionError otherwise."""
        opened = self._open_text(uri)
        if opened is not None:
            return Source(uri, uri_to_path(uri), opened[0], opened[1])
        path = uri_to_path(uri)
        files = self._files()
        if path is None or files is None or not files.contains(path):
            raise ActionError(f"document {uri} is neither open nor a file inside the workspace")
        text = files.read_text(path)
        if text is None:
            raise ActionError(f"{uri} cannot be read (missing, secret, binary or too large)")
        return Source(uri, path.resolve(), text, None)

    def resolve(self, name: str) -> Path:
        """A workspace-relative path, absolute path or file URI, resolved inside the roots; ActionError outside."""
        files = self._files()
        if files is None or not files.roots:
            raise ActionError("there is no workspace folder")
        path = uri_to_path(name) if name.startswith("file:") else Path(name)
        if path is None:
            raise ActionError(f"{name} is not a file path")
        if not path.is_absolute():
            path = files.roots[0] / path
        resolved = path.resolve()
        if not files.contains(resolved):
            raise ActionError(f"{name} is outside the workspace")
        return resolved

    def get_path(self, path: Path) -> Source | None:
        """The current text of a workspace file by path (open document first); None when it does not exist."""
        uri = path.as_uri()
        if self._open_text(uri) is None and not path.exists():
            return None
        return self.get(uri)
