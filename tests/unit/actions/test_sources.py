"""Document text for actions: open documents first, then files inside the workspace only."""

import pytest

from lsp_server.actions.sources import ActionError, Sources
from lsp_server.context.files import WorkspaceFiles
from lsp_server.uris import uri_to_path


def test_open_text_wins_and_disk_is_read_inside_the_workspace(workspace, tmp_path):
    uri = (workspace / "shop" / "pricing.py").resolve().as_uri()
    opened = {uri: ("edited\n", 5)}
    sources = Sources(lambda: WorkspaceFiles([workspace]), opened.get)
    assert sources.get(uri).text == "edited\n" and sources.get(uri).version == 5
    assert sources.get((workspace / "README.md").as_uri()).version is None
    (tmp_path / "outside.py").write_text("x = 1\n")
    with pytest.raises(ActionError, match="neither open nor"):
        sources.get((tmp_path / "outside.py").as_uri())
    (workspace / "link.py").symlink_to(tmp_path / "outside.py")
    with pytest.raises(ActionError):
        sources.get((workspace / "link.py").as_uri())


def test_resolve_keeps_names_inside_the_roots(workspace):
    sources = Sources(lambda: WorkspaceFiles([workspace]), lambda uri: None)
    assert sources.resolve("shop/pricing.py") == (workspace / "shop" / "pricing.py").resolve()
    assert sources.resolve((workspace / "shop").as_uri()) == (workspace / "shop").resolve()
    for name in ("../outside.py", "/etc/passwd", "shop/../../x.py"):
        with pytest.raises(ActionError, match="outside the workspace"):
            sources.resolve(name)
    assert sources.get_path(workspace / "missing.py") is None
    assert uri_to_path("untitled:Untitled-1") is None
    with pytest.raises(ActionError, match="no workspace folder"):
        Sources(lambda: None, lambda uri: None).resolve("a.py")
