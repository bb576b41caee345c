"""What users take: the iquest.accepted command and Copilot's didShowCompletion / didPartiallyAcceptCompletion."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from lsp_server.completion.outcomes import SuggestionOutcomes, UnknownOutcome

log = logging.getLogger(__name__)

ACCEPTED = "iquest.accepted"
DID_SHOW_COMPLETION = "textDocument/didShowCompletion"
DID_PARTIALLY_ACCEPT_COMPLETION = "textDocument/didPartiallyAcceptCompletion"
# What an item's iquest.accepted argument says it is: ghost text, or the same suggestion as a completion item.
SUGGESTION_KINDS = ("inline", "completion")


def accepted_command(ident: str, kind: str) -> types.Command:
    """The command a client runs after inserting suggestion ``ident``, so the acceptance is recorded."""
    return types.Command(title="Record acceptance", command=ACCEPTED, arguments=[{"id": ident, "kind": kind}])


def plain(value: Any) -> Any:
    """pygls hands custom methods' params over as namedtuples; back to dicts and lists."""
    as_dict = getattr(value, "_asdict", None)
    if isinstance(value, tuple) and callable(as_dict):
        fields = cast(dict[str, Any], as_dict())
        return {key: plain(item) for key, item in fields.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def command_arguments(args: Sequence[Any], names: Sequence[str]) -> dict[str, Any]:
    """Command arguments as one object ``[{...}]`` or positionally in ``names`` order."""
    if len(args) == 1 and isinstance(args[0], Mapping) and not ({"line", "start"} & set(args[0])):
        return dict(args[0])
    return dict(zip(names, args, strict=False))


def item_id(item: Any) -> Any:
    """The suggestion id in an inline item: its iquest.accepted command's argument (None when absent)."""
    command = item.get("command") if isinstance(item, Mapping) else None
    arguments = command.get("arguments") if isinstance(command, Mapping) else None
    first = arguments[0] if isinstance(arguments, list) and arguments else None
    return first.get("id") if isinstance(first, Mapping) else None


class Acceptance:
    """Records suggestions displayed, accepted and partially accepted; code action acceptances go to ``actions``."""

    def __init__(self, outcomes: SuggestionOutcomes, action_accepted: Callable[[Mapping[str, Any]], None]) -> None:
        self._outcomes = outcomes
        self._action_accepted = action_accepted

    def register(self, server: LanguageServer) -> None:
        """Wire the command and the two notifications."""
        outcomes = self._outcomes

        @server.command(ACCEPTED)
        def accepted(ls: LanguageServer, *args: Any) -> dict[str, Any]:
            """A suggestion ``{id, kind}`` was inserted, or a proposal ``{id, action, uri}`` applied: audit it."""
            values = command_arguments([plain(arg) for arg in args], ("id", "action", "uri"))
            if values.get("kind") not in SUGGESTION_KINDS:
                if not values.get("action"):
                    raise JsonRpcInvalidParams(
                        'iquest.accepted expects [{"id": ..., "kind": "inline"}] or [{"id": ..., "action": ...}]'
                    )
                self._action_accepted(values)
                return {"recorded": True}
            try:
                outcomes.accepted(values.get("id"))
            except UnknownOutcome as exc:
                log.warning("iquest.accepted: %s", exc)
                return {"recorded": False, "error": str(exc)}
            return {"recorded": True}

        @server.feature(DID_SHOW_COMPLETION)
        def did_show_completion(ls: LanguageServer, params: Any) -> None:
            """The client displayed ``{item}``."""
            try:
                outcomes.displayed(item_id(plain(params).get("item")))
            except (UnknownOutcome, AttributeError) as exc:
                log.warning("%s ignored: %s", DID_SHOW_COMPLETION, exc)

        @server.feature(DID_PARTIALLY_ACCEPT_COMPLETION)
        def did_partially_accept_completion(ls: LanguageServer, params: Any) -> None:
            """The client inserted the first ``acceptedLength`` UTF-16 units of ``{item}``'s insertText."""
            try:
                values = plain(params)
                outcomes.partially_accepted(item_id(values.get("item")), values.get("acceptedLength"))
            except (UnknownOutcome, AttributeError) as exc:
                log.warning("%s ignored: %s", DID_PARTIALLY_ACCEPT_COMPLETION, exc)
