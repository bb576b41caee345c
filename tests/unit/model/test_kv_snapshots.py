"""KV snapshots: the longest shared prefix wins, extended prompts replace their prefixes, the budget holds."""

import numpy as np

from lsp_server.model.kv_snapshots import KvSnapshots, shared_prefix


def test_shared_prefix_counts_the_leading_equal_tokens():
    a = np.array([1, 2, 3, 4], dtype=np.int32)
    assert shared_prefix(a, np.array([1, 2, 9], dtype=np.int32)) == 2
    assert shared_prefix(a, np.array([1, 2], dtype=np.int32)) == 2
    assert shared_prefix(a, np.array([7], dtype=np.int32)) == 0
    assert shared_prefix(a, np.array([], dtype=np.int32)) == 0


def test_the_snapshot_sharing_the_longest_prefix_is_chosen():
    store = KvSnapshots(10_000)
    store.add([1, 2, 3, 4, 5], b"file-a")
    store.add([1, 2, 9, 9, 9, 9], b"file-b")
    found, shared = store.best([1, 2, 3, 4, 7, 7])
    assert found is not None and found.state == b"file-a" and shared == 4
    found, shared = store.best([1, 2, 9, 9, 9, 9, 9])
    assert found.state == b"file-b" and shared == 6
    assert store.best([5, 5]) == (None, 0)


def test_a_longer_prompt_replaces_the_snapshot_it_extends_and_a_prefix_adds_nothing():
    store = KvSnapshots(10_000)
    store.add([1, 2, 3], b"short")
    store.add([1, 2, 3, 4, 5], b"long")
    assert len(store) == 1 and store.best([1, 2, 3])[0].state == b"long"
    store.add([1, 2], b"shorter")
    assert len(store) == 1


def test_the_least_recently_used_go_first_when_over_budget():
    state = b"x" * 1000
    per_snapshot = len(state) + 4 * 3  # three int32 tokens
    store = KvSnapshots(2 * per_snapshot)
    store.add([1, 1, 1], state)
    store.add([2, 2, 2], state)
    store.best([1, 1, 1])  # used again: now the most recent
    store.add([3, 3, 3], state)
    assert len(store) == 2 and store.bytes_used <= store.budget_bytes
    assert store.best([2, 2, 2]) == (None, 0)
    assert store.best([1, 1, 1])[1] == 3 and store.best([3, 3, 3])[1] == 3


def test_a_state_larger_than_the_budget_is_not_kept():
    store = KvSnapshots(100)
    store.add([1, 2, 3], b"y" * 200)
    assert len(store) == 0 and store.bytes_used == 0
