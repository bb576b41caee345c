"""KV snapshots on disk: evicted and closed-over states come back, within a budget, and bad files go."""

import logging

import numpy as np

from lsp_server.model.kv_snapshots import KvSnapshots, Snapshot
from lsp_server.model.kv_spill import SnapshotSpill, spill_key


def _snapshot(tokens, state: bytes) -> Snapshot:
    return Snapshot(np.asarray(tokens, dtype=np.int32), state)


def test_a_saved_snapshot_reads_back_in_a_new_process(tmp_path):
    spill = SnapshotSpill(tmp_path, 10_000)
    spill.save(_snapshot([1, 2, 3, 4], b"state-a"))
    spill.close()
    again = SnapshotSpill(tmp_path, 10_000)  # as after a restart: only the files
    path, shared = again.longest_shared(np.array([1, 2, 3, 9], dtype=np.int32))
    assert shared == 3
    loaded = again.load(path)
    assert loaded is not None and loaded.state == b"state-a" and loaded.tokens.tolist() == [1, 2, 3, 4]
    assert again.longest_shared(np.array([7], dtype=np.int32)) == (None, 0)


def test_the_budget_drops_the_least_recently_used_and_an_extension_replaces_its_prefix(tmp_path):
    spill = SnapshotSpill(tmp_path, 3 * (20 + 16 + 100))  # room for about three files of 100-byte states
    spill.save(_snapshot([1, 1], b"a" * 100))
    spill.save(_snapshot([2, 2], b"b" * 100))
    spill.save(_snapshot([2, 2, 2], b"c" * 100))  # holds all of [2, 2]: that file goes
    spill.save(_snapshot([3, 3], b"d" * 100))
    spill.save(_snapshot([4, 4], b"e" * 100))
    spill.close()
    assert len(spill) == 3 and len(list(tmp_path.glob("*.kv"))) == 3
    assert spill.bytes_used <= spill.budget_bytes
    assert spill.longest_shared(np.array([1, 1], dtype=np.int32))[1] == 0  # the oldest went
    assert spill.longest_shared(np.array([2, 2, 2], dtype=np.int32))[1] == 3


def test_a_damaged_file_is_dropped_with_one_warning(tmp_path, caplog):
    spill = SnapshotSpill(tmp_path, 10_000)
    spill.save(_snapshot([1, 2, 3], b"x" * 50))
    spill.save(_snapshot([5, 6, 7], b"y" * 50))
    spill.close()
    first, second = sorted(tmp_path.glob("*.kv"))
    data = bytearray(first.read_bytes())
    data[-1] ^= 0xFF  # one flipped bit in the state
    first.write_bytes(bytes(data))
    second.write_bytes(second.read_bytes()[:30])  # truncated inside the tokens
    with caplog.at_level(logging.WARNING):
        again = SnapshotSpill(tmp_path, 10_000)
        assert len(again) == 1  # the truncated one is dropped while indexing
        (path,) = tmp_path.glob("*.kv")
        assert again.load(path) is None  # the flipped bit is found when the state is read
    assert not list(tmp_path.glob("*.kv")) and len(again) == 0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "kvSnapshotDiskMb" in warnings[0].getMessage()


def test_an_unwritable_directory_costs_nothing_but_a_warning(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.WARNING):
        spill = SnapshotSpill(blocker / "kv", 10_000)
        spill.save(_snapshot([1, 2], b"x"))
        spill.close()
    assert len(spill) == 0 and any("cannot" in r.getMessage() for r in caplog.records)


def test_the_directory_key_tells_models_builds_and_contexts_apart():
    assert spill_key("sha-a", "0.3.16", 4096) == spill_key("sha-a", "0.3.16", 4096)
    assert (
        len(
            {
                spill_key("sha-a", "0.3.16", 4096),
                spill_key("sha-b", "0.3.16", 4096),
                spill_key("sha-a", "0.3.17", 4096),
                spill_key("sha-a", "0.3.16", 8192),
            }
        )
        == 4
    )


def test_ram_evictions_go_to_disk_and_come_back_when_they_match_best(tmp_path):
    store = KvSnapshots(150, SnapshotSpill(tmp_path, 10_000))
    store.add([1, 2, 3], b"a" * 100)
    store.add([4, 5, 6], b"b" * 100)  # the RAM budget holds one: [1, 2, 3] goes to disk
    store.spill.close()
    assert len(store) == 1 and len(store.spill) == 1
    assert store.longest_shared([1, 2, 3, 9]) == 3
    assert store.best([1, 2, 3, 9], worth=4) == (None, 0)  # not worth reading back
    assert len(store) == 1 and store.best([4, 5, 6])[0].state == b"b" * 100
    found, shared = store.best([1, 2, 3, 9])
    assert found is not None and found.state == b"a" * 100 and shared == 3
    assert len(store) == 1 and store.best([1, 2, 3])[0].state == b"a" * 100  # back in RAM


def test_close_puts_what_ram_holds_on_disk(tmp_path):
    store = KvSnapshots(10_000, SnapshotSpill(tmp_path, 10_000))
    store.add([1, 2, 3], b"a" * 10)
    store.add([7, 8], b"b" * 10)
    store.close()
    restarted = KvSnapshots(10_000, SnapshotSpill(tmp_path, 10_000))
    assert len(restarted) == 0 and len(restarted.spill) == 2
    found, shared = restarted.best([7, 8, 9])
    assert found.state == b"b" * 10 and shared == 2
