"""Tests for incremental parsing of open documents."""

from __future__ import annotations

import random

import pytest
from tree_sitter import Tree

from lsp_server.context.documents import OpenDocumentTrees, changed_span
from lsp_server.context.languages import get_parser


def shape(tree: Tree) -> list[tuple]:
    """Every node with its type and byte/point span, so misplaced reused nodes show up."""
    nodes = []
    cursor = tree.walk()
    while True:
        node = cursor.node
        nodes.append((node.type, node.start_byte, node.end_byte, tuple(node.start_point), tuple(node.end_point)))
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return nodes


def fresh(text: str, language: str) -> Tree:
    return get_parser(language).parse(text.encode("utf-8"))


PYTHON = '''import os

class Grüße:
    """Say 你好 🎉."""

    def hello(self, name: str = "wörld") -> str:
        return f"héllo {name} 🙂"

VALUE = "日本語"  # café
'''

TYPESCRIPT = """import { a } from "./ä";
export function π(x: number): number {
  const s = "naïve 🚀";
  return x * 3.14;
}
class Ü { m() { return `${"漢字"}`; } }
"""

SNIPPETS = ["é", "你好", "🎉", "日本", "\n", "\t", "    ", "(", ")", "{", "}", ":", '"', "#", "a"]
SNIPPETS += ["def f():\n    pass\n", "x = '🙂'"]


def random_edit(rng: random.Random, text: str) -> str:
    start = rng.randint(0, len(text))
    end = min(len(text), start + rng.choice([0, 0, 1, 2, 5, 20]))
    insert = "".join(rng.choice(SNIPPETS) for _ in range(rng.choice([0, 1, 1, 2, 3])))
    return text[:start] + insert + text[end:]


@pytest.mark.parametrize(("language", "text"), [("python", PYTHON), ("typescript", TYPESCRIPT)])
def test_incremental_tree_equals_fresh_parse_after_random_edits(language: str, text: str) -> None:
    rng = random.Random(f"{language}-edits")
    documents = OpenDocumentTrees()
    uri = f"file:///doc.{language}"
    documents.update(uri, text, language)
    for _ in range(300):
        text = random_edit(rng, text)
        tree = documents.update(uri, text, language)
        expected = fresh(text, language)
        assert str(tree.root_node) == str(expected.root_node)
        assert shape(tree) == shape(expected)
        assert documents.source(uri) == text.encode("utf-8")
        assert documents.tree(uri) is tree


def test_edit_inside_multibyte_characters_sharing_lead_bytes() -> None:
    documents = OpenDocumentTrees()
    uri = "file:///u.py"
    steps = ['x = "é"\n', 'x = "è"\n', 'x = "è🎉"\n', 'x = "è🎊"\n', 'x = "🎊"\ny = 1\n', "y = 1\n"]
    for text in steps:
        tree = documents.update(uri, text, "python")
        assert shape(tree) == shape(fresh(text, "python"))


def test_changed_span_stays_on_character_boundaries() -> None:
    # "é" is C3 A9 and "è" is C3 A8: the shared lead byte must not count as unchanged prefix.
    assert changed_span("aé".encode(), "aè".encode()) == (1, 3, 3)
    # "🎉" F0 9F 8E 89 and "🎊" F0 9F 8E 8A share three bytes.
    assert changed_span("🎉!".encode(), "🎊!".encode()) == (0, 4, 4)
    assert changed_span(b"abc", b"abc") == (3, 3, 3)
    assert changed_span(b"abc", b"abXc") == (2, 2, 3)
    assert changed_span(b"aaaa", b"aa") == (2, 4, 2)
    assert changed_span(b"", b"new") == (0, 0, 3)
    assert changed_span(b"old", b"") == (0, 3, 0)


def test_changed_span_matches_a_brute_force_scan() -> None:
    rng = random.Random(7)
    alphabet = ["a", "b", "é", "🎉", "\n"]
    for _ in range(500):
        old = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))).encode()
        new = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))).encode()
        start, old_end, new_end = changed_span(old, new)
        assert old[:start] == new[:start]
        assert old[old_end:] == new[new_end:]
        assert start <= old_end and start <= new_end
        # Everything outside the span decodes on its own: the span cuts between characters.
        for data, end in ((old, old_end), (new, new_end)):
            data[:start].decode("utf-8")
            data[end:].decode("utf-8")


def test_previous_tree_is_not_mutated_by_later_updates() -> None:
    documents = OpenDocumentTrees()
    first = documents.update("file:///a.py", "x = 1\n", "python")
    before = shape(first)
    documents.update("file:///a.py", "# comment\nx = 1\n", "python")
    assert shape(first) == before


def test_unchanged_text_returns_the_same_tree() -> None:
    documents = OpenDocumentTrees()
    tree = documents.update("file:///a.go", "package a\n", "go")
    assert documents.update("file:///a.go", "package a\n", "go") is tree


def test_language_change_reparses_from_scratch() -> None:
    documents = OpenDocumentTrees()
    documents.update("file:///a", "let x = 1;\n", "javascript")
    tree = documents.update("file:///a", "let x = 1;\n", "rust")
    assert str(tree.root_node) == str(fresh("let x = 1;\n", "rust").root_node)


def test_close_forgets_the_document() -> None:
    documents = OpenDocumentTrees()
    documents.update("file:///a.py", "x = 1\n", "python")
    documents.update("file:///b.py", "y = 2\n", "python")
    documents.close("file:///a.py")
    assert documents.tree("file:///a.py") is None
    assert documents.source("file:///a.py") is None
    assert documents.source("file:///b.py") == b"y = 2\n"
    documents.close("file:///never-opened.py")
    # Reopening after close parses the new text, with no trace of the old one.
    tree = documents.update("file:///a.py", "z = 3\n", "python")
    assert shape(tree) == shape(fresh("z = 3\n", "python"))
