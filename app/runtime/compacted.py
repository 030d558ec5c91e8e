"""Follow a compacted single-partition topic (shared models, geofences) outside Faust's group.

Workers read such topics whole at start-up - every worker needs every record, not a share of
the partitions - and then pick up changes on a timer. A record the worker cannot adopt is not
fatal: it becomes a dead letter with the reason, for the agent to send.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from app.core import Output, RecordMeta, dead_letter
from app.kafka.clients import bootstrap_servers, client_options
from app.settings import Settings
from schemas import ValidationError

__all__ = ["CompactedReader"]


class CompactedReader:
    """Reads a compacted single-partition topic from the start, then follows it on demand.

    ``catch_up`` reads to the end (on Tansu the reported end may be short, so it also waits
    for an empty poll past it); ``poll`` applies whatever arrived since, without blocking.
    ``apply(key, value)`` raises ``ValueError`` for a record it cannot adopt (a
    :class:`~schemas.ValidationError` keeps its reason; any other is a record this version
    cannot read, ``unsupported_version``); :meth:`take_letters` hands out their dead letters.
    """

    def __init__(
        self,
        settings: Settings,
        topic: str,
        apply: Callable[[bytes | None, bytes | None], None],
        name: str = "",
    ) -> None:
        self.settings = settings
        self.topic = topic
        self.apply = apply
        self.name = name or topic
        self.letters: list[Output] = []
        self.consumer: AIOKafkaConsumer | None = None
        self.tps: list[TopicPartition] = []

    async def catch_up(self) -> int:
        """Start the consumer and apply every record up to the end; return how many."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers(self.settings.broker_url),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **client_options(self.settings),
        )
        await consumer.start()
        self.consumer = consumer
        await consumer.topics()
        partitions = consumer.partitions_for_topic(self.topic) or set()
        self.tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        if not self.tps:
            return 0
        consumer.assign(self.tps)
        ends = await consumer.end_offsets(self.tps)
        await consumer.seek_to_beginning(*self.tps)
        count = 0
        reached = False
        while True:
            batch = await consumer.getmany(*self.tps, timeout_ms=500)
            for records in batch.values():
                for record in records:
                    self._adopt(record)
                    count += 1
            if reached and not batch:
                return count
            positions = [await consumer.position(tp) for tp in self.tps]
            reached = all(p >= ends[tp] for p, tp in zip(positions, self.tps, strict=True))

    async def stop(self) -> None:
        """Close the consumer (worker shutdown)."""
        consumer, self.consumer = self.consumer, None
        if consumer is not None:
            await consumer.stop()

    async def poll(self) -> int:
        """Apply the records that arrived since the last call; return how many."""
        if self.consumer is None or not self.tps:
            return 0
        batch = await self.consumer.getmany(*self.tps, timeout_ms=0)
        count = 0
        for records in batch.values():
            for record in records:
                self._adopt(record)
                count += 1
        return count

    def take_letters(self) -> list[Output]:
        """The dead letters of records that could not be adopted since the last call."""
        letters, self.letters = self.letters, []
        return letters

    def _adopt(self, record: Any) -> None:
        key = bytes(record.key) if record.key is not None else None
        value = bytes(record.value) if record.value is not None else None
        try:
            self.apply(key, value)
        except ValueError as exc:
            err = (
                exc
                if isinstance(exc, ValidationError)
                else ValidationError("unsupported_version", f"record unreadable: {exc}")
            )
            meta = RecordMeta(self.name, self.topic, record.partition, record.offset, key)
            self.letters.append(dead_letter(value or b"", err, meta, time.time()))
