"""EntityCache: lazy loading, write cadence, dirty tracking per partition, rebalance."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.core import EntityCache


@dataclass
class Counter:
    value: int = 0

    def to_bytes(self) -> bytes:
        return str(self.value).encode()


def decode(data: bytes) -> Counter:
    return Counter(int(data))


def make_cache(store: dict[str, bytes], flush_every: int = 3) -> EntityCache[Counter]:
    return EntityCache(store.get, decode, flush_every)


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


def test_take_flush_only_after_flush_every_changes() -> None:
    cache = make_cache({})
    entry = cache.entry("a", 0, Counter)
    for expected in (None, None):
        entry.state.value += 1
        entry.touch()
        assert cache.take_flush("a") is expected
    entry.state.value += 1
    entry.touch()
    assert cache.take_flush("a") == b"3"
    assert cache.take_flush("a") is None  # counter reset by the write


def test_flush_soon_makes_the_next_take_flush_write() -> None:
    cache = make_cache({})
    entry = cache.entry("a", 0, Counter)
    entry.flush_soon()
    assert cache.take_flush("a") == b"0"


def test_take_dirty_filters_by_partition_and_resets() -> None:
    cache = make_cache({})
    cache.entry("a", 0, Counter).touch()
    cache.entry("b", 1, Counter).touch()
    cache.entry("c", 1, Counter)  # unchanged: not dirty
    assert [key for key, _, _ in cache.take_dirty(1)] == ["b"]
    assert [key for key, _, _ in cache.take_dirty()] == ["a"]
    assert cache.take_dirty() == []


def test_forget_partitions_drops_only_revoked_entities() -> None:
    cache = make_cache({})
    cache.entry("a", 0, Counter)
    cache.entry("b", 1, Counter)
    cache.forget_partitions({1})
    assert cache.get("a") is not None and cache.get("b") is None


@pytest.mark.parametrize("flush_every", [1, 5])
def test_flush_every_is_respected(flush_every: int) -> None:
    cache = make_cache({}, flush_every)
    entry = cache.entry("a", 0, Counter)
    writes = 0
    for _ in range(10):
        entry.touch()
        writes += cache.take_flush("a") is not None
    assert writes == 10 // flush_every
