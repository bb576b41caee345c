"""Prompt skeletons: the template's own text is tokenized as special, each slot's value as plain text."""

from lsp_server.model.skeleton import fill_skeleton, slot


def test_slots_take_their_values_as_plain_text_and_the_rest_is_special():
    skeleton = f"<pre>{slot(0)}<mid>{slot(1)}"
    tokens = fill_skeleton(
        skeleton, ["<pre>user", "x"], lambda text: [f"plain:{text}"], lambda text: [f"special:{text}"]
    )
    assert tokens == ["special:<pre>", "plain:<pre>user", "special:<mid>", "plain:x"]


def test_values_are_looked_up_by_their_slot_number_in_any_order():
    tokens = fill_skeleton(f"{slot(1)}|{slot(0)}", ["a", "b"], lambda text: [text], lambda text: [text.upper()])
    assert tokens == ["b", "|", "a"]
