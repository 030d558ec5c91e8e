"""The console's Kafka side: its own consumer over the output topics, and a producer.

The consumer belongs to no consumer group: it assigns itself every partition of every topic it
follows, so one console sees everything whatever the number of workers, and two consoles do
not share the load. At start it reads back history - alerts, operator actions, predictions,
episodes, verdicts, commands and their acks for ``AIOT_CONSOLE_LOOKBACK_H`` hours (0: all the
topics retain), positions for ``AIOT_CONSOLE_POSITIONS_LOOKBACK_S`` seconds, geofences from the
start of their compacted topic - and then follows the topics live. The cut-off is enforced on
each record's Kafka timestamp too, so a broker that cannot look offsets up by time (the
embedded dev broker) still shows the same view, only after reading a little more.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from agents.alarms.settings import AlarmSettings
from agents.fleet.settings import FleetSettings
from agents.maintenance.settings import MaintenanceSettings
from agents.safety.settings import SafetySettings
from app.console.view import TopicKind
from app.kafka.clients import client_options
from app.settings import Settings

__all__ = ["ConsoleFeed", "ConsolePublisher", "followed_topics"]

log = logging.getLogger(__name__)

POSITION_KINDS = frozenset({TopicKind.FLEET_TELEMETRY, TopicKind.ZONE_PRESENCE})
WHOLE_KINDS = frozenset({TopicKind.GEOFENCES})

RecordSink = Callable[[str, bytes | None, bytes | None, float], None]


def followed_topics(settings: Settings) -> dict[str, str]:
    """Kafka topic name -> :class:`~app.console.view.TopicKind` of every topic the console reads."""
    fleet = settings.of(FleetSettings)
    return {
        settings.topic_alerts: TopicKind.ALERTS,
        settings.of(AlarmSettings).topic_alert_acks: TopicKind.ALERT_ACKS,
        settings.of(MaintenanceSettings).topic_predictions: TopicKind.PREDICTIONS,
        fleet.topic_fleet_episodes: TopicKind.EPISODES,
        fleet.topic_fleet_geofence_events: TopicKind.GEOFENCE_EVENTS,
        fleet.topic_fleet_geofences: TopicKind.GEOFENCES,
        fleet.topic_fleet_telemetry: TopicKind.FLEET_TELEMETRY,
        fleet.topic_fleet_verdicts: TopicKind.VERDICTS,
        settings.of(SafetySettings).topic_zone_presence: TopicKind.ZONE_PRESENCE,
        settings.topic_commands: TopicKind.COMMANDS,
        settings.topic_command_acks: TopicKind.COMMAND_ACKS,
    }


class ConsoleFeed:
    """Reads the followed topics into ``sink(kind, key, value, kafka_ts)`` until stopped.

    ``caught_up`` is set once every partition has been read up to its end as of the start.
    """

    def __init__(
        self,
        settings: Settings,
        bootstrap: str,
        sink: RecordSink,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.bootstrap = bootstrap
        self.sink = sink
        self.clock = clock
        self.kinds = followed_topics(settings)
        self.caught_up = asyncio.Event()
        self._cutoff: dict[str, float] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Assign, seek, catch up and follow until ``stop`` is set."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=5000,
            **client_options(self.settings),
        )
        await consumer.start()
        try:
            await consumer.topics()
            tps = [
                TopicPartition(topic, partition)
                for topic in self.kinds
                for partition in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            consumer.assign(tps)
            await self._seek(consumer, tps)
            ends = await consumer.end_offsets(tps) if tps else {}
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=300, max_records=5000)
                for tp, records in batch.items():
                    kind = self.kinds[tp.topic]
                    cutoff = self._cutoff.get(tp.topic, 0.0)
                    for record in records:
                        kafka_ts = record.timestamp / 1000.0
                        if kafka_ts < cutoff:
                            continue
                        self.sink(kind, record.key, record.value, kafka_ts)
                if not self.caught_up.is_set() and await self._reached(consumer, ends):
                    self.caught_up.set()
                    log.info("console: caught up with %d partitions", len(tps))
        finally:
            await consumer.stop()

    async def _seek(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> None:
        """Seek each partition to the start of its look-back window."""
        now = self.clock()
        s = self.settings
        wanted: dict[TopicPartition, float] = {}
        for tp in tps:
            kind = self.kinds[tp.topic]
            if kind in WHOLE_KINDS:
                continue
            window = (
                s.console_positions_lookback_s
                if kind in POSITION_KINDS
                else s.console_lookback_h * 3600.0
            )
            if window > 0:
                self._cutoff[tp.topic] = now - window
                wanted[tp] = now - window
        if not wanted:
            return
        try:
            found: dict[TopicPartition, Any] = await consumer.offsets_for_times(
                {tp: int(ts * 1000) for tp, ts in wanted.items()}
            )
        except Exception as exc:  # a broker without timestamp lookup: read from the start
            log.info("console: no offset lookup by time (%s); filtering by timestamp", exc)
            return
        for tp, hit in found.items():
            if hit is None:
                await consumer.seek_to_end(tp)
            else:
                consumer.seek(tp, hit.offset)

    @staticmethod
    async def _reached(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
        for tp, end in ends.items():
            if await consumer.position(tp) < end:
                return False
        return True


class ConsolePublisher:
    """Publishes operator actions and verdicts (keyed records) and waits for the broker's ack."""

    def __init__(self, settings: Settings, bootstrap: str) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", **client_options(settings)
        )

    async def start(self) -> None:
        """Connect to the brokers."""
        await self.producer.start()

    async def stop(self) -> None:
        """Flush and disconnect."""
        await self.producer.stop()

    async def publish(self, topic: str, key: str, value: bytes) -> None:
        """Send one record and wait until the broker has it (raises on failure)."""
        await self.producer.send_and_wait(topic, value, key=key.encode())
