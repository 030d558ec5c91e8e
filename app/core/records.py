"""What a domain engine takes in and hands out: record metadata, typed outputs, dead letters.

Engines never touch Kafka: the runtime hands them raw bytes with a :class:`RecordMeta` and sends
the :class:`Output` records they return to the Kafka topic of ``Output.topic`` (a logical name
such as ``alerts``, ``dead_letters`` or ``commands`` that the domain maps to a topic). Outputs
are typed records (:class:`schemas.base.WireRecord`), serialised by the runtime - or raw bytes
for binary payloads such as published models. Rejected input becomes a :class:`DeadLetter`.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas import DeadLetter, ValidationError
from schemas.base import WireRecord

__all__ = ["DEAD_LETTERS", "OFFLINE", "Output", "RecordMeta", "dead_letter"]

DEAD_LETTERS = "dead_letters"
"""Logical output of every domain's rejected input."""

OFFLINE = -1
"""The offset of a record that did not come from Kafka (see :class:`RecordMeta`)."""


@dataclass(frozen=True, slots=True)
class RecordMeta:
    """Where an input record came from: its logical input, Kafka position, key and timestamp.

    ``input`` is the domain's name for the input (``telemetry``, ``verdicts``, ...); ``topic``
    the Kafka topic it was read from (dead letters name it). ``index`` is the record's place
    in its message (a member of an edge frame; 0 for a single record): with the topic,
    partition and offset it names the record uniquely, which is how an entity recognises a
    record it has already applied (:mod:`app.core.positions`). An ``offset`` of
    :data:`OFFLINE` marks a record that did not come from Kafka (an offline replay of a file):
    it has no position, and nothing is skipped. ``timestamp`` is the message's
    Kafka timestamp in Unix seconds (0 when unknown): when the record entered Kafka, e.g. when
    an alert was announced.
    """

    input: str
    topic: str
    partition: int
    offset: int
    key: bytes | None
    index: int = 0
    timestamp: float = 0.0


@dataclass(frozen=True, slots=True)
class Output:
    """An output record: logical topic, key (the entity it concerns) and the record itself."""

    topic: str
    key: str | None
    value: WireRecord | bytes

    def encode(self) -> tuple[bytes | None, bytes]:
        """The Kafka key and value bytes of this record."""
        key = None if self.key is None else self.key.encode("utf-8")
        value = self.value if isinstance(self.value, bytes) else self.value.to_json()
        return key, value


def dead_letter(raw: bytes, err: ValidationError, meta: RecordMeta, now: float) -> Output:
    """The dead letter of input ``raw`` rejected with ``err``, keyed like the input."""
    letter = DeadLetter.from_rejection(
        raw,
        err,
        source_topic=meta.topic,
        partition=meta.partition,
        offset=meta.offset,
        key=meta.key,
        received_at=now,
    )
    return Output(DEAD_LETTERS, letter.key, letter)
