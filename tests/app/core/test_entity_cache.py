"""EntityCache: lazy loading, rows with positions, dirty tracking per partition, rebalance."""

from __future__ import annotations

from dataclasses import dataclass

from app.core import EntityCache
from app.core.positions import Positions
from app.core.rows import decode_row, encode_row


@dataclass
class Counter:
    value: int = 0

    def to_bytes(self) -> bytes:
        return str(self.value).encode()


def decode(data: bytes) -> Counter:
    return Counter(int(data))


def make_cache(store: dict[str, bytes]) -> EntityCache[Counter]:
    return EntityCache(store.get, decode)


def test_entry_loads_stored_state_once_and_creates_missing() -> None:
    store = {"a": b"41"}
    cache = make_cache(store)
    assert cache.entry("a", 0, Counter).state.value == 41
    store["a"] = b"7"
    assert cache.entry("a", 0, Counter).state.value == 41  # cached, not reloaded
    assert cache.entry("b", 1, Counter).state.value == 0
    assert len(cache) == 2


def test_unreadable_stored_state_starts_fresh() -> None:
    cache = make_cache({"a": b"not-a-number"})
    assert cache.entry("a", 0, Counter).state.value == 0


def test_a_stored_row_brings_back_state_and_positions() -> None:
    positions = Positions()
    positions.advance("telemetry", 2, 41, 3)
    cache = make_cache({"a": encode_row(positions, b"12")})
    entry = cache.entry("a", 2, Counter)
    assert entry.state.value == 12
    assert entry.positions.applied("telemetry", 2, 41, 3)
    assert not entry.positions.applied("telemetry", 2, 41, 4)


def test_a_truncated_row_starts_fresh() -> None:
    positions = Positions()
    positions.advance("telemetry", 0, 1, 0)
    cut = encode_row(positions, b"5")[:8]
    assert make_cache({"a": cut}).entry("a", 0, Counter).state.value == 0


def test_take_dirty_gives_rows_of_touched_entities_once() -> None:
    cache = make_cache({})
    entry = cache.entry("a", 0, Counter)
    entry.state.value = 3
    entry.touch()
    entry.touch()
    (dirty,) = cache.take_dirty()
    assert (dirty.key, dirty.partition) == ("a", 0)
    assert decode_row(dirty.row).state == b"3"
    assert cache.take_dirty() == []  # written: clean until touched again


def test_take_dirty_filters_by_partition_and_keeps_the_others() -> None:
    cache = make_cache({})
    cache.entry("a", 0, Counter).touch()
    cache.entry("b", 1, Counter).touch()
    cache.entry("c", 1, Counter)  # unchanged: not dirty
    assert cache.dirty_partitions() == {0, 1}
    assert [d.key for d in cache.take_dirty(1)] == ["b"]
    assert [d.key for d in cache.take_dirty()] == ["a"]
    assert cache.take_dirty() == []


def test_forget_partitions_drops_revoked_entities_and_reports_unwritten_ones() -> None:
    cache = make_cache({})
    cache.entry("a", 0, Counter).touch()
    cache.entry("b", 1, Counter).touch()
    cache.entry("c", 1, Counter)
    unwritten = cache.forget_partitions({1})
    assert [d.key for d in unwritten] == ["b"]
    assert cache.get("a") is not None and cache.get("b") is None and cache.get("c") is None
    assert [d.key for d in cache.take_dirty()] == ["a"]  # the kept entity is still dirty
