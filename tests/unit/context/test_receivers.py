"""Receiver types: the names at the cursor resolve to the classes and functions of other files."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.context.files import WorkspaceFiles
from lsp_server.context.index import WorkspaceIndex
from lsp_server.context.receivers import ReceiverResolver

MODELS = """from dataclasses import dataclass


class Customer:
    def __init__(self, name: str, email: str):
        self.name = name
        self.email = email


@dataclass
class Address:
    street: str
    city: str


class Order:
    def __init__(self, customer: Customer, total: float):
        self.customer = customer
        self.address = Address("x", "y")
        self.total = total

    def refund(self, amount: float, reason: str = "") -> bool:
        return True


current_order: Order = None


def load_order(order_id: int) -> Order:
    return Order(Customer("a", "b"), 0.0)
"""
BILLING = 'def charge(order, amount: float, currency: str = "EUR") -> bool:\n    return True\n'
NOTIFY = "class Mailer:\n    def send(self, to: str, body: str) -> None:\n        pass\n"
TS_MODELS = """export class Customer {
  email: string;
  constructor(public name: string) {}
}

export class Order {
  customer: Customer;
  constructor(customer: Customer, public total: number) {
    this.customer = customer;
  }
  refund(amount: number): boolean { return true; }
}
"""
JS_MODELS = """class User {
  constructor(name) { this.name = name; }
}

class Cart {
  constructor() {
    this.items = [];
    this.owner = new User("me");
  }
}

module.exports = { Cart, User };
"""


def _workspace(root: Path, app_rel: str = "", app: str = "") -> WorkspaceIndex:
    files = {
        "shop/__init__.py": "",
        "shop/models.py": MODELS,
        "shop/billing.py": BILLING,
        "shop/notify.py": NOTIFY,
        "web/models.ts": TS_MODELS,
        "web/mailer.ts": "export class Mailer {\n  send(to: string): void {}\n}\n",
        "legacy/models.js": JS_MODELS,
    }
    if app_rel:
        files[app_rel] = app
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    index = WorkspaceIndex(WorkspaceFiles([root]), None)
    index.build()
    return index


def _needed(root: Path, rel: str, app: str, after: str = "") -> list[str]:
    """Resolve with the cursor after ``app`` (``app + after`` written to ``rel`` first, as an open file would be)."""
    index = _workspace(root, rel, app + after)
    return [f"{d.path}:{d.symbol.name}" for d in ReceiverResolver(index).needed(rel, app + after, len(app))]


@pytest.mark.parametrize(
    "app, expected",
    [
        # a parameter's annotation, through a relative import
        ("from .models import Order\n\n\ndef ship(order: Order):\n    order.", ["Order"]),
        # an annotated variable, through an absolute import
        ("from shop.models import Order\n\n\ndef ship(get):\n    placed: Order = get()\n    placed.", ["Order"]),
        # a constructor call
        ('from .models import Customer\n\n\ndef greet():\n    buyer = Customer("a", "b")\n    buyer.', ["Customer"]),
        # `import x.y as z` and an annotation through it
        ("import shop.models as m\n\n\ndef ship(order: m.Order):\n    order.", ["Order"]),
        # a chain: one level of attribute types, from an annotated __init__ parameter
        ("from .models import Order\n\n\ndef ship(order: Order):\n    order.customer.", ["Order", "Customer"]),
        # a chain through a dataclass-typed attribute made by a constructor call in __init__
        ("from .models import Order\n\n\ndef ship(order: Order):\n    print(order.address.city)", ["Order", "Address"]),
        # a function's return annotation
        ("from .models import load_order\n\n\ndef ship():\n    order = load_order(1)\n    order.", ["Order"]),
        # a module-level typed constant that is imported
        ("from .models import current_order\n\n\nprint(current_order.", ["Order"]),
    ],
)
def test_python_receivers_resolve_to_their_classes(tmp_path, app, expected):
    assert [n.split(":")[1] for n in _needed(tmp_path, "shop/app.py", app)] == expected


def test_self_attributes_assigned_in_init_resolve(tmp_path):
    app = (
        "from .models import Customer\nfrom .notify import Mailer\n\n\nclass Service:\n"
        "    def __init__(self, customer: Customer):\n        self.customer = customer\n"
        "        self.mailer = Mailer()\n\n"
        "    def run(self):\n        self.mailer.send(self.customer."
    )
    assert _needed(tmp_path, "shop/app.py", app) == [
        "shop/notify.py:send",
        "shop/notify.py:Mailer",
        "shop/models.py:Customer",
    ]


def test_the_called_function_comes_first(tmp_path):
    app = "from .billing import charge\nfrom .models import Order\n\n\ndef pay(order: Order):\n    charge(order, "
    assert _needed(tmp_path, "shop/app.py", app) == ["shop/billing.py:charge", "shop/models.py:Order"]


def test_a_called_method_resolves_through_its_receiver(tmp_path):
    app = "from .models import Order\n\n\ndef pay(order: Order):\n    order.refund("
    assert _needed(tmp_path, "shop/app.py", app) == ["shop/models.py:refund", "shop/models.py:Order"]


def test_a_locally_shadowed_name_is_not_resolved_to_the_import(tmp_path):
    imported = "from .models import current_order\n\n\n"
    assert _needed(tmp_path, "shop/app.py", imported + "print(current_order.") == ["shop/models.py:Order"]
    assert _needed(tmp_path, "shop/app.py", imported + "def f(current_order):\n    current_order.") == []
    typed = imported + "def f(current_order: Customer):\n    current_order."
    assert _needed(tmp_path, "shop/app.py", "from .models import Customer\n" + typed) == ["shop/models.py:Customer"]


@pytest.mark.parametrize(
    "app, expected",
    [
        (
            "import { Order } from './models';\n\nexport function ship(order: Order) {\n  order.customer.",
            ["Order", "Customer"],
        ),
        ("import * as models from './models';\n\nconst o = new models.Order(null, 1);\no.", ["Order"]),
        ("import { Customer as Buyer } from './models';\n\nlet b: Buyer = make();\nb.", ["Customer"]),
        (
            "import { Mailer } from './mailer';\n\nclass Shipper {\n  private mailer = new Mailer();\n"
            "  run() {\n    this.mailer.",
            ["Mailer"],
        ),
    ],
)
def test_typescript_receivers_resolve_to_their_classes(tmp_path, app, expected):
    closed = "\n" + "}\n" * (app.count("{") - app.count("}"))
    assert [n.split(":")[1] for n in _needed(tmp_path, "web/app.ts", app, closed)] == expected


def test_an_unclosed_typescript_function_still_resolves_its_parameters(tmp_path):
    app = "import { Order } from './models';\n\nexport function ship(order: Order) {\n  order.customer."
    assert _needed(tmp_path, "web/app.ts", app) == ["web/models.ts:Order", "web/models.ts:Customer"]


def test_javascript_require_and_this_fields_resolve(tmp_path):
    app = "const { Cart } = require('./models');\n\nfunction checkout() {\n  const cart = new Cart();\n  cart.owner."
    assert _needed(tmp_path, "legacy/app.js", app, "\n}\n") == ["legacy/models.js:Cart", "legacy/models.js:User"]
    namespace = "const models = require('./models');\n\nfunction checkout() {\n  return new models.Cart("
    assert _needed(tmp_path, "legacy/app.js", namespace, ");\n}\n") == ["legacy/models.js:Cart"]
