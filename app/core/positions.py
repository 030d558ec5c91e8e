"""Input positions kept with each entity's state: how a replayed record is recognised.

Kafka delivers a record again after a crash or a rebalance whenever its offset was not yet
committed, although its effect may already be in the entity's stored state (states are
written before the offsets that produced them are committed, so the effect of a record is
never missing - but it may be there twice). Each entity therefore keeps, per input partition
it reads (topic and partition), the position of the newest record applied to it: offset and
place in the message (a member of an edge frame). Within a partition Kafka keeps order, so a
record at or before that position has been applied and is skipped: a state is changed by
each record exactly once, however often the record is delivered. The positions are stored in
the entity's row with its state (:mod:`app.core.rows`), so both are written together.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Positions"]

_HEAD = struct.Struct("<B")
_ENTRY = struct.Struct("<IHqI")
_MAX_ENTRIES = 255


@lru_cache(maxsize=1024)
def _topic_id(topic: str) -> int:
    """The topic's id in a row (crc32 of its name), computed once per topic, not per record."""
    return zlib.crc32(topic.encode("utf-8"))


@dataclass(slots=True)
class Positions:
    """The newest applied record of each input partition of one entity.

    >>> p = Positions()
    >>> p.applied("telemetry", 0, 10, 0)
    False
    >>> p.advance("telemetry", 0, 10, 0)
    >>> p.applied("telemetry", 0, 10, 0), p.applied("telemetry", 0, 9, 3)
    (True, True)
    >>> p.applied("telemetry", 0, 10, 1), p.applied("events", 0, 1, 0)
    (False, False)
    """

    newest: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)

    def applied(self, topic: str, partition: int, offset: int, index: int) -> bool:
        """Whether the record at ``(offset, index)`` of ``topic[partition]`` was applied."""
        seen = self.newest.get((_topic_id(topic), partition))
        return seen is not None and (offset, index) <= seen

    def advance(self, topic: str, partition: int, offset: int, index: int) -> None:
        """Note the record at ``(offset, index)`` of ``topic[partition]`` as applied."""
        key = (_topic_id(topic), partition)
        seen = self.newest.get(key)
        if seen is None or (offset, index) > seen:
            self.newest[key] = (offset, index)

    def to_bytes(self) -> bytes:
        """The positions' part of a row: a count, then (topic crc32, partition, offset, index)."""
        items = sorted(self.newest.items())[-_MAX_ENTRIES:]
        parts = [_HEAD.pack(len(items))]
        parts.extend(
            _ENTRY.pack(topic, partition & 0xFFFF, offset, index)
            for (topic, partition), (offset, index) in items
        )
        return b"".join(parts)

    @classmethod
    def decode(cls, value: bytes, at: int) -> tuple[Positions, int]:
        """Positions encoded at ``value[at:]`` and the offset just past them.

        Raises ``ValueError`` when the bytes are cut short.
        """
        if len(value) < at + _HEAD.size:
            raise ValueError("positions cut short")
        (count,) = _HEAD.unpack_from(value, at)
        at += _HEAD.size
        end = at + count * _ENTRY.size
        if len(value) < end:
            raise ValueError(f"positions cut short: {count} need {end - at} bytes")
        newest = {}
        for _ in range(count):
            topic, partition, offset, index = _ENTRY.unpack_from(value, at)
            newest[(topic, partition)] = (offset, index)
            at += _ENTRY.size
        return cls(newest), end
