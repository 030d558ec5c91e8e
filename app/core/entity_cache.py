"""In-memory per-entity states of one worker's partitions, with table-write bookkeeping.

A stream engine keeps one compact state per entity (asset, vehicle, worker, zone). The state is
loaded lazily from the agent's table the first time the entity is seen, changed in memory on
every event, and written back not per event (each table write is also a changelog message) but
when :meth:`EntityCache.take_flush` says the entity is due - every ``flush_every`` changes, or at
once after :meth:`Entry.flush_soon` (rare, precious updates such as labels) - and for
everything else dirty when the agent's timer asks (:meth:`EntityCache.take_dirty`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar

__all__ = ["EncodableState", "EntityCache", "Entry"]

log = logging.getLogger(__name__)


class EncodableState(Protocol):
    """A per-entity state that can be written to a table as bytes."""

    def to_bytes(self) -> bytes:
        """Encode the state for the table (and its changelog)."""
        ...


S = TypeVar("S", bound=EncodableState)


class Entry(Generic[S]):
    """A cached state with the input partition it lives on and its changes since the last write."""

    __slots__ = ("changes", "flush_every", "partition", "state")

    def __init__(self, state: S, partition: int, flush_every: int) -> None:
        self.state = state
        self.partition = partition
        self.flush_every = flush_every
        self.changes = 0

    def touch(self, n: int = 1) -> None:
        """Count ``n`` changes of the state since its last table write."""
        self.changes += n

    def flush_soon(self) -> None:
        """Make the state due for a write with the entity's next :meth:`EntityCache.take_flush`."""
        self.changes = max(self.changes, self.flush_every)


class EntityCache(Generic[S]):
    """States of the entities of this worker's partitions (see the module docstring).

    ``load(key)`` returns the stored bytes of an entity or None; ``decode(bytes)`` rebuilds a
    state and may raise ``ValueError`` for unreadable bytes, in which case the entity starts
    fresh (logged: a corrupt or incompatible record must not stop the worker).
    """

    def __init__(
        self,
        load: Callable[[str], bytes | None],
        decode: Callable[[bytes], S],
        flush_every: int,
    ) -> None:
        self._load = load
        self._decode = decode
        self.flush_every = flush_every
        self._entries: dict[str, Entry[S]] = {}

    def __len__(self) -> int:
        """Entities held in memory."""
        return len(self._entries)

    def get(self, key: str) -> Entry[S] | None:
        """The cached entry of ``key`` if it is in memory (no table read)."""
        return self._entries.get(key)

    def entry(self, key: str, partition: int, create: Callable[[], S]) -> Entry[S]:
        """The entry of ``key``: cached, else loaded from the table, else ``create()``."""
        entry = self.load(key, partition)
        if entry is None:
            entry = self._entries[key] = Entry(create(), partition, self.flush_every)
        return entry

    def load(self, key: str, partition: int) -> Entry[S] | None:
        """The entry of ``key``: cached, else loaded from the table; None if it has no
        readable stored state (an unreadable one is logged: the entity starts fresh)."""
        entry = self._entries.get(key)
        if entry is not None:
            entry.partition = partition
            return entry
        stored = self._load(key)
        if stored is None:
            return None
        try:
            state = self._decode(stored)
        except ValueError as exc:
            log.error("state of %s unreadable, starting fresh: %s", key, exc)
            return None
        entry = self._entries[key] = Entry(state, partition, self.flush_every)
        return entry

    def items(self) -> Iterator[tuple[str, Entry[S]]]:
        """``(key, entry)`` of every cached entity."""
        return iter(self._entries.items())

    def states(self) -> Iterator[S]:
        """Every cached state."""
        return (entry.state for entry in self._entries.values())

    def take_flush(self, key: str) -> bytes | None:
        """The state bytes of ``key`` if it is due for a table write, else None."""
        entry = self._entries.get(key)
        if entry is None or entry.changes < self.flush_every:
            return None
        entry.changes = 0
        return entry.state.to_bytes()

    def take_dirty(self, partition: int | None = None) -> list[tuple[str, int, bytes]]:
        """Entities changed since their last write: ``(key, partition, state bytes)``.

        With ``partition``, only the entities of that input partition (a table write must
        happen in the context of an event of the entity's own partition).
        """
        out = []
        for key, entry in self._entries.items():
            if entry.changes and (partition is None or entry.partition == partition):
                entry.changes = 0
                out.append((key, entry.partition, entry.state.to_bytes()))
        return out

    def forget_partitions(self, partitions: set[int]) -> None:
        """Drop cached states of partitions this worker no longer owns (after a rebalance)."""
        for key in [k for k, e in self._entries.items() if e.partition in partitions]:
            del self._entries[key]
