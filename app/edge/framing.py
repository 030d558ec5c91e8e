"""Pack buffered records into Kafka messages: frames of many readings, or single records.

Framed records (telemetry, wearable readings) are grouped by topic and by the Kafka partition
their own key maps to (Kafka's default murmur2 partitioner over the configured partition
count) and packed in append order into frames of at most ``max_readings``; the frame's key is
its first member's key, so it lands on the partition of every member and per-device order is
kept. Other records (dead letters, acknowledgements, command audit copies) travel alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka.partitioner import murmur2

from app.edge.spool import SpoolEntry
from schemas.frame import encode_frame

__all__ = ["KafkaMessage", "build_messages", "partition_for"]


@dataclass(frozen=True, slots=True)
class KafkaMessage:
    """One message to produce, with how many records it carries and the newest one's seq."""

    topic: str
    key: bytes | None
    value: bytes
    records: int
    last_seq: int


def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key`` among ``partitions``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def build_messages(
    entries: Sequence[SpoolEntry], *, site: str, max_readings: int, partitions: int
) -> list[KafkaMessage]:
    """Turn buffered ``entries`` (in append order) into messages to produce."""
    out: list[KafkaMessage] = []
    groups: dict[tuple[str, int], list[SpoolEntry]] = {}
    for entry in entries:
        if not entry.framed or entry.key is None:
            out.append(KafkaMessage(entry.topic, entry.key, entry.value, 1, entry.seq))
            continue
        group = groups.setdefault((entry.topic, partition_for(entry.key, partitions)), [])
        group.append(entry)
        if len(group) >= max_readings:
            out.append(_frame(group, site))
            group.clear()
    out.extend(_frame(group, site) for group in groups.values() if group)
    return out


def _frame(group: list[SpoolEntry], site: str) -> KafkaMessage:
    value = encode_frame([e.value for e in group], site)
    return KafkaMessage(group[0].topic, group[0].key, value, len(group), group[-1].seq)
