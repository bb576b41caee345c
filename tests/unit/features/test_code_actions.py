"""WorkspaceEdits built from proposals: changed ranges only, positions in the agreed encoding,
confirmation for multi-file edits."""

from pathlib import Path

from lsprotocol import types

from lsp_server.actions.results import Proposal
from lsp_server.actions.textedit import FileEdit, line_changes
from lsp_server.features.code_actions import proposal_payload, workspace_edit
from lsp_server.features.documents import position_encoding as _encoding


def _edit(old, new, **kwargs):
    return FileEdit("file:///w/a.py", Path("/w/a.py"), old, line_changes(old, new), **kwargs)


def test_single_file_edit_has_plain_text_edits_at_utf16_positions():
    old = "s = '😀'\nx = 1\ny = 2\n"
    proposal = Proposal("id", "fix", "Fix", (_edit(old, old.replace("x = 1", "x = 10"), version=4),))
    edit = workspace_edit(proposal)
    (document,) = edit.document_changes
    assert document.text_document.version == 4 and edit.change_annotations is None
    (text_edit,) = document.edits
    assert type(text_edit) is types.TextEdit and text_edit.new_text == "x = 10\n"
    assert (text_edit.range.start.line, text_edit.range.start.character, text_edit.range.end.line) == (1, 0, 2)


def test_multi_file_proposal_needs_confirmation_and_creates_files():
    created = FileEdit("file:///w/b.py", Path("/w/b.py"), "", line_changes("", "B = 1\n"), create=True)
    proposal = Proposal(
        "id", "propose_edit", "Split", (_edit("a\n", "b\n"), created), needs_confirmation=True, message="review"
    )
    edit = workspace_edit(proposal)
    kinds = [type(change).__name__ for change in edit.document_changes]
    assert kinds == ["TextDocumentEdit", "CreateFile", "TextDocumentEdit"]
    assert edit.change_annotations["iquest.proposal"].needs_confirmation is True
    assert edit.document_changes[1].annotation_id == "iquest.proposal"
    assert all(
        type(e) is types.AnnotatedTextEdit
        for change in edit.document_changes
        if isinstance(change, types.TextDocumentEdit)
        for e in change.edits
    )


def test_payload_of_a_rejected_proposal_has_no_edit():
    payload = proposal_payload(Proposal("id", "propose_edit", "x", (), message="rejected: hunk 1"))
    assert payload["edit"] is None and payload["message"] == "rejected: hunk 1"
    accepted = proposal_payload(Proposal("id2", "fix", "x", (_edit("a\n", "b\n"),)))
    assert accepted["edit"]["documentChanges"][0]["edits"][0]["newText"] == "b\n"
    assert accepted["accepted"] == {"command": "iquest.accepted", "arguments": [{"id": "id2", "action": "fix"}]}


def test_edit_positions_use_the_encoding_the_client_agreed_on():
    old = "s = 1\nx = 'é😀'"  # the change ends at the end of a last line without a newline
    proposal = Proposal("id", "fix", "Fix", (_edit(old, "s = 1\nx = 'é😀!'"),))
    ends = {}
    for encoding in ("utf-8", "utf-16", "utf-32"):
        (document,) = workspace_edit(proposal, encoding).document_changes
        (text_edit,) = document.edits
        ends[encoding] = (text_edit.range.end.line, text_edit.range.end.character)
    assert ends == {"utf-8": (1, 12), "utf-16": (1, 9), "utf-32": (1, 8)}


def test_the_encoding_is_the_one_pygls_agreed_at_initialize(strict_server):
    for offered, agreed in ((["utf-8", "utf-16"], "utf-8"), (["utf-32"], "utf-32"), (None, "utf-16")):
        server = strict_server({"general": {"positionEncodings": offered} if offered else {}})
        assert _encoding(server) == agreed
