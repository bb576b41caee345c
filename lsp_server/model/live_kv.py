"""The llama context's one sequence: what its KV holds, reuse by shifting, saved states in and out."""

from __future__ import annotations

import ctypes
import logging

import numpy as np

from lsp_server.model.kv_snapshots import KvSnapshots, Snapshot, shared_prefix
from lsp_server.model.llama_loading import import_llama

log = logging.getLogger(__name__)

# A saved KV state is restored when it spares this many more tokens than the live KV, and the live
# KV is saved before a prompt overwrites at least this many of its tokens.
SNAPSHOT_MIN_TOKENS = 64


class LiveKv:
    """Sequence 0 of ``llm``'s context with the tokens llama-cpp-python says it holds, and the saved states."""

    def __init__(self, llm, snapshots: KvSnapshots | None) -> None:
        self._llm = llm
        self.snapshots = snapshots

    def swap(self, tokens: list[int]) -> int:
        """Save the live KV before ``tokens`` overwrite much of it; restore the saved state nearest to them.

        Returns how many of ``tokens`` the restored state holds (0: none restored).
        """
        if self.snapshots is None:
            return 0
        live = self.common_prefix(tokens)
        snapshot, shared = self.snapshots.best(tokens, worth=live + SNAPSHOT_MIN_TOKENS)
        if self._llm.n_tokens - live >= SNAPSHOT_MIN_TOKENS:
            self.save_live()
        if snapshot is None or shared < live + SNAPSHOT_MIN_TOKENS:
            return 0
        return shared if self._load(snapshot) else 0

    def save_live(self) -> None:
        """Keep the live sequence's KV state with the tokens it holds."""
        llama_cpp = import_llama()
        ctx = self._llm._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, llama_cpp.llama_seq_id(0))
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, llama_cpp.llama_seq_id(0))
        if written:
            assert self.snapshots is not None
            self.snapshots.add(self._llm.input_ids[: self._llm.n_tokens], ctypes.string_at(buffer, written))

    def _load(self, snapshot: Snapshot) -> bool:
        """Put a saved KV state back into the live sequence; False (and an empty KV) if llama.cpp refused it."""
        llama_cpp = import_llama()
        buffer = (ctypes.c_uint8 * len(snapshot.state)).from_buffer_copy(snapshot.state)
        if not llama_cpp.llama_state_seq_set_data(
            self._llm._ctx.ctx, buffer, len(snapshot.state), llama_cpp.llama_seq_id(0)
        ):
            log.warning(
                "llama.cpp refused a saved KV state of %d tokens; evaluating the prompt instead", len(snapshot.tokens)
            )
            self._llm.n_tokens = 0
            return False
        n = len(snapshot.tokens)
        self._llm.input_ids[:n] = snapshot.tokens
        self._llm.n_tokens = n
        return True

    def _shift_match(self, tokens: list[int], min_match: int = 32) -> tuple[int, int] | None:
        """Where the cached tokens pick ``tokens`` up again after their common prefix.

        Returns (common prefix, cached position where the next ``min_match`` tokens follow), or None.
        """
        cached = self._llm.input_ids[: self._llm.n_tokens]
        same = self.common_prefix(tokens)
        probe = tokens[same : same + min_match]
        if len(probe) < min_match or same >= len(cached) - min_match:
            return None
        starts = np.flatnonzero(cached[same + 1 :] == probe[0]) + same + 1
        for start in starts:
            if start + min_match <= len(cached) and cached[start : start + min_match].tolist() == probe:
                return same, int(start)
        return None

    def reuse_by_shifting(self, tokens: list[int]) -> int:
        """Drop cached tokens that the new prompt no longer has and shift the rest of the KV left.

        When the local window's start moves forward, the tokens after it are unchanged but sit at
        earlier positions; shifting their KV (RoPE positions) avoids evaluating them again, as
        llama-server's --cache-reuse does. Returns the number of tokens dropped.
        """
        match = self._shift_match(tokens)
        if match is None:
            return 0
        same, start = match
        dropped = start - same
        if not self._llm._ctx.kv_cache_seq_rm(0, same, start):
            return 0
        self._llm._ctx.kv_cache_seq_shift(0, start, -1, -dropped)
        cached = self._llm.input_ids[: self._llm.n_tokens]
        kept = np.concatenate([cached[:same], cached[start:]])
        self._llm.input_ids[: len(kept)] = kept
        self._llm.n_tokens = len(kept)
        return dropped

    def reusable(self, tokens: list[int]) -> int:
        """How many leading tokens of ``tokens`` need no evaluation: live KV (shifted if need be) or a snapshot."""
        match = self._shift_match(tokens)
        if match is None:
            live = self.common_prefix(tokens)
        else:
            same, start = match
            cached = self._llm.input_ids[start : self._llm.n_tokens]
            live = same + shared_prefix(cached, np.asarray(tokens[same:], dtype=cached.dtype))
        saved = self.snapshots.longest_shared(tokens) if self.snapshots is not None else 0
        return max(live, saved)

    def common_prefix(self, tokens: list[int]) -> int:
        """Tokens of ``tokens`` already in the KV cache from the previous call."""
        cached = self._llm.input_ids[: self._llm.n_tokens]
        return shared_prefix(cached, np.asarray(tokens[: len(cached)], dtype=cached.dtype))
