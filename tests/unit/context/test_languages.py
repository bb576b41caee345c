"""Tests for mapping paths to tree-sitter languages and handing out parsers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from lsp_server.context.languages import (
    LANGUAGE_BY_SUFFIX,
    LINE_COMMENT,
    SUPPORTED_LANGUAGES,
    get_language,
    get_parser,
    grammar_version,
    language_for_path,
)


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a/b.py", "python"),
        ("stubs/x.pyi", "python"),
        ("app.js", "javascript"),
        ("m.mjs", "javascript"),
        ("c.cjs", "javascript"),
        ("view.jsx", "javascript"),
        ("index.ts", "typescript"),
        ("m.mts", "typescript"),
        ("c.cts", "typescript"),
        ("App.tsx", "tsx"),
        ("main.go", "go"),
        ("lib.rs", "rust"),
        ("Main.java", "java"),
        ("x.c", "c"),
        ("x.h", "c"),
        ("x.cc", "cpp"),
        ("x.cpp", "cpp"),
        ("x.cxx", "cpp"),
        ("x.hpp", "cpp"),
        ("x.hh", "cpp"),
        ("x.hxx", "cpp"),
        ("UPPER.PY", "python"),
    ],
)
def test_language_for_path(path: str, language: str) -> None:
    assert language_for_path(path) == language
    assert language_for_path(Path(path)) == language


@pytest.mark.parametrize("path", ["README.md", "Makefile", "x.py.bak", "dir.py/file", ".py"])
def test_unknown_paths_have_no_language(path: str) -> None:
    assert language_for_path(path) is None


def test_every_suffix_maps_to_a_language_with_a_parser_and_comment() -> None:
    assert set(LANGUAGE_BY_SUFFIX.values()) == set(SUPPORTED_LANGUAGES)
    for language in SUPPORTED_LANGUAGES:
        tree = get_parser(language).parse(b"x")
        assert tree.root_node is not None
        assert LINE_COMMENT[language] == ("#" if language == "python" else "//")


def test_parsers_parse_their_language() -> None:
    tree = get_parser("tsx").parse(b"const a = <div>{x}</div>;\n")
    assert "jsx_element" in str(tree.root_node)
    assert not tree.root_node.has_error
    tree = get_parser("typescript").parse(b"let n: number = 1;\n")
    assert "type_annotation" in str(tree.root_node)


def test_parser_is_cached_per_thread_and_language_is_shared() -> None:
    assert get_parser("python") is get_parser("python")
    assert get_parser("python") is not get_parser("go")
    assert get_language("rust") is get_language("rust")

    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(get_parser("python")))
    thread.start()
    thread.join()
    assert other[0] is not get_parser("python")


def test_unknown_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="cobol"):
        get_parser("cobol")
    with pytest.raises(ValueError):
        grammar_version("cobol")


def test_grammar_version_names_grammar_and_runtime() -> None:
    assert grammar_version("python") == "tree-sitter-python==0.25.0;tree-sitter==0.26.1"
    assert grammar_version("tsx").startswith("tree-sitter-typescript==0.23.2;")
    assert grammar_version("cpp") != grammar_version("c")
