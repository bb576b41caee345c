"""Generated tests follow the project's layout."""

from lsp_server.actions.testfile import target_for


def test_python_uses_tests_folder_when_there_is_one(tmp_path):
    module = tmp_path / "src" / "pkg" / "mod.py"
    module.parent.mkdir(parents=True)
    assert target_for(tmp_path, module, "python", "f").path == module.parent / "test_mod.py"
    (tmp_path / "tests").mkdir()
    target = target_for(tmp_path, module, "python", "f")
    assert target.path == tmp_path / "tests" / "test_mod.py"
    assert target.import_line == "from pkg.mod import f"


def test_js_and_go_and_unsupported(tmp_path):
    module = tmp_path / "lib" / "sum.ts"
    module.parent.mkdir()
    target = target_for(tmp_path, module, "typescript", "sum")
    assert target.path == module.parent / "sum.test.ts" and target.import_line == 'import { sum } from "./sum";'
    (module.parent / "__tests__").mkdir()
    assert target_for(tmp_path, module, "typescript", "sum").import_line == 'import { sum } from "../sum";'
    assert target_for(tmp_path, tmp_path / "a.go", "go", "F").path == tmp_path / "a_test.go"
    assert target_for(tmp_path, tmp_path / "a.c", "c", "f") is None
