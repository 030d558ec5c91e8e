"""What a domain engine takes in and hands out: record metadata, output records, dead letters.

Engines never touch Kafka: an agent hands them raw bytes with a :class:`RecordMeta` and sends
the :class:`Emit` records they return to the output topic named by ``Emit.topic`` (a logical
name such as ``alerts``, ``dead_letters`` or ``commands``, mapped to a Kafka topic by the
agent). Rejected input becomes a dead letter carrying the reason and the original bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas import DeadLetter, ValidationError

__all__ = ["Emit", "RecordMeta", "dead_letter_emit"]

DEAD_LETTERS = "dead_letters"


@dataclass(frozen=True, slots=True)
class RecordMeta:
    """Where an input record came from (for dead letters and the state's partition).

    ``timestamp`` is the message's Kafka timestamp in Unix seconds (0 when unknown): when the
    record entered Kafka, e.g. when an alert was announced.
    """

    topic: str
    partition: int
    offset: int
    key: bytes | None
    timestamp: float = 0.0


@dataclass(frozen=True, slots=True)
class Emit:
    """An output record: logical topic, key, value, and labels for metrics.

    ``labels`` carries ``(alert_type, severity, state)`` for alerts and
    ``(source_topic, reason)`` for dead letters; other topics need none.
    """

    topic: str
    key: bytes | None
    value: bytes
    labels: tuple[str, ...] = ()


def dead_letter_emit(raw: bytes, err: ValidationError, meta: RecordMeta, now: float) -> Emit:
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
    return Emit(DEAD_LETTERS, meta.key, letter.to_json(), (meta.topic, err.reason))
