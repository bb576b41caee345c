"""Enclosing definitions and syntax error counts with tree-sitter."""

from lsp_server.actions.syntax import enclosing_definition, error_count

PY = "import os\n\n\n@cache\ndef f(a):\n    return a\n\n\nclass C:\n    x = 1\n\n    def m(self):\n        pass\n"


def test_innermost_definition_with_its_decorators():
    f = enclosing_definition(PY, "python", PY.index("return"))
    assert (f.kind, f.name) == ("function", "f") and PY[f.start :].startswith("@cache")
    assert PY[f.body_start :].startswith("return a")
    m = enclosing_definition(PY, "python", PY.index("pass"))
    assert (m.kind, m.name) == ("function", "m")
    c = enclosing_definition(PY, "python", PY.index("x = 1"))
    assert (c.kind, c.name) == ("class", "C")
    assert enclosing_definition(PY, "python", PY.index("x = 1"), functions_only=True) is None
    assert enclosing_definition(PY, "python", 0) is None


def test_other_languages_and_non_ascii_offsets():
    js = "// é\nexport function total(items) {\n  return 1;\n}\n"
    fn = enclosing_definition(js, "javascript", js.index("return"))
    assert fn.name == "total" and js[fn.start :].startswith("export function")
    go = "package p\n\nfunc (s *S) Len() int {\n\treturn 0\n}\n"
    assert enclosing_definition(go, "go", go.index("return")).name == "Len"
    rust = "struct P { x: i32 }\nimpl P {\n    fn norm(&self) -> i32 { self.x }\n}\n"
    assert enclosing_definition(rust, "rust", rust.index("self.x")).name == "norm"


def test_error_count():
    assert error_count(PY, "python") == 0
    assert error_count("def f(:\n    pass\n", "python") >= 1
    assert error_count("function f( {", "javascript") >= 1
