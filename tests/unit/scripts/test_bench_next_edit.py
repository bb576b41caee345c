"""scripts/bench_next_edit.py: the renames it picks, the keys it types and how it judges an edit (no model)."""

from __future__ import annotations

from script_loader import load_script

bench = load_script("bench_next_edit")

MODULE = '''import os


def join(base, path):
    """Join."""
    return os.path.join(base, path)


def unused(x, y):
    return 1


def wrapped(
    first,
):
    return first
'''


def test_renames_are_parameters_on_the_def_line_used_in_the_body():
    found = bench.renames_in("m.py", MODULE)
    assert [(function, name, uses) for function, _, name, uses in found] == [("join", "base", 1), ("join", "path", 1)]
    offset = found[0][1]
    assert MODULE[offset : offset + 4] == "base"


def test_the_same_seed_picks_the_same_renames_one_a_function():
    sources = {"m.py": MODULE}
    first, second = bench.pick_renames(sources, 3, 5), bench.pick_renames(sources, 3, 5)
    assert first == second and len(first) == 1 and first[0].function == "join"


def test_each_kind_of_rename_types_the_new_name():
    offset = MODULE.index("base, path")
    for kind, new in (("prefix", "new_base"), ("suffix", "base_arg"), ("replace", "target")):
        rename = bench.Rename("m.py", "join", offset, "base", new, kind)
        text = MODULE
        for start, end, typed in bench.keystrokes(rename):
            assert len(typed) == 1
            text = bench.apply_change(text, start, end, typed)
        assert f"def join({new}, path):" in text and "os.path.join(base, path)" in text


def test_a_hit_renames_uses_only_and_an_attribute_is_no_use():
    rename = bench.Rename("m.py", "join", 0, "path", "target", "replace")
    renamed = "def join(base, target):\n    return os.path.join(base, path)\n"
    assert bench.judge(renamed, renamed.replace("base, path)", "base, target)"), rename) == "hit"
    assert bench.judge(renamed, renamed.replace("os.path", "os.target"), rename) == "miss"
    assert bench.judge(renamed, renamed.replace("return", "yield"), rename) == "miss"
    assert bench.judge(renamed, renamed, rename) == "miss"
    assert bench.judge(renamed, None, rename) == "empty"
