"""Hypothesis strategies for malformed and hostile LSP traffic, each message with what it may get back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from rpc import encode, frame

# What a request may get back: a result, or an error with one of these codes.
INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, CANCELLED = -32602, -32600, -32601, -32700, -32800
REQUEST_METHODS = (
    "textDocument/inlineCompletion",
    "textDocument/completion",
    "workspace/executeCommand",
    "textDocument/codeAction",
    "codeAction/resolve",
)
NOTIFICATION_METHODS = (
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didClose",
    "textDocument/didSave",
    "workspace/didChangeConfiguration",
    "$/cancelRequest",
    "$/setTrace",
)


@dataclass
class Message:
    """One frame to send; ``answer`` is "none" (notification), "null" (error with id null) or "id"."""

    kind: str
    body: bytes
    answer: str = "none"
    method: str | None = None
    allowed: frozenset[int] = frozenset()  # error codes a request may get; a result is always fine
    result_ok: bool = True
    msg_id: Any = None
    extra: dict = field(default_factory=dict)


@dataclass
class World:
    """What the strategies aim at: the workspace root, documents under it, a place outside it."""

    root_uri: str
    outside_uri: str
    uris: tuple[str, ...]


# -- values ---------------------------------------------------------------------------------

# Text with what breaks encodings: emoji (two UTF-16 units), combining marks, CRLF, NUL, lone surrogates.
_NASTY_CHARS = [
    "😀",
    "👩‍💻",
    "é",
    "e\u0301",
    "\r\n",
    "\r",
    "\n",
    "\t",
    "\x00",
    "\ud800",
    "\udfff",
    "\ufeff",
    "\u2028",
    "𝕏",
    "中",
]
nasty_text = st.lists(
    st.one_of(
        st.sampled_from(_NASTY_CHARS), st.text(max_size=8), st.sampled_from(["def f(x):\n    ", "import os\n", "  "])
    ),
    max_size=24,
).map("".join)

ints = st.one_of(
    st.integers(-3, 50),
    st.sampled_from([-1, -(2**31), 2**31 - 1, 2**31, 2**32, 2**53, -(2**63), 2**64, 10**30]),
)
json_leaf = st.one_of(st.none(), st.booleans(), ints, st.floats(allow_nan=False, allow_infinity=False), nasty_text)
json_values = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def uris(world: World) -> st.SearchStrategy[str]:
    """Known documents, unknown ones, outside the workspace, `..` escapes, non-file schemes, junk."""
    root = world.root_uri.rstrip("/")
    return st.one_of(
        st.sampled_from(world.uris),
        st.sampled_from(
            [
                world.outside_uri,
                f"{root}/../outside/secret.py",
                f"{root}/%2e%2e/%2e%2e/etc/passwd",
                "file:///etc/passwd",
                "file:///dev/zero",
                "file:///proc/self/environ",
                "untitled:Untitled-1",
                "http://example.invalid/x.py",
                "",
                "file://",
                "not a uri",
                f"{root}/" + "a" * 5000 + ".py",
                f"{root}/😀 file.py",
            ]
        ),
        st.text(max_size=30),
    )


def positions() -> st.SearchStrategy[Any]:
    """Positions in range, past the end, negative, huge, and not positions at all."""
    good = st.builds(lambda line, c: {"line": line, "character": c}, ints, ints)
    return st.one_of(good, good, json_values, st.fixed_dictionaries({"line": ints}))


# -- messages -------------------------------------------------------------------------------


def _request(msg_id: int, method: str, params: Any, allowed: set[int], *, omit_params: bool = False) -> Message:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if not omit_params:
        message["params"] = params
    return Message("request", frame(encode(message)), "id", method, frozenset(allowed), msg_id=msg_id)


def _notification(method: str, params: Any) -> Message:
    return Message(
        "notification", frame(encode({"jsonrpc": "2.0", "method": method, "params": params})), "none", method
    )


def completion_requests(world: World, ids: st.SearchStrategy[int]) -> st.SearchStrategy[Message]:
    """Completion requests whose parts are each right or wrong: URIs, positions, context, types."""

    @st.composite
    def build(draw) -> Message:
        method = draw(st.sampled_from(REQUEST_METHODS[:2]))
        params: dict[str, Any] = {"textDocument": {"uri": draw(uris(world))}, "position": draw(positions())}
        if method.endswith("inlineCompletion"):
            params["context"] = draw(st.one_of(st.just({"triggerKind": 2}), st.just({"triggerKind": 1}), json_values))
        for key in list(params):
            if draw(st.integers(0, 9)) == 0:
                params[key] = draw(json_values)  # wrong type
            elif draw(st.integers(0, 14)) == 0:
                del params[key]  # missing field
        return _request(draw(ids), method, params, {INVALID_PARAMS, CANCELLED})

    return build()


def malformed_requests(ids: st.SearchStrategy[int]) -> st.SearchStrategy[Message]:
    """Our methods (and unknown ones) with arbitrary params or none."""

    @st.composite
    def build(draw) -> Message:
        method = draw(
            st.one_of(
                st.sampled_from(REQUEST_METHODS),
                st.text(max_size=20),
                st.sampled_from(["textDocument/hover", "initialize"]),
            )
        )
        allowed = {INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, CANCELLED}
        if method == "workspace/executeCommand":
            params = draw(
                st.one_of(
                    json_values,
                    st.fixed_dictionaries(
                        {
                            "command": st.one_of(
                                st.sampled_from(["iquest.status", "iquest.nope", "iquest.reindex"]), json_values
                            ),
                            "arguments": json_values,
                        }
                    ),
                )
            )
        else:
            params = draw(json_values)
        return _request(draw(ids), method, params, allowed, omit_params=draw(st.booleans()))

    return build()


def document_notifications(world: World) -> st.SearchStrategy[Message]:
    """didOpen/didChange/didClose, well-formed or not, on any URI: rapid interleavings, odd text, bad ranges."""
    text = st.one_of(nasty_text, st.just(""), st.binary(max_size=64).map(lambda b: b.decode("latin-1")))
    version = st.one_of(ints, st.none(), json_values)
    open_ = st.builds(
        lambda uri, lang, v, t: _notification(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": lang, "version": v, "text": t}}
        ),
        uris(world), st.sampled_from(["python", "javascript", "plaintext", "", "dotenv"]), version, text,
    )  # fmt: skip
    rng = st.builds(lambda a, b: {"start": a, "end": b}, positions(), positions())
    change = st.one_of(
        st.builds(lambda r, t: {"range": r, "text": t}, rng, text), st.builds(lambda t: {"text": t}, text), json_values
    )
    change_ = st.builds(
        lambda uri, v, changes: _notification(
            "textDocument/didChange", {"textDocument": {"uri": uri, "version": v}, "contentChanges": changes}
        ),
        uris(world), version, st.lists(change, max_size=3),
    )  # fmt: skip
    close_ = st.builds(lambda uri: _notification("textDocument/didClose", {"textDocument": {"uri": uri}}), uris(world))
    other = st.builds(_notification, st.sampled_from(NOTIFICATION_METHODS), json_values)
    return st.one_of(open_, open_, change_, change_, close_, other)


def document_traffic(world: World, ids: st.SearchStrategy[int]) -> st.SearchStrategy[Message]:
    """Well-formed open/change/close and completions on the workspace's documents, with nasty text and positions."""
    small = st.one_of(st.just(0), st.integers(0, 3), st.integers(0, 8))
    versions = st.integers(-1, 2**31 - 1)
    text = st.one_of(nasty_text, st.text(max_size=200))
    open_ = st.builds(
        lambda uri, v, t: _notification(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": v, "text": t}}
        ),
        st.sampled_from(world.uris), versions, text,
    )  # fmt: skip
    position = st.builds(lambda line, c: {"line": line, "character": c}, small, st.integers(0, 40))
    edit = st.builds(lambda a, b, t: {"range": {"start": a, "end": b}, "text": t}, position, position, nasty_text)
    change = st.builds(
        lambda uri, v, edits: _notification(
            "textDocument/didChange", {"textDocument": {"uri": uri, "version": v}, "contentChanges": edits}
        ),
        st.sampled_from(world.uris), versions, st.lists(edit, min_size=1, max_size=3),
    )  # fmt: skip
    close = st.builds(
        lambda uri: _notification("textDocument/didClose", {"textDocument": {"uri": uri}}), st.sampled_from(world.uris)
    )
    complete = st.builds(
        lambda msg_id, method, uri, pos: _request(
            msg_id,
            method,
            {"textDocument": {"uri": uri}, "position": pos, "context": {"triggerKind": 2}},
            {INVALID_PARAMS, CANCELLED},
        ),
        ids, st.sampled_from(REQUEST_METHODS[:2]), st.sampled_from(world.uris), position,
    )  # fmt: skip
    return st.one_of(open_, open_, open_, change, change, close, complete, complete, complete, complete)


def cancels(ids: st.SearchStrategy[int]) -> st.SearchStrategy[Message]:
    """$/cancelRequest for the request just sent (the sender fills its id in), unknown and malformed ids."""
    recent = st.just(Message("cancel-recent", b"", "none", "$/cancelRequest"))
    return st.one_of(
        recent, recent, st.builds(lambda i: _notification("$/cancelRequest", {"id": i}), st.one_of(ids, json_values))
    )


def _null_error(kind: str, body: bytes) -> Message:
    return Message(kind, frame(body), "null")


def broken_frames(ids: st.SearchStrategy[int]) -> st.SearchStrategy[Message]:
    """Bodies that are not JSON, not UTF-8, or JSON that is not a JSON-RPC message."""
    not_json = st.one_of(
        st.binary(min_size=1, max_size=80).filter(lambda b: not _parses(b)),
        st.sampled_from(
            [
                b"{",
                b"}",
                b"[1,",
                b"\xff\xfe\x00",
                b'{"jsonrpc": "2.0", "id": 1, "method": "x", "params": "\xff"}',
                b"NaN?",
                b" ",
            ]
        ),
    ).map(lambda b: _null_error("garbage", b))
    not_rpc = st.one_of(
        st.lists(json_values, max_size=3),  # batches are not LSP
        st.one_of(st.none(), st.booleans(), ints, nasty_text),
        st.dictionaries(st.sampled_from(["id", "params", "result"]), json_values, max_size=3),
    ).map(lambda v: _null_error("not-rpc", encode(v)))

    @st.composite
    def bad_envelope(draw) -> Message:
        msg_id = draw(ids)
        variant = draw(st.sampled_from(["version", "no-version", "id-type", "method-type"]))
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/completion", "params": {}}
        if variant == "version":
            message["jsonrpc"] = draw(st.one_of(st.just("1.0"), st.just(2.0), json_values.filter(lambda v: v != "2.0")))
        elif variant == "no-version":
            del message["jsonrpc"]
        elif variant == "id-type":
            message["id"] = draw(
                st.one_of(
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.booleans(),
                    st.lists(ints, max_size=2),
                    st.dictionaries(st.text(max_size=3), ints, max_size=2),
                )
            )
            return Message("bad-envelope", frame(encode(message)), "null")
        else:
            message["method"] = draw(st.one_of(ints, st.none(), st.lists(ints, max_size=2)))
        return Message(
            "bad-envelope",
            frame(encode(message)),
            "id",
            allowed=frozenset({INVALID_REQUEST, INVALID_PARAMS}),
            msg_id=msg_id,
            result_ok=False,
        )

    return st.one_of(not_json, not_rpc, bad_envelope())


def _parses(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def hostile_messages(world: World, ids: st.SearchStrategy[int]) -> st.SearchStrategy[Message]:
    """Any one hostile message."""
    traffic = document_traffic(world, ids)
    return st.one_of(
        traffic,
        traffic,
        traffic,
        completion_requests(world, ids),
        malformed_requests(ids),
        document_notifications(world),
        cancels(ids),
        broken_frames(ids),
    )
