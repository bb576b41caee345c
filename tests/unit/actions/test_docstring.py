"""Doc comments go where each language expects them, and never break the syntax."""

from lsp_server.actions.docstring import can_document, doc_change, has_doc
from lsp_server.actions.syntax import enclosing_definition, error_count
from lsp_server.actions.textedit import apply_changes


def _document(text, language, at, doc):
    definition = enclosing_definition(text, language, text.index(at))
    return apply_changes(text, [doc_change(text, language, definition, doc)])


def test_python_docstring_under_the_header_at_body_indentation():
    text = "class A:\n    def f(self, x):\n        return x\n"
    out = _document(text, "python", "return", "Return x.")
    assert out == 'class A:\n    def f(self, x):\n        """Return x."""\n        return x\n'
    multi = _document(text, "python", "return", 'Return x.\n\nSays "hi" with """quotes""".')
    assert error_count(multi, "python") == 0 and '        """Return x.\n\n' in multi


def test_existing_docs_and_one_line_bodies():
    text = 'def f():\n    """Doc."""\n    return 1\n\n\ndef g(): return 2\n'
    f = enclosing_definition(text, "python", text.index("return 1"))
    g = enclosing_definition(text, "python", text.index("return 2"))
    assert has_doc(text, "python", f) and not has_doc(text, "python", g)
    assert not can_document(text, "python", g)


def test_block_and_line_comments_for_other_languages():
    js = "class A {\n  total(items) {\n    return 1;\n  }\n}\n"
    out = _document(js, "javascript", "return", "Sum the items.\nReturns a number. */ sneaky")
    assert "  /**\n   * Sum the items.\n" in out and error_count(out, "javascript") == 0
    rust = "fn main() {\n    let x = 1;\n}\n"
    assert _document(rust, "rust", "let", "Entry point.").startswith("/// Entry point.\nfn main")
    assert has_doc("// old\nfunc F() {}\n", "go", enclosing_definition("// old\nfunc F() {}\n", "go", 10))
