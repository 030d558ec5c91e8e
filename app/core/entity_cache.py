"""In-memory per-entity states of one worker's partitions, with table-write bookkeeping.

A stream engine keeps one compact state per entity (asset, vehicle, worker, zone). The state is
loaded lazily from the agent's table the first time the entity is seen and changed in memory on
every record. The runtime writes every entity changed by a batch of records to the table
(:meth:`EntityCache.take_dirty`) before the batch's offsets can be committed, so a committed
offset never stands for an effect missing from the stored state. Each stored value is a *row*
(:mod:`app.core.positions`): the entity's input positions with its state, so a record delivered
again after a crash or a rebalance is recognised and not applied twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Generic, NamedTuple, Protocol, TypeVar

from app.core.held import Held
from app.core.positions import Positions
from app.core.rows import decode_row, encode_row

__all__ = ["DirtyRow", "EncodableState", "EntityCache", "Entry"]

log = logging.getLogger(__name__)


class EncodableState(Protocol):
    """A per-entity state that can be written to a table as bytes."""

    def to_bytes(self) -> bytes:
        """Encode the state for the table (and its changelog)."""
        ...


S = TypeVar("S", bound=EncodableState)


class Entry(Generic[S]):
    """A cached state with the input partition it lives on, its input positions and the
    records it holds until its stream passes their event time (:mod:`app.core.held`).

    :meth:`touch` marks the entity changed since its last table write (the engine does so for
    every record it applies; a domain changing a state outside a record, e.g. on its timer,
    calls it too).
    """

    __slots__ = ("_dirty", "held", "key", "partition", "positions", "state")

    def __init__(
        self,
        key: str,
        state: S,
        partition: int,
        positions: Positions,
        dirty: set[str],
        held: list[Held] | None = None,
    ) -> None:
        self.key = key
        self.state = state
        self.partition = partition
        self.positions = positions
        self.held: list[Held] = held if held is not None else []
        self._dirty = dirty

    def touch(self) -> None:
        """Mark the state changed: it is written with the current batch."""
        self._dirty.add(self.key)


class DirtyRow(NamedTuple):
    """An entity due for a table write: its key, input partition and the row to store."""

    key: str
    partition: int
    row: bytes


class EntityCache(Generic[S]):
    """States of the entities of this worker's partitions (see the module docstring).

    ``load(key)`` returns the stored row of an entity or None; ``decode(bytes)`` rebuilds a
    state and may raise ``ValueError`` for unreadable bytes, in which case the entity starts
    fresh (logged: a corrupt or incompatible record must not stop the worker).
    """

    def __init__(
        self,
        load: Callable[[str], bytes | None],
        decode: Callable[[bytes], S],
    ) -> None:
        self._load = load
        self._decode = decode
        self._entries: dict[str, Entry[S]] = {}
        self._dirty: set[str] = set()

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
            entry = Entry(key, create(), partition, Positions(), self._dirty)
            self._entries[key] = entry
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
            row = decode_row(stored)
            state = self._decode(row.state)
        except ValueError as exc:
            log.error("state of %s unreadable, starting fresh: %s", key, exc)
            return None
        entry = self._entries[key] = Entry(
            key, state, partition, row.positions, self._dirty, row.held
        )
        return entry

    def items(self) -> Iterator[tuple[str, Entry[S]]]:
        """``(key, entry)`` of every cached entity."""
        return iter(self._entries.items())

    def states(self) -> Iterator[S]:
        """Every cached state."""
        return (entry.state for entry in self._entries.values())

    def dirty_partitions(self) -> set[int]:
        """The input partitions of the entities changed since their last write."""
        return {self._entries[key].partition for key in self._dirty if key in self._entries}

    def take_dirty(self, partition: int | None = None) -> list[DirtyRow]:
        """Entities changed since their last write, with the rows to store; marks them clean.

        With ``partition``, only the entities of that input partition (a table write must
        happen in the context of an event of the entity's own partition).
        """
        out = []
        for key in sorted(self._dirty):
            entry = self._entries.get(key)
            if entry is None:
                self._dirty.discard(key)
            elif partition is None or entry.partition == partition:
                self._dirty.discard(key)
                row = encode_row(entry.positions, entry.state.to_bytes(), entry.held)
                out.append(DirtyRow(key, entry.partition, row))
        return out

    def forget_partitions(self, partitions: set[int]) -> list[DirtyRow]:
        """Drop cached states of partitions this worker no longer owns (after a rebalance).

        Returns the rows of those entities still unwritten, so the caller can report them: the
        runtime writes every batch's changes before its offsets are committed, so after a
        clean batch there are none.
        """
        unwritten = []
        for key in [k for k, e in self._entries.items() if e.partition in partitions]:
            if key in self._dirty:
                self._dirty.discard(key)
                entry = self._entries[key]
                row = encode_row(entry.positions, entry.state.to_bytes(), entry.held)
                unwritten.append(DirtyRow(key, entry.partition, row))
            del self._entries[key]
        return unwritten
