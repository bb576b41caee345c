"""context/imports: one reading of an import string, two matchers that answer different questions."""

from lsp_server.context.imports import ImportString, importer_counts, read_import, resolve_import
from lsp_server.context.summaries import FileSummary


def test_an_import_string_is_read_once_for_both_matchers():
    assert read_import(' "./util" ') == ImportString("./util")
    assert read_import("<stdio.h>") == ImportString("stdio.h")
    assert read_import("mod parser") == ImportString("parser", rust_mod=True)


def test_a_relative_import_resolves_to_its_file_but_counts_for_every_file_of_that_name():
    known = {"a/app.py": "python", "a/models.py": "python", "b/models.py": "python"}
    summaries = {rel: FileSummary(rel, language, (), ()) for rel, language in known.items()}
    summaries["a/app.py"] = FileSummary("a/app.py", "python", (".models",), ())
    assert resolve_import("a/app.py", ".models", known) == "a/models.py"
    assert importer_counts(summaries) == {"a/models.py": 1, "b/models.py": 1}
