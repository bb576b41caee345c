"""The user's recent edits per document, grouped by time and place, as redacted before/after line blocks."""

from __future__ import annotations

import difflib
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lsp_server.context.secrets import redact

# A change more than this many lines from the group's lines, or after this long a pause, starts a new edit.
GROUP_LINES = 2
GROUP_PAUSE_S = 5.0
KEEP_EDITS = 6
# Lines of one edit kept for prompts (an edit bigger than this is cut; a paste is not a pattern to repeat).
MAX_EDIT_LINES = 24


@dataclass(frozen=True)
class Edit:
    """One meaningful edit: ``before`` lines became ``after`` lines at ``line`` (0-based, in the text after)."""

    line: int
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def empty(self) -> bool:
        """True when nothing changed (the user typed and took it back)."""
        return self.before == self.after

    def unified(self, path: str, context: int = 1) -> str:
        """The edit as a unified diff hunk for ``path``, without surrounding context lines."""
        lines = difflib.unified_diff(
            [f"{line}\n" for line in self.before],
            [f"{line}\n" for line in self.after],
            f"a/{path}",
            f"b/{path}",
            n=context,
            lineterm="\n",
        )
        return "".join(lines)


def common_ends(old: Sequence, new: Sequence) -> tuple[int, int]:
    """How many leading and (then) trailing items ``old`` and ``new`` share."""
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return head, tail


def edit_between(before: str, after: str) -> Edit:
    """The one block of lines that differs between two texts (common leading and trailing lines left out)."""
    old, new = before.split("\n"), after.split("\n")
    head, tail = common_ends(old, new)
    removed, added = old[head : len(old) - tail], new[head : len(new) - tail]
    return Edit(
        head,
        tuple(redact("\n".join(removed[:MAX_EDIT_LINES])).split("\n")) if removed else (),
        tuple(redact("\n".join(added[:MAX_EDIT_LINES])).split("\n")) if added else (),
    )


@dataclass
class _Group:
    """Changes close in time and place; the texts are references, the edit is computed when asked for."""

    before: str
    after: str
    first: int
    last: int
    at: float
    _edit: Edit | None = field(default=None, repr=False)

    def edit(self) -> Edit:
        if self._edit is None:
            self._edit = edit_between(self.before, self.after)
        return self._edit


@dataclass
class _Document:
    text: str
    groups: deque[_Group] = field(default_factory=lambda: deque(maxlen=KEEP_EDITS))


class EditHistory:
    """Per open document: its latest text and its last few edits; a change costs a comparison, no diff."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._documents: dict[str, _Document] = {}

    def opened(self, uri: str, text: str) -> None:
        """Start a history for ``uri`` at ``text``."""
        self._documents[uri] = _Document(text)

    def changed(self, uri: str, text: str, line: int | None) -> None:
        """Note the new text; it extends the current edit when close to it in time and place."""
        document = self._documents.get(uri)
        if document is None:
            self._documents[uri] = _Document(text)
            return
        now = self._clock()
        groups = document.groups
        current = groups[-1] if groups else None
        near = (
            current is not None
            and current.after is document.text
            and now - current.at <= GROUP_PAUSE_S
            and (line is None or current.first - GROUP_LINES <= line <= current.last + GROUP_LINES)
        )
        if near and current is not None:
            current.after, current.at, current._edit = text, now, None
            if line is not None:
                current.first, current.last = min(current.first, line), max(current.last, line)
        else:
            at = line if line is not None else 0
            groups.append(_Group(document.text, text, at, at, now))
        document.text = text

    def closed(self, uri: str) -> None:
        """Forget ``uri``."""
        self._documents.pop(uri, None)

    def edits(self, uri: str) -> list[Edit]:
        """The document's recent non-empty edits, oldest first."""
        document = self._documents.get(uri)
        if document is None:
            return []
        return [edit for edit in (group.edit() for group in document.groups) if not edit.empty]

    def before_last(self, uri: str) -> str | None:
        """The text before the latest edit (what an undo would bring back), or None."""
        document = self._documents.get(uri)
        return document.groups[-1].before if document is not None and document.groups else None
