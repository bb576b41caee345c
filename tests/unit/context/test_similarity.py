"""Similarity retrieval: windows of other files ranked by identifier Jaccard against the lines before the cursor."""

from __future__ import annotations

from lsp_server.context.similarity import SimilarityIndex, same_file_windows

PARSER = "\n".join(
    [
        "def parse_header(stream, limits):",
        "    header_bytes = stream.read_until(b'\\r\\n\\r\\n', limits.max_header_size)",
        "    status_line, raw_fields = header_bytes.split(b'\\r\\n', 1)",
        "    return status_line, decode_fields(raw_fields, limits.encoding)",
    ]
    + [f"# padding line {i}" for i in range(16)]
    + [
        "def render_invoice(customer, invoice_lines, currency):",
        "    subtotal = sum(line.amount for line in invoice_lines)",
        "    return format_money(subtotal, currency, customer.locale)",
    ]
)
UNRELATED = "def draw_sprite(canvas, sprite, position):\n    canvas.blit(sprite.image, position.x, position.y)\n"


def test_the_most_similar_window_ranks_first():
    index = SimilarityIndex(chunk_lines=20)
    index.update("net/parser.py", PARSER)
    index.update("game/draw.py", UNRELATED)
    before = (
        "def read_response(stream, limits):\n"
        "    header_bytes = stream.read_until(b'\\r\\n', limits.max_header_size)\n    "
    )
    found = index.query(before, len(before), exclude="net/client.py", limit=3)
    assert [(c.path, c.start_line) for c in found[:1]] == [("net/parser.py", 0)]
    assert all(c.path != "game/draw.py" for c in found)
    billing = "def invoice_total(customer, invoice_lines, currency):\n    subtotal = "
    assert [(c.path, c.start_line) for c in index.query(billing, len(billing), "x.py", 1)] == [("net/parser.py", 20)]


def test_the_own_file_is_excluded_and_changes_replace_old_windows():
    index = SimilarityIndex()
    index.update("net/parser.py", PARSER)
    before = "header_bytes = stream.read_until(limits.max_header_size)\n"
    assert index.query(before, len(before), exclude="net/parser.py", limit=3) == []
    index.update("net/parser.py", UNRELATED)
    assert index.query(before, len(before), exclude="other.py", limit=3) == []
    index.update("net/parser.py", None)
    assert len(index) == 0


def test_memory_is_bounded_by_dropping_the_least_recently_changed_files():
    index = SimilarityIndex(max_chunks=4, chunk_lines=1)
    for name in ("a", "b", "c"):
        index.update(f"{name}.py", "\n".join(f"alpha_{name} beta_{name} gamma_{name} line_{i}" for i in range(2)))
    assert len(index) == 4
    query = "alpha_a beta_a gamma_a alpha_c beta_c gamma_c"
    survivors = {c.path for c in index.query(query, len(query), "x.py", 10)}
    assert survivors == {"c.py"}


def _long_document() -> tuple[str, int]:
    """PARSER at the top, 200 lines of filler, then a cursor in code like PARSER's first function."""
    filler = ["# " + "=" * 40] * 200  # no identifiers: the query is the cursor's function alone
    text = (
        PARSER
        + "\n"
        + "\n".join(filler)
        + "\ndef read_response(stream, limits):\n    header_bytes = stream.read_until("
    )
    return text, len(text)


def test_the_documents_own_far_windows_come_back_but_never_the_local_window():
    text, offset = _long_document()
    far = same_file_windows("net/client.py", text, offset, (2_000, 500), limit=3)
    assert [(c.path, c.start_line) for c in far[:1]] == [("net/client.py", 0)]
    local_start = text.count("\n", 0, offset - 2_000)
    assert all(c.end_line < local_start for c in far)  # the prompt holds those lines already
    assert same_file_windows("net/client.py", text, offset, (len(text), 0), limit=3) == []


def test_same_file_windows_are_cut_from_the_text_given():
    text, offset = _long_document()
    renamed = text.replace("header_bytes = stream.read_until(b", "payload = other.fetch(b", 1)
    scores = [c.score for c in same_file_windows("c.py", text, offset, (2_000, 500), 1)]
    renamed_scores = [c.score for c in same_file_windows("c.py", renamed, offset, (2_000, 500), 1)]
    assert scores and (not renamed_scores or renamed_scores[0] < scores[0])
