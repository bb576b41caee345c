"""What the action services hand back: offers for the menu, proposals, documents; and their errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lsp_server.actions.textedit import FileEdit
from lsp_server.actions.verify import TestRun
from lsp_server.scan.service import ScanReport

Position = tuple[int, int]


class ActionFailed(Exception):
    """The model gave nothing usable; the message says what went wrong (nothing is applied)."""


@dataclass(frozen=True)
class Problem:
    """A diagnostic from the request's context."""

    message: str
    start: Position
    end: Position


@dataclass(frozen=True)
class Offer:
    """An action for the menu: resolved later (``command`` None) or run as a command with ``data``."""

    title: str
    action: str  # the menu action's name: docstring, fix, rewrite, tests, explain
    kind: str  # its LSP code action kind
    data: dict[str, Any]
    command: str | None = None
    problem_index: int | None = None


@dataclass(frozen=True)
class Proposal:
    """An edit for the user to apply (or a message saying why there is none)."""

    id: str
    action: str
    title: str
    edits: tuple[FileEdit, ...]
    needs_confirmation: bool = False
    message: str = ""
    tests: TestRun | None = None
    rounds: int = 0
    scan: ScanReport | None = None  # what the security scan found that the edit introduces (None: not scanned)


@dataclass(frozen=True)
class Markdown:
    """A document for the user to read: an explanation or a refactor plan."""

    id: str
    title: str
    markdown: str
    sections: dict[str, bool] = field(default_factory=dict)  # plan section -> came from the model
