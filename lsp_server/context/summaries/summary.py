"""The summary of a source file (its imports and definitions) and its rendering as a compact outline."""

from __future__ import annotations

from dataclasses import dataclass

from lsp_server.context.languages import LINE_COMMENT

CONTAINER_KINDS = frozenset({"class", "struct", "interface", "enum", "trait", "impl"})


@dataclass(frozen=True)
class Symbol:
    """One definition in a file: its name, kind, declaration header and first doc line."""

    name: str
    kind: str
    signature: str
    doc: str
    start_line: int
    end_line: int
    parent: str | None = None
    # For attributes: the type of the value as written (an annotation, or "Callee()" for a call's result).
    value_type: str = ""


@dataclass(frozen=True)
class FileSummary:
    """The imports and definitions of one source file."""

    path: str
    language: str
    imports: tuple[str, ...]
    symbols: tuple[Symbol, ...]


def render_summary(summary: FileSummary, *, max_symbols: int | None = None) -> str:
    """Render a summary as a compact outline: an imports line, then one line per symbol."""
    comment = LINE_COMMENT.get(summary.language, "#")
    unit = "    " if summary.language == "python" else "  "
    lines: list[str] = []
    if summary.imports:
        lines.append(f"{comment} imports: {', '.join(summary.imports)}")
    symbols = summary.symbols if max_symbols is None else summary.symbols[: max(max_symbols, 0)]
    # Open containers as (name, end_line); a member is indented under the innermost one it belongs to.
    open_containers: list[tuple[str, int]] = []
    for symbol in symbols:
        while open_containers and open_containers[-1][1] < symbol.start_line:
            open_containers.pop()
        if symbol.parent is None:
            open_containers.clear()
        else:
            while open_containers and open_containers[-1][0] != symbol.parent:
                open_containers.pop()
        line = unit * len(open_containers) + symbol.signature
        if symbol.doc:
            line += f"  {comment} {symbol.doc}"
        if not lines or lines[-1] != line:  # e.g. Go's `var a, b int` declares two names in one line
            lines.append(line)
        if symbol.kind in CONTAINER_KINDS:
            open_containers.append((symbol.name, symbol.end_line))
    omitted = len(summary.symbols) - len(symbols)
    if omitted > 0:
        lines.append(f"{comment} ... {omitted} more symbols")
    return "\n".join(lines)


def symbol_source(source: str | bytes, symbol: Symbol, language: str, max_lines: int = 40) -> str:
    """Return a definition's source lines with the comment directly above, cut to ``max_lines``."""
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    # Split on "\n" only: tree-sitter rows count "\n", not every character str.splitlines breaks on.
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    start = min(symbol.start_line, len(lines))
    end = min(symbol.end_line, len(lines) - 1)
    start = _comment_start_above(lines, start, language)
    kept = lines[start : end + 1]
    if max_lines > 0 and len(kept) > max_lines:
        first = kept[0]
        indent = first[: len(first) - len(first.lstrip())]
        kept = kept[: max_lines - 1] + [f"{indent}{LINE_COMMENT.get(language, '#')} ..."]
    return "\n".join(kept)


def _comment_start_above(lines: list[str], start: int, language: str) -> int:
    """Move ``start`` up over the comment lines directly above it."""
    line_marker = LINE_COMMENT.get(language, "#")
    row = start - 1
    while row >= 0:
        stripped = lines[row].strip()
        if stripped.startswith(line_marker):
            row -= 1
        elif language != "python" and stripped.endswith("*/"):
            top = row
            while top >= 0 and "/*" not in lines[top]:
                top -= 1
            if top < 0:
                break
            row = top - 1
        else:
            break
    return row + 1
