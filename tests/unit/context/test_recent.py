"""RecentSnippets: bounded, one entry per block, newest first, other files only."""

from lsp_server.context.recent import RecentSnippets

TEXT = "\n".join(f"line {i}" for i in range(100))


def test_other_files_newest_first_and_bounded():
    recent = RecentSnippets(capacity=3, lines=10)
    recent.record("a.py", TEXT, 5)
    recent.record("b.py", TEXT, 50)
    recent.record("c.py", TEXT, 90)
    recent.record("d.py", TEXT, 1)
    assert [s.path for s in recent.others("x.py")] == ["d.py", "c.py", "b.py"]
    assert [s.path for s in recent.others("c.py")] == ["d.py", "b.py"]


def test_edits_in_the_same_block_replace_the_entry():
    recent = RecentSnippets(lines=10)
    recent.record("a.py", TEXT, 12)
    recent.record("a.py", TEXT.replace("line 13", "line 13 edited"), 13)
    snippets = recent.others("x.py")
    assert len(snippets) == 1 and "line 13 edited" in snippets[0].text


def test_forget_drops_a_file():
    recent = RecentSnippets()
    recent.record("a.py", TEXT, 1)
    recent.forget("a.py")
    assert recent.others("x.py") == []


def test_forget_changes_the_other_files_context_but_not_its_own():
    recent = RecentSnippets()
    recent.record("a.py", TEXT, 1)
    recent.record("b.py", TEXT, 1)
    others_of_b, own_of_a = recent.version_of_others("b.py"), recent.version_of_others("a.py")
    recent.forget("a.py")
    assert recent.version_of_others("b.py") != others_of_b
    assert recent.version_of_others("a.py") == own_of_a
    before = recent.version_of_others("b.py")
    recent.forget("never-recorded.py")
    assert recent.version_of_others("b.py") == before
