"""Check a model's unified diffs against the current workspace before anything is offered."""

from __future__ import annotations

from dataclasses import dataclass

from lsp_server.actions.sources import ActionError, Sources
from lsp_server.actions.syntax import error_count
from lsp_server.actions.textedit import FileEdit, line_changes
from lsp_server.actions.unidiff import PatchError, apply_patch, parse_diff
from lsp_server.context.languages import language_for_path
from lsp_server.context.secrets import is_secret_path


@dataclass(frozen=True)
class DiffCheck:
    """The edits of a diff that validated, or the problems that reject it (then ``edits`` is empty)."""

    edits: tuple[FileEdit, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return bool(self.edits) and not self.problems


def check_diff(answer: str, sources: Sources) -> DiffCheck:
    """Parse the diffs in ``answer`` and check every hunk applies and every result parses; all or nothing."""
    try:
        patches = parse_diff(answer)
    except PatchError as exc:
        return DiffCheck((), (str(exc),))
    if not patches:
        return DiffCheck((), ("the answer contains no unified diff (--- a/PATH, +++ b/PATH, @@ hunks)",))
    edits: list[FileEdit] = []
    problems: list[str] = []
    seen: set[str] = set()
    for patch in patches:
        name = patch.path
        if patch.new_path is None:
            problems.append(f"{name}: deleting files is not supported")
            continue
        try:
            path = sources.resolve(name)
        except ActionError as exc:
            problems.append(str(exc))
            continue
        if is_secret_path(path):
            problems.append(f"{name}: secret files are never edited")
            continue
        if str(path) in seen:
            problems.append(f"{name}: more than one diff for the same file")
            continue
        seen.add(str(path))
        current = sources.get_path(path) if patch.old_path is not None else None
        if patch.old_path is not None and current is None:
            problems.append(f"{name} does not exist in the workspace")
            continue
        if patch.old_path is None and path.exists():
            problems.append(f"{name} already exists; a diff from /dev/null would overwrite it")
            continue
        old = current.text if current is not None else ""
        try:
            new = apply_patch(old, patch, name)
        except PatchError as exc:
            problems.append(str(exc))
            continue
        language = language_for_path(path)
        if language is not None:
            added = error_count(new, language) - error_count(old, language)
            if added > 0:
                problems.append(f"{name}: the patched file does not parse ({added} new syntax error{'s' if added > 1 else ''})")
                continue
        if new == old:
            continue
        uri = current.uri if current is not None else path.as_uri()
        edits.append(FileEdit(uri, path, old, line_changes(old, new), current.version if current else None, create=current is None))
    if problems:
        return DiffCheck((), tuple(problems))
    if not edits:
        return DiffCheck((), ("the diff changes nothing",))
    return DiffCheck(tuple(edits), ())
