"""Rank repository context for the cursor and lay it out so the prompt's beginning stays stable."""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass, replace

from lsp_server.context.index import Definition, WorkspaceIndex
from lsp_server.context.languages import language_for_path
from lsp_server.context.receivers import ReceiverResolver
from lsp_server.context.recent import RecentSnippets
from lsp_server.context.secrets import redact
from lsp_server.context.similarity import SimilarityIndex, best, same_file_windows
from lsp_server.context.summaries import (
    CONTAINER_KINDS,
    FileSummary,
    import_statement_lines,
    render_summary,
    symbol_source,
)
from lsp_server.context.tokens import identifiers
from lsp_server.prompting.budget import CHUNK_OVERHEAD_TOKENS, SAFE_CHARS_PER_TOKEN
from lsp_server.settings import CONTEXT_SOURCES

# Identifiers are read from a window of lines that moves in steps, so typing inside it does not
# change which definitions are looked up.
_WINDOW_STEP = 8
_WINDOW_BEFORE = 48
_WINDOW_AFTER = 16
_MAX_NAMES = 16
_DEFINITION_LINES = 24
_SIMILAR_CHUNKS = 3
# The document's own imports, when its local window starts below them: looked for in its first lines,
# the last whole statements kept (a project's own modules are imported after the standard and third-party ones).
_IMPORT_SCAN_LINES = 300
_IMPORT_LINES = 48


@dataclass(frozen=True)
class ContextChunk:
    """A piece of another file for the prompt."""

    key: str
    path: str
    text: str
    reason: str


def _tokens(text: str) -> int:
    """Rounded down but with a chunk's overhead on each part: the backend trims exactly if this is ever low."""
    return len(text) // SAFE_CHARS_PER_TOKEN + CHUNK_OVERHEAD_TOKENS


def identifiers_near(text: str, offset: int) -> list[str]:
    """Identifiers in the coarse window around the cursor, nearest lines first."""
    cursor_line = text.count("\n", 0, offset)
    start = max(0, (cursor_line // _WINDOW_STEP) * _WINDOW_STEP - _WINDOW_BEFORE)
    end = (cursor_line // _WINDOW_STEP + 1) * _WINDOW_STEP + _WINDOW_AFTER
    lines = text.split("\n")[start:end]
    order = sorted(range(len(lines)), key=lambda i: abs(start + i - cursor_line))
    seen: dict[str, None] = {}
    for i in order:
        for name in identifiers(lines[i]):
            seen.setdefault(name, None)
    return list(seen)


class ContextAssembler:
    """Chooses the repository context for a cursor and keeps its order append-friendly."""

    def __init__(self, index: WorkspaceIndex, recent: RecentSnippets, similar: SimilarityIndex | None = None) -> None:
        self._index = index
        self._recent = recent
        self._similar = similar
        self._receivers = ReceiverResolver(index)
        self._previous: dict[str, tuple[ContextChunk, ...]] = {}
        self._frozen: dict[str, tuple[tuple, tuple[ContextChunk, ...]]] = {}
        self._lock = threading.Lock()

    def chunks(
        self,
        rel: str,
        text: str,
        offset: int,
        budget_tokens: int,
        sources: Collection[str] = CONTEXT_SOURCES,
        local: tuple[int, int] | None = None,
    ) -> tuple[ContextChunk, ...]:
        """Context chunks for ``rel`` at ``offset`` within ``budget_tokens`` (estimated), from ``sources`` only.

        ``local``: the characters before and after the cursor that the prompt's local window may hold;
        given, the similar windows include the document's own parts beyond them.
        """
        if budget_tokens <= 0 or not sources:
            return ()
        # Within one step of lines the context does not change at all: a change re-evaluates the
        # whole local window after it, so it may only happen when the cursor enters a new step
        # (when the prompt's middle part moves anyway) or when the index changes.
        step = (
            text.count("\n", 0, offset) // _WINDOW_STEP,
            budget_tokens,
            self._index.generation_of_others(rel),
            self._recent.version_of_others(rel),
            frozenset(sources),
            local,
        )
        frozen = self._frozen.get(rel)
        if frozen is not None and frozen[0] == step:
            return frozen[1]
        selected: list[ContextChunk] = []
        used = 0
        for chunk in self._candidates(rel, text, offset, frozenset(sources), local):
            cost = _tokens(chunk.text) + _tokens(chunk.path)
            if used + cost > budget_tokens or any(c.key == chunk.key for c in selected):
                continue
            selected.append(chunk)
            used += cost
        ordered = self._stable_order(rel, selected)
        self._frozen[rel] = (step, ordered)
        return ordered

    def _stable_order(self, rel: str, selected: list[ContextChunk]) -> tuple[ContextChunk, ...]:
        """Keep chunks that were already in the prompt where they were; append the new ones."""
        with self._lock:
            previous = self._previous.get(rel, ())
            wanted = {c.key: c for c in selected}
            kept = [wanted[c.key] for c in previous if c.key in wanted and wanted[c.key].text == c.text]
            kept_keys = {c.key for c in kept}
            ordered = tuple(kept + [c for c in selected if c.key not in kept_keys])
            self._previous[rel] = ordered
            return ordered

    def _candidates(self, rel: str, text: str, offset: int, sources: frozenset[str], local: tuple[int, int] | None):
        """Candidate chunks of the chosen sources, most specific first."""
        imported = self._imported_paths(rel, self._index.summary(rel))
        if "imports" in sources and local is not None:
            chunk = self._own_imports(rel, text, offset - local[0])
            if chunk is not None:
                yield chunk
        if "types" in sources:
            for definition in self._receivers.needed(rel, text, offset):
                chunk = self.definition_chunk(definition, "type")
                if chunk is not None:
                    yield chunk
        if "definitions" in sources:
            yield from self._definitions(rel, text, offset, imported)
        if "similar" in sources:
            yield from self._similar_chunks(rel, text, offset, local)
        if "imports" in sources:
            for path in imported:
                chunk = self._summary_chunk(path, "import")
                if chunk is not None:
                    yield chunk
        if "recent" in sources:
            for snippet in self._recent.others(rel):
                yield ContextChunk(
                    f"recent:{snippet.path}:{snippet.start_line}", snippet.path, redact(snippet.text), "recent"
                )
        if "neighbours" in sources:
            directory = rel.rsplit("/", 1)[0] if "/" in rel else "."
            for path in self._index.paths_in_directory(directory):
                if path != rel:
                    chunk = self._summary_chunk(path, "neighbour")
                    if chunk is not None:
                        yield chunk

    def _own_imports(self, rel: str, text: str, window_start: int) -> ContextChunk | None:
        """The document's import statements above ``window_start`` (its local window's first character)."""
        language = language_for_path(rel)
        if language is None or window_start <= 0:
            return None
        lines = text[:window_start].split("\n")[:-1][:_IMPORT_SCAN_LINES]  # whole lines only
        head = "\n".join(lines)
        kept: list[str] = []
        for first, last in reversed(import_statement_lines(head, language)):  # whole statements, the last ones first
            if len(kept) + last + 1 - first > _IMPORT_LINES:
                break
            kept[:0] = lines[first : last + 1]
        if not kept:
            return None
        return ContextChunk(f"own-imports:{rel}", rel, redact("\n".join(kept)), "own-imports")

    def _similar_chunks(self, rel: str, text: str, offset: int, local: tuple[int, int] | None):
        windows = self._similar.query(text, offset, rel, _SIMILAR_CHUNKS) if self._similar is not None else []
        if local is not None:
            windows = best(windows + same_file_windows(rel, text, offset, local, _SIMILAR_CHUNKS), _SIMILAR_CHUNKS)
        split: dict[str, list[str]] = {}  # each file's lines once, however many of its windows come back
        for window in windows:
            # The document's own windows come from its live text: the disk may hold another version.
            source = text if window.path == rel else self._index.source(window.path)
            if source is None:
                continue
            if window.path not in split:
                split[window.path] = source.split("\n")
            lines = "\n".join(split[window.path][window.start_line : window.end_line + 1])
            yield ContextChunk(f"similar:{window.path}:{window.start_line}", window.path, redact(lines), "similar")

    def _imported_paths(self, rel: str, own: FileSummary | None) -> list[str]:
        if own is None:
            return []
        paths: dict[str, None] = {}
        for spec in own.imports:
            target = self._index.resolve_import(rel, spec)
            if target is not None and target != rel:
                paths.setdefault(target, None)
        return list(paths)

    def _definitions(self, rel: str, text: str, offset: int, imported: list[str]):
        preferred = set(imported)
        near = identifiers_near(text, offset)
        visible = set(near)
        names = 0
        for name in near:
            # A member is shown only where its container can be what the code means: a file the document
            # imports, or a container named near the cursor; elsewhere it is another type's homonym
            # (`items`, `name`, `Err`), and the receivers' own types come from the "types" source.
            found = [
                d
                for d in self._index.definitions(name)
                if d.path != rel
                and d.symbol.kind != "attribute"
                and (not d.symbol.parent or d.path in preferred or d.symbol.parent in visible)
            ]
            if not found:
                continue
            found.sort(key=lambda d: (d.path not in preferred, d.symbol.kind == "method", d.path))
            for definition in found[:2]:
                chunk = self.definition_chunk(definition, "definition")
                if chunk is not None:
                    yield chunk
            names += 1
            if names >= _MAX_NAMES:
                return

    def definition_chunk(self, definition: Definition, reason: str) -> ContextChunk | None:
        """The chunk that shows ``definition``: a container with its members, else its source."""
        summary = self._index.summary(definition.path)
        source = self._index.source(definition.path)
        if summary is None or source is None:
            return None
        symbol = definition.symbol
        if symbol.kind in CONTAINER_KINDS:
            members = [symbol] + [s for s in summary.symbols if s.parent == symbol.name]
            text = render_summary(replace(summary, imports=(), symbols=tuple(members)))
        else:
            text = symbol_source(source, symbol, summary.language, max_lines=_DEFINITION_LINES)
        key = f"def:{definition.path}:{symbol.parent or ''}.{symbol.name}:{symbol.start_line}"
        return ContextChunk(key, definition.path, redact(text), reason)

    def _summary_chunk(self, path: str, reason: str) -> ContextChunk | None:
        summary = self._index.summary(path)
        if summary is None or not summary.symbols:
            return None
        return ContextChunk(f"summary:{path}", path, redact(render_summary(summary)), reason)
