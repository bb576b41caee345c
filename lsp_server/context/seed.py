"""A seed context for refactor prompts: project overview, directory tree, key components, focus files."""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lsp_server.context.files import WorkspaceFiles
from lsp_server.context.imports import importer_counts
from lsp_server.context.languages import language_for_path
from lsp_server.context.secrets import redact
from lsp_server.context.summaries import FileSummary, render_summary
from lsp_server.prompting.budget import CountTokens, largest_fitting

DEFAULT_SHARES: Mapping[str, float] = {"overview": 0.1, "tree": 0.15, "components": 0.35, "focus": 0.4}
TITLES: Mapping[str, str] = {
    "overview": "Project overview",
    "tree": "Directory tree",
    "components": "Key components",
    "focus": "Focus files",
}

_README_SUFFIXES = ("md", "markdown", "rst", "txt", "adoc", "")
_SKIPPED_README_LINE = re.compile(r"^\s*(?:\[?!\[|<(?!http)|\[[^\]]*\]:\s)")  # badges, HTML, link definitions
# A folder with more files than this shows only its count; tighter budgets list fewer.
_TREE_FILE_LIMITS = (40, 12, 4, 0)
_HEADING = re.compile(r"^(#{1,6})(?=\s)")
_CHARS_PER_TOKEN_CEILING = 16
# A component that does not fit is skipped; after this many in a row the rest will not fit either.
_MAX_MISSES = 3


@dataclass(frozen=True)
class SeedSection:
    """One titled part of the seed context and its token count."""

    title: str
    text: str
    tokens: int


def render_seed(sections: Iterable[SeedSection]) -> str:
    """Join sections as markdown with a ``## title`` header each."""
    return "\n\n".join(f"## {section.title}\n\n{section.text}" for section in sections)


def build_seed_context(
    files: WorkspaceFiles,
    summaries: Mapping[str, FileSummary],
    *,
    count_tokens: CountTokens,
    budget: int,
    focus: Sequence[os.PathLike[str] | str] = (),
    shares: Mapping[str, float] | None = None,
) -> list[SeedSection]:
    """Build the seed sections in order, each cut to its share of ``budget``; their tokens never exceed it."""
    unknown = set(shares or ()) - set(DEFAULT_SHARES)
    if unknown:
        raise ValueError(f"unknown seed sections: {sorted(unknown)}")
    weights = {key: max(0.0, float(value)) for key, value in {**DEFAULT_SHARES, **(shares or {})}.items()}
    focus_texts = _focus_texts(files, focus)
    indexable = [files.relative(path) for path in files.iter_files()] if weights["tree"] > 0 else []
    builders: dict[str, Callable[[int], str]] = {
        "overview": lambda limit: _overview(files, count_tokens, limit),
        "tree": lambda limit: _tree(indexable, count_tokens, limit),
        "components": lambda limit: _components(summaries, set(focus_texts), count_tokens, limit),
        "focus": lambda limit: _focus(focus_texts, count_tokens, limit),
    }
    present = {
        "overview": True,
        "tree": bool(indexable),
        "components": any(s.symbols for rel, s in summaries.items() if rel not in focus_texts),
        "focus": bool(focus_texts),
    }
    order = [key for key in DEFAULT_SHARES if present[key] and weights[key] > 0]

    sections: list[SeedSection] = []
    remaining = budget
    for index, key in enumerate(order):
        # Sharing what is left among this and the later sections lets unused budget flow onwards.
        later = sum(weights[k] for k in order[index:])
        allotment = int(remaining * weights[key] / later)
        header = count_tokens(f"\n\n## {TITLES[key]}\n\n")
        if allotment <= header:
            continue
        text = builders[key](allotment - header)
        tokens = count_tokens(text) if text else 0
        if not text or tokens > allotment - header:  # the latter only with a counter that is not monotonic
            continue
        sections.append(SeedSection(TITLES[key], text, tokens))
        remaining -= tokens + header
    return sections


# -- fitting ------------------------------------------------------------------------------------


def _largest_rendering(render: Callable[[int], str], high: int, count_tokens: CountTokens, limit: int) -> int:
    """The largest n in [0, high] whose render(n) fits (render grows with n); -1 if not even render(0)."""
    whole = render(high)
    # Counting a huge text whole is slow and pointless when it is this far over any real tokenizer's
    # count; then the doubling below reaches it only if everything before it fit.
    whole_counted = len(whole) <= _CHARS_PER_TOKEN_CEILING * max(limit, 0)
    if whole_counted and count_tokens(whole) <= limit:
        return high
    low, step = -1, 1
    # Double from the small end so a huge input is not counted over and over.
    while step < high and count_tokens(render(step)) <= limit:
        low, step = step, step * 2
    if step >= high and not whole_counted and count_tokens(whole) <= limit:
        return high
    high = min(step, high) - 1
    if low < 0:
        if count_tokens(render(0)) > limit:
            return -1
        low = 0
    return largest_fitting(high, lambda n: count_tokens(render(n)) <= limit, low)


def _fit_text(text: str, count_tokens: CountTokens, limit: int, *, cut_line: bool = True) -> str:
    """The longest prefix of whole lines that fits; a first line too long alone is cut by characters."""
    lines = text.split("\n")
    n = _largest_rendering(lambda k: "\n".join(lines[:k]), len(lines), count_tokens, limit)
    if n >= 1 or not cut_line:
        return "\n".join(lines[: max(n, 0)])
    first = lines[0]
    chars = _largest_rendering(lambda k: first[:k], len(first), count_tokens, limit)
    return first[: max(chars, 0)]


def _fit_chunks(chunks: Iterable[Callable[[int], str | None]], count_tokens: CountTokens, limit: int) -> str:
    """Join as many chunks as fit; each is asked for a text of at most the tokens left (None: skip it)."""
    kept: list[str] = []
    used = 0
    separator = count_tokens("\n\n")
    misses = 0
    for chunk in chunks:
        room = limit - used - (separator if kept else 0)
        text = chunk(room) if room > 0 else None
        if not text:
            misses += 1
            if misses >= _MAX_MISSES or room <= 0:
                break
            continue
        misses = 0
        kept.append(text)
        used += count_tokens(text) + (separator if len(kept) > 1 else 0)
    # Counts of the parts can differ from the count of the joined text; the joined text decides.
    while kept and count_tokens("\n\n".join(kept)) > limit:
        kept.pop()
    return "\n\n".join(kept)


# -- project overview ---------------------------------------------------------------------------


def _overview(files: WorkspaceFiles, count_tokens: CountTokens, limit: int) -> str:
    if not files.roots:
        return ""
    root = files.roots[0]
    readme = _readme_lines(files, root)
    if readme:
        n = _largest_rendering(lambda k: "\n".join(readme[:k]), len(readme), count_tokens, limit)
        if n < len(readme):
            # Prefer ending with a whole paragraph when at least one fits after the title.
            blanks = [i for i in range(1, n) if not readme[i].strip()]
            if blanks and blanks[-1] > 1:
                n = blanks[-1]
        if n >= 1:
            return "\n".join(readme[:n]).strip()
        return _fit_text(readme[0], count_tokens, limit)
    return _fit_text(redact(_manifest_overview(files, root)), count_tokens, limit)


def _readme_lines(files: WorkspaceFiles, root: Path) -> list[str]:
    try:
        names = {name.lower(): name for name in os.listdir(root)}
    except OSError:
        return []
    for suffix in _README_SUFFIXES:
        name = names.get(f"readme.{suffix}" if suffix else "readme")
        text = files.read_text(root / name) if name else None
        if text and text.strip():
            break
    else:
        return []
    lines: list[str] = []
    in_comment = False
    for line in redact(text).splitlines():
        line = line.rstrip()
        if "<!--" in line:
            in_comment = "-->" not in line
            continue
        if in_comment:
            in_comment = "-->" not in line
            continue
        if _SKIPPED_README_LINE.match(line):
            continue
        # Headings go two levels down, below this section's own `##` header.
        line = _HEADING.sub(lambda m: "#" * min(len(m.group(1)) + 2, 6), line)
        if not line.strip() and (not lines or not lines[-1].strip()):
            continue  # leading or repeated blank lines
        lines.append(line)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _manifest_overview(files: WorkspaceFiles, root: Path) -> str:
    """Project name and description from a package manifest, or the folder name."""
    name = description = ""
    text = files.read_text(root / "pyproject.toml")
    if text:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            data = {}
        project = data.get("project") or data.get("tool", {}).get("poetry") or {}
        name, description = str(project.get("name", "")), str(project.get("description", ""))
    if not name and (text := files.read_text(root / "package.json")):
        try:
            data = json.loads(text)
        except ValueError:
            data = {}
        if isinstance(data, dict):
            name, description = str(data.get("name", "")), str(data.get("description", ""))
    if not name and (text := files.read_text(root / "Cargo.toml")):
        try:
            package = tomllib.loads(text).get("package", {})
        except tomllib.TOMLDecodeError:
            package = {}
        name, description = str(package.get("name", "")), str(package.get("description", ""))
    if not name and (text := files.read_text(root / "go.mod")):
        match = re.search(r"^module\s+(\S+)", text, re.MULTILINE)
        name = match.group(1) if match else ""
    lines = [f"Project: {name or root.name}"]
    if description:
        lines.append(description)
    return "\n\n".join(lines)


# -- directory tree -----------------------------------------------------------------------------


@dataclass
class _Folder:
    folders: dict[str, _Folder] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    total: int = 0


def _tree(paths: Sequence[str], count_tokens: CountTokens, limit: int) -> str:
    top = _Folder()
    for path in paths:
        *folders, name = PurePosixPath(path).parts
        node = top
        node.total += 1
        for folder in folders:
            node = node.folders.setdefault(folder, _Folder())
            node.total += 1
        node.files.append(name)
    depth = _depth(top)
    renders = {_render_tree(top, d, files) for d in range(depth, 0, -1) for files in _TREE_FILE_LIMITS}
    candidates = sorted({redact(text) for text in renders}, key=len)
    best = _largest_rendering(lambda k: candidates[k], len(candidates) - 1, count_tokens, limit)
    if best >= 0:
        return candidates[best]
    return _fit_text(candidates[0], count_tokens, limit, cut_line=False)


def _depth(node: _Folder) -> int:
    return 1 + max((_depth(child) for child in node.folders.values()), default=0)


def _render_tree(top: _Folder, max_depth: int, file_limit: int) -> str:
    """Folders with their file counts to ``max_depth``; a folder with many files shows only its count."""
    lines: list[str] = []

    def walk(node: _Folder, depth: int) -> None:
        indent = "  " * depth
        for name, child in sorted(node.folders.items()):
            lines.append(f"{indent}{name}/ ({child.total} {'file' if child.total == 1 else 'files'})")
            if depth + 1 < max_depth:
                walk(child, depth + 1)
        if len(node.files) <= file_limit:
            lines.extend(f"{indent}{name}" for name in sorted(node.files))
        elif node.files and node.folders:
            lines.append(f"{indent}({len(node.files)} more files)")
        elif node.files and depth == 0:
            lines.append(f"({len(node.files)} files)")

    walk(top, 0)
    return "\n".join(lines)


# -- key components -----------------------------------------------------------------------------


def _components(summaries: Mapping[str, FileSummary], skip: set[str], count_tokens: CountTokens, limit: int) -> str:
    importers = importer_counts(summaries)
    ranked = sorted(
        (rel for rel in summaries if rel not in skip and summaries[rel].symbols),
        key=lambda rel: (-importers.get(rel, 0), -len(summaries[rel].symbols), rel),
    )

    def chunk(rel: str) -> Callable[[int], str | None]:
        summary = summaries[rel]
        used_by = importers.get(rel, 0)
        header = f"### {rel}" + (f" (imported by {used_by} {'file' if used_by == 1 else 'files'})" if used_by else "")

        def fit(room: int) -> str | None:
            count = len(summary.symbols)
            # Fewer symbols until it fits; render_summary says how many were left out.
            for max_symbols in sorted({count, count // 2, count // 4, min(count, 8), 0}, reverse=True):
                body = render_summary(summary, max_symbols=None if max_symbols == count else max_symbols)
                text = redact(f"{header}\n{body}" if body else header)
                if count_tokens(text) <= room:
                    return text
            return None

        return fit

    return _fit_chunks((chunk(rel) for rel in ranked), count_tokens, limit)


# -- focus files --------------------------------------------------------------------------------


def _focus_texts(files: WorkspaceFiles, focus: Sequence[os.PathLike[str] | str]) -> dict[str, str]:
    """Workspace-relative path -> redacted text of each readable focus file, in the given order."""
    texts: dict[str, str] = {}
    for path in focus:
        if not files.contains(path):
            continue
        rel = files.relative(path)
        if rel in texts:
            continue
        text = files.read_text(path)
        if text is not None:
            texts[rel] = redact(text)
    return texts


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    return "`" * (longest + 1)


def _focus(texts: Mapping[str, str], count_tokens: CountTokens, limit: int) -> str:
    kept: list[str] = []
    remaining = limit
    separator = count_tokens("\n\n")
    for index, (rel, text) in enumerate(texts.items()):
        # Share what is left evenly with the files still to come; what one leaves, the next may use.
        room = remaining // (len(texts) - index) - (separator if kept else 0)
        rendered = _render_focus(rel, text, count_tokens, room)
        if rendered:
            kept.append(rendered)
            remaining -= count_tokens(rendered) + (separator if len(kept) > 1 else 0)
    while kept and count_tokens("\n\n".join(kept)) > limit:
        kept.pop()
    return "\n\n".join(kept)


def _render_focus(rel: str, text: str, count_tokens: CountTokens, room: int) -> str | None:
    if room <= 0:
        return None
    lines = text.splitlines()
    fence = _fence(text)
    opening = f"### {rel}\n{fence}{language_for_path(rel) or ''}"

    def render(n: int) -> str:
        body = lines[:n]
        if n < len(lines):
            body = [*body, f"... ({len(lines) - n} more lines)"]
        return "\n".join((opening, *body, fence))

    n = _largest_rendering(render, len(lines), count_tokens, room)
    return render(n) if n >= 1 or (n == 0 and not lines) else None
