"""A small multi-module project (prices, a cart, a test) for the code-action tests and benchmark."""

from __future__ import annotations

import textwrap
from pathlib import Path

PRICING = textwrap.dedent('''\
    """Prices and discounts for the shop."""


    def apply_discount(price, percent):
        if percent < 0 or percent > 100:
            raise ValueError("percent must be between 0 and 100")
        return price * (100 - percent) / 100


    def total(prices, percent=0):
        """Sum of the prices after the discount."""
        return sum(apply_discount(price, percent) for price in prices)
    ''')
CART = textwrap.dedent('''\
    """A shopping cart."""

    from shop.pricing import total


    class Cart:
        """Items a customer is about to buy."""

        def __init__(self):
            self.prices = []

        def add(self, price):
            self.prices.append(price)

        def checkout(self, percent=0):
            return total(self.prices, percent)
    ''')


def write_project(root: Path) -> Path:
    (root / "shop").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "README.md").write_text("# Shop\n\nA tiny shop: prices, discounts and a cart.\n")
    (root / "shop" / "__init__.py").write_text('"""The shop."""\n')
    (root / "shop" / "pricing.py").write_text(PRICING)
    (root / "shop" / "cart.py").write_text(CART)
    (root / "tests" / "test_cart.py").write_text(
        "from shop.cart import Cart\n\n\ndef test_empty_cart():\n    assert Cart().checkout() == 0\n"
    )
    return root
