"""Small geometry helpers: the sample project the iquest-lsp demo completes in."""

import math
from dataclasses import dataclass


@dataclass
class Rectangle:
    """An axis-aligned rectangle."""

    width: float
    height: float

    def area(self) -> float:
        """Area of the rectangle."""
        return self.width * self.height


@dataclass
class Circle:
    """A circle given by its radius."""

    radius: float

    def area(self) -> float:
        """Area of the circle."""
        return math.pi * self.radius ** 2

    def diameter(self) -> float:
        """Twice the radius."""
        return 2 * self.radius

    def circumference(self) -> float:
        """Length of the circle's boundary."""
        
