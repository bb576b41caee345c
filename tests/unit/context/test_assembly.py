"""Context ranking and layout: cross-file definitions first, stable order, budget, secrets."""

from __future__ import annotations

from pathlib import Path

from lsp_server.context.assembly import ContextAssembler, identifiers_near
from lsp_server.context.files import WorkspaceFiles
from lsp_server.context.index import WorkspaceIndex
from lsp_server.context.recent import RecentSnippets

APP = (
    "from .billing import compute_invoice_total\n\n\n"
    "def checkout(cart):\n    total = compute_invoice_total(cart.items, "
)


def _index(root: Path) -> WorkspaceIndex:
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "billing.py").write_text(
        "TAX_RATE = 0.2\n\n\ndef compute_invoice_total(items, discount_code):\n"
        '    """Sum the items and apply the discount."""\n    return sum(i.price for i in items)\n'
    )
    (root / "shop" / "config.py").write_text(
        'DATABASE_URL = "postgres://admin:hunter2hunter2@db/shop"\n\n\ndef load():\n    pass\n'
    )
    (root / "shop" / "app.py").write_text(APP)
    index = WorkspaceIndex(WorkspaceFiles([root]), None)
    index.build()
    return index


def test_identifiers_near_the_cursor_come_nearest_first():
    text = "alpha = 1\nbeta = 2\n\n\ngamma = beta + "
    names = identifiers_near(text, len(text))
    assert names[:2] == ["gamma", "beta"] and "alpha" in names


def test_the_definition_used_at_the_cursor_is_the_first_chunk(tmp_path):
    assembler = ContextAssembler(_index(tmp_path), RecentSnippets())
    chunks = assembler.chunks("shop/app.py", APP, len(APP), 800, ("definitions", "imports", "recent", "neighbours"))
    assert chunks[0].reason == "definition" and chunks[0].path == "shop/billing.py"
    assert "def compute_invoice_total(items, discount_code):" in chunks[0].text
    assert all(c.path != "shop/app.py" for c in chunks)


def test_budget_limits_the_chunks(tmp_path):
    assembler = ContextAssembler(_index(tmp_path), RecentSnippets())
    small = assembler.chunks("shop/app.py", APP, len(APP), 60)
    large = assembler.chunks("shop/app.py", APP, len(APP), 2000)
    assert 1 <= len(small) < len(large)
    assert sum(len(c.text) for c in small) / 3.0 <= 60


def test_order_is_stable_while_typing_and_new_chunks_are_appended(tmp_path):
    index = _index(tmp_path)
    recent = RecentSnippets()
    assembler = ContextAssembler(index, recent)
    first = assembler.chunks("shop/app.py", APP, len(APP), 2000)
    typed = APP + "disc"
    assert assembler.chunks("shop/app.py", typed, len(typed), 2000) == first
    recent.record("shop/config.py", (tmp_path / "shop" / "config.py").read_text(), 3)
    after = assembler.chunks("shop/app.py", typed, len(typed), 2000)
    assert after[: len(first)] == first
    assert [c.reason for c in after[len(first) :]] == ["recent"]


def test_secrets_in_context_are_redacted(tmp_path):
    recent = RecentSnippets()
    assembler = ContextAssembler(_index(tmp_path), recent)
    recent.record("shop/config.py", (tmp_path / "shop" / "config.py").read_text(), 0)
    chunks = assembler.chunks("shop/app.py", APP, len(APP), 4000)
    joined = "\n".join(c.text for c in chunks)
    assert "shop/config.py" in {c.path for c in chunks}
    assert "hunter2hunter2" not in joined


def test_context_is_frozen_within_a_step_of_lines_and_follows_other_files(tmp_path):
    index = _index(tmp_path)
    assembler = ContextAssembler(index, RecentSnippets())
    first = assembler.chunks("shop/app.py", APP, len(APP), 2000)
    # A new identifier on the cursor's line that names a definition does not change the context yet ...
    (tmp_path / "shop" / "tax.py").write_text("def regional_tax_rate(region):\n    return 0.2\n")
    typed = APP + "regional_tax_rate"
    index.set_open_document("shop/app.py", typed)  # the file's own edits do not unfreeze it
    assert assembler.chunks("shop/app.py", typed, len(typed), 2000) == first
    # ... but a change in another file does, and the new definition is appended.
    index.update_path(tmp_path / "shop" / "tax.py")
    after = assembler.chunks("shop/app.py", typed, len(typed), 2000)
    assert after[: len(first)] == first and any("regional_tax_rate" in c.text for c in after[len(first) :])


MODELS = (
    "class Customer:\n    def __init__(self, name: str, email: str):\n        self.name = name\n"
    "        self.email = email\n\n\n"
    "class Order:\n    def __init__(self, customer: Customer, total: float):\n        self.customer = customer\n"
    "        self.total = total\n\n    def refund(self, amount: float) -> bool:\n        return True\n"
)
SHIP = (
    "from .models import Order\nfrom .billing import compute_invoice_total\n\n\n"
    "def ship(order: Order):\n    order.customer."
)


def _typed_index(root: Path) -> WorkspaceIndex:
    index = _index(root)
    (root / "shop" / "models.py").write_text(MODELS)
    (root / "shop" / "ship.py").write_text(SHIP)
    index.build()
    return index


def test_the_receivers_classes_and_their_attributes_come_first(tmp_path):
    chunks = ContextAssembler(_typed_index(tmp_path), RecentSnippets()).chunks("shop/ship.py", SHIP, len(SHIP), 2000)
    assert [c.reason for c in chunks[:2]] == ["type", "type"]
    assert chunks[0].text.startswith("class Order:") and "self.customer: Customer" in chunks[0].text
    assert chunks[1].text.startswith("class Customer:") and "self.email: str" in chunks[1].text


def test_the_called_functions_signature_comes_first(tmp_path):
    call = SHIP.replace("order.customer.", "compute_invoice_total(order.customer, ")
    chunks = ContextAssembler(_typed_index(tmp_path), RecentSnippets()).chunks("shop/ship.py", call, len(call), 2000)
    assert chunks[0].reason == "type" and chunks[0].text.startswith("def compute_invoice_total(items, discount_code):")


def test_context_sources_leave_out_what_is_not_chosen(tmp_path):
    assembler = ContextAssembler(_typed_index(tmp_path), RecentSnippets())
    everything = assembler.chunks("shop/ship.py", SHIP, len(SHIP), 4000)
    assert {"type", "definition", "import", "neighbour"} <= {c.reason for c in everything}
    chosen = assembler.chunks("shop/ship.py", SHIP, len(SHIP), 4000, ("definitions", "imports"))
    assert {c.reason for c in chosen} == {"definition", "import"}
    assert assembler.chunks("shop/ship.py", SHIP, len(SHIP), 4000, ()) == ()


def test_similar_code_from_other_files_is_retrieved(tmp_path):
    from lsp_server.context.similarity import SimilarityIndex

    index = _typed_index(tmp_path)
    (tmp_path / "shop" / "report.py").write_text(
        "def monthly_report(ledger, period):\n    rows = ledger.entries_between(period.start_date, period.end_date)\n"
        "    return summarize_rows(rows, period.currency)\n"
    )
    similar = SimilarityIndex()
    index.listeners.append(similar.update)
    index.build()
    text = "def quarterly_report(ledger, period):\n    rows = ledger.entries_between(period."
    chunks = ContextAssembler(index, RecentSnippets(), similar).chunks(
        "shop/quarter.py", text, len(text), 2000, ("similar",)
    )
    assert [(c.reason, c.path) for c in chunks] == [("similar", "shop/report.py")]
    assert "summarize_rows(rows, period.currency)" in chunks[0].text


def test_receivers_are_resolved_once_per_step_and_new_ones_are_appended(tmp_path):
    assembler = ContextAssembler(_typed_index(tmp_path), RecentSnippets())
    start = "from .models import Order, Customer\n\n\ndef ship(order: Order):\n    "
    first = assembler.chunks("shop/ship.py", start, len(start), 4000, ("types",))
    assert [c.text.split(":")[0] for c in first] == ["class Order"]
    typed = start + 'buyer = Customer("a", "b")\n    buyer.'
    assert assembler.chunks("shop/ship.py", typed, len(typed), 4000, ("types",)) is first  # same step of lines
    moved = typed + "email\n" + "    pass\n" * 8 + "    buyer."
    after = assembler.chunks("shop/ship.py", moved, len(moved), 4000, ("types",))
    assert [c.text.split(":")[0] for c in after] == ["class Order", "class Customer"]


def _own_file_chunks(root: Path, text: str, source: str, local: tuple[int, int] | None = (1_000, 200)):
    """The chunks of one ``source`` for a cursor at the end of shop/app.py holding ``text``."""
    return ContextAssembler(_index(root), RecentSnippets()).chunks(
        "shop/app.py", text, len(text), 2000, (source,), local=local
    )


def test_a_long_documents_own_far_part_is_a_similar_chunk_only_when_the_local_window_is_known(tmp_path):
    far = "def compute_cart_total(cart, discount_code):\n    subtotal = sum(item.price for item in cart.items)\n"
    filler = "".join(f"RATE_{i} = {i}\n" for i in range(300))
    text = (
        far + filler + "\n\ndef compute_order_total(order, discount_code):\n    subtotal = sum(item.price for item in "
    )
    chunks = _own_file_chunks(tmp_path / "a", text, "similar")
    assert [(c.path, c.reason) for c in chunks] == [("shop/app.py", "similar")]
    assert chunks[0].text.startswith("def compute_cart_total(cart, discount_code):")  # the live text, not the disk's
    assert _own_file_chunks(tmp_path / "b", text, "similar", local=None) == ()


def test_the_documents_own_imports_come_first_when_its_local_window_starts_below_them(tmp_path):
    head = "import os\nfrom .billing import (\n    TAX_RATE,\n    compute_invoice_total,\n)\n\n\n"
    body = "".join(f"def helper_{i}():\n    return {i}\n\n" for i in range(100))
    text = head + body + "def checkout(cart):\n    total = "
    chunks = _own_file_chunks(tmp_path / "a", text, "imports")
    assert (chunks[0].reason, chunks[0].path) == ("own-imports", "shop/app.py")
    assert chunks[0].text == "import os\nfrom .billing import (\n    TAX_RATE,\n    compute_invoice_total,\n)"
    seen = _own_file_chunks(tmp_path / "b", text, "imports", local=(len(text), 200))
    assert all(c.reason != "own-imports" for c in seen)  # the local window shows them already


def test_a_long_import_block_is_cut_to_its_last_whole_statements(tmp_path):
    head = "".join(f"import module_{i}\n" for i in range(60)) + "from .billing import (\n    TAX_RATE,\n)\n\n\n"
    text = (
        head
        + "".join(f"def helper_{i}():\n    return {i}\n\n" for i in range(100))
        + "def checkout(cart):\n    total = "
    )
    lines = _own_file_chunks(tmp_path, text, "imports")[0].text.split("\n")
    assert lines[-3:] == ["from .billing import (", "    TAX_RATE,", ")"] and len(lines) <= 48
    assert lines[0].startswith("import module_") and "import module_0" not in lines


def test_a_member_is_a_definition_only_where_its_container_can_be_meant(tmp_path):
    index = _index(tmp_path)
    (tmp_path / "shop" / "feeds.py").write_text("class Feed:\n    def entries_between(self, a, b):\n        pass\n")
    (tmp_path / "shop" / "ledger.py").write_text(
        "class Ledger:\n    def entries_between(self, start, end):\n        return []\n\n\n"
        "def open_book():\n    return Ledger()\n"
    )
    imported = "from .ledger import open_book\n\n\ndef report(period):\n    rows = open_book().entries_between("
    (tmp_path / "shop" / "report.py").write_text(imported)
    index.build()

    def members(text: str, rel: str = "shop/report.py") -> list[str]:
        chunks = ContextAssembler(index, RecentSnippets()).chunks(rel, text, len(text), 2000, ("definitions",))
        return [c.text.split("(")[0].strip() for c in chunks if c.key.split(":")[2].split(".")[0]]

    assert members(imported) == ["def entries_between"]  # Ledger's: its file is imported
    assert members(imported.replace("open_book()", "Ledger")) == ["def entries_between"]  # named at the cursor
    homonym = "def summary(book, period):\n    rows = book.entries_between("
    assert members(homonym, "shop/summary.py") == []  # Feed's and Ledger's alike: neither file is imported
