"""File paths from document URIs, as pygls's to_fs_path gives them off Windows, and the open-document key."""

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace import Workspace

from lsp_server.uris import document_key, uri_to_path

URIS = [
    "file:///home/user/project/main.py",
    "file:///home/user/my%20project/a%23b%3Bc%3Fd.py",
    "file:///home/user/my project/main.py",
    "file:///tmp/caf%C3%A9/%E6%97%A5%E6%9C%AC.py",
    "file:///tmp/café/日本.py",
    "file:///tmp/%F0%9F%98%80%20file.py",
    "file://host/share/x.py",
    "file://localhost/etc/hosts",
    "file:///C:/Users/x.py",
    "file:///c%3A/Users/x.py",
    "file:///tmp/a?query#fragment",
    "file:relative/x.py",
    "file://",
    "file:",
    "untitled:Untitled-1",
    "http://example.invalid/x.py",
    "",
    "not a uri",
]


@pytest.mark.parametrize("uri", URIS)
def test_uri_to_path_is_pyglss_to_fs_path(uri):
    expected = to_fs_path(uri)
    assert uri_to_path(uri) == (Path(expected) if expected else None)


def test_percent_encoding_spaces_and_non_ascii_are_decoded():
    assert uri_to_path("file:///home/u/my%20project/a%23b.py") == Path("/home/u/my project/a#b.py")
    assert uri_to_path("file:///home/u/my project/a.py") == Path("/home/u/my project/a.py")
    assert uri_to_path("file:///tmp/caf%C3%A9/%E6%97%A5%E6%9C%AC.py") == Path("/tmp/café/日本.py")
    assert uri_to_path("file:///tmp/café/日本.py") == Path("/tmp/café/日本.py")


def test_paths_come_back_from_their_own_uris(tmp_path):
    for name in ("plain.py", "with space.py", "😀 file.py", "日本語.py", "a#b;c?.py", "100%.py"):
        path = tmp_path / name
        assert uri_to_path(path.as_uri()) == path


def test_other_schemes_and_uris_without_a_path_have_no_path():
    for uri in ("untitled:Untitled-1", "http://example.invalid/x.py", "vscode-notebook-cell:/x.ipynb#a", "", "file://"):
        assert uri_to_path(uri) is None


def test_a_host_is_kept_as_a_unc_style_path_and_a_drive_letter_is_lower_cased():
    assert uri_to_path("file://host/share/x.py") == Path("//host/share/x.py")
    assert uri_to_path("file:///C:/Users/x.py") == Path("c:/Users/x.py")


@pytest.mark.parametrize("uri", ["file:///tmp/my%20project/a.py", "file:///tmp/my project/a.py"])
def test_document_key_finds_the_document_pygls_keeps(uri):
    workspace = Workspace(None)
    opened = "file:///tmp/my%20project/a.py"
    workspace.put_text_document(types.TextDocumentItem(uri=opened, language_id="python", version=1, text="x = 1\n"))
    assert document_key(uri) == "file:///tmp/my project/a.py"
    assert workspace.text_documents.get(document_key(uri)) is not None
