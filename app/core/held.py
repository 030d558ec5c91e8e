"""Records held back until an entity's stream has passed their event time.

An entity's inputs travel on several topics: a motor's readings and its maintenance events, a
vehicle's fixes and its dispatcher verdicts. Kafka orders each partition, not the topics among
themselves, so after a backlog or a restart a label can arrive long before the readings that
preceded it - a repair would then reset a baseline the older degraded readings are then learned
into, a failure would label only the snapshots already seen. Flink and Kafka Streams order such
inputs by event time against a watermark / stream time; aiot does it per entity: a record of a
*waiting* input (a label) whose event time is ahead of the newest event time the entity's
*driving* input (its readings) has reached is held in the entity's row, and applied just before
the first driving record at or after its time, or - when the entity goes quiet - once the
partition's stream time (the newest driving event time of any entity of the partition) is a
grace period past it. The outcome depends on event times only, not on how the topics happened
to interleave.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["MAX_HELD", "Held", "decode_held", "encode_held"]

MAX_HELD = 32
"""Most records an entity holds; past it the oldest is applied at once (and logged)."""

_COUNT = struct.Struct("<B")
_HEAD = struct.Struct("<dqIIHHB")


@dataclass(frozen=True, slots=True)
class Held:
    """A held record: its event time, input, where it came from and its raw bytes."""

    ts: float
    input: str
    topic: str
    partition: int
    offset: int
    index: int
    raw: bytes


def encode_held(held: list[Held]) -> bytes:
    """The held records' part of a row: a count, then each record.

    >>> h = Held(5.0, "maintenance", "t", 1, 9, 0, b'{"x":1}')
    >>> decode_held(encode_held([h]), 0) == ([h], len(encode_held([h])))
    True
    """
    parts = [_COUNT.pack(len(held))]
    for h in held:
        topic = h.topic.encode()
        name = h.input.encode()
        head = (h.ts, h.offset, h.index, len(h.raw), h.partition, len(topic), len(name))
        parts.extend((_HEAD.pack(*head), topic, name, h.raw))
    return b"".join(parts)


def decode_held(value: bytes, at: int) -> tuple[list[Held], int]:
    """Held records encoded at ``value[at:]`` and the offset just past them.

    Raises ``ValueError`` when the bytes are cut short.
    """
    try:
        (count,) = _COUNT.unpack_from(value, at)
        at += _COUNT.size
        held = []
        for _ in range(count):
            ts, offset, index, raw_len, partition, topic_len, name_len = _HEAD.unpack_from(
                value, at
            )
            at += _HEAD.size
            topic = value[at : at + topic_len].decode()
            at += topic_len
            name = value[at : at + name_len].decode()
            at += name_len
            raw = value[at : at + raw_len]
            if len(raw) != raw_len:
                raise ValueError("held record cut short")
            at += raw_len
            held.append(Held(ts, name, topic, partition, offset, index, raw))
    except struct.error as exc:
        raise ValueError(f"held records cut short: {exc}") from exc
    return held, at
