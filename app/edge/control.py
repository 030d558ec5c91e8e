"""Cloud-to-edge control: the commands topic and the compacted edge-parameters topic.

* Commands: consumed in the consumer group ``aiot-edge-<site>`` (offsets committed, so a
  restarted gateway resumes where it stopped); each record is handed to a callback that
  publishes it to the device if it is for this site. Commands older than ``max_age_s`` (issued
  long ago, e.g. during a long gateway outage) are skipped, never executed late.
* Edge parameters: read from the beginning without a group (every gateway needs every
  class) and applied live; while the topic is unreachable the gateway keeps what it has, or
  its local defaults.

Both loops survive broker outages: on any error they close their consumer and start over,
waiting longer after each failed attempt (up to :data:`MAX_RETRY_S`) and logging only when
their connection goes down or comes back (:class:`~app.edge.link.Link`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from app.edge.link import Link
from app.kafka.clients import client_options
from app.kafka.connect import start_client
from app.settings import Settings

__all__ = ["consume_commands", "consume_edge_params"]

log = logging.getLogger(__name__)

RETRY_S = 2.0
MAX_RETRY_S = 15.0


async def consume_commands(
    settings: Settings,
    bootstrap: str,
    topic: str,
    group_id: str,
    handle: Callable[[bytes], Awaitable[None]],
    stop: asyncio.Event,
    *,
    max_age_s: float,
    ready: asyncio.Event | None = None,
) -> None:
    """Feed every fresh command record to ``handle`` until ``stop`` is set."""
    link = Link(log, f"edge: commands consumer of {topic}", RETRY_S, MAX_RETRY_S)
    while not stop.is_set():
        wait = RETRY_S
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=group_id,
            auto_offset_reset="earliest",
            enable_auto_commit=True,
            auto_commit_interval_ms=1000,
            session_timeout_ms=10000,
            heartbeat_interval_ms=1000,
            **client_options(settings),
        )
        try:
            await start_client(consumer, bootstrap)
            link.up()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=500)
                if ready is not None and consumer.assignment():
                    ready.set()
                for records in batch.values():
                    for record in records:
                        if record.value is None:
                            continue
                        age = time.time() - record.timestamp / 1000.0
                        if age > max_age_s:
                            log.warning("edge: command %.0f s old skipped", age)
                            continue
                        await handle(record.value)
        except Exception as exc:
            wait = link.failed(exc, "restarting")
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), timeout=5.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)


async def consume_edge_params(
    settings: Settings,
    bootstrap: str,
    topic: str,
    apply: Callable[[bytes], None],
    stop: asyncio.Event,
) -> None:
    """Apply every record of the compacted params topic, from its beginning, until ``stop``."""
    link = Link(log, f"edge: edge-params consumer of {topic}", RETRY_S, MAX_RETRY_S)
    while not stop.is_set():
        wait = RETRY_S * 2.5
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **client_options(settings),
        )
        try:
            await start_client(consumer, bootstrap)
            link.up()
            await consumer.topics()
            partitions = consumer.partitions_for_topic(topic) or set()
            if partitions:
                tps = [TopicPartition(topic, p) for p in sorted(partitions)]
                consumer.assign(tps)
                await consumer.seek_to_beginning(*tps)
                while not stop.is_set():
                    batch = await consumer.getmany(timeout_ms=500)
                    for records in batch.values():
                        for record in records:
                            if record.value is not None:
                                apply(record.value)
        except Exception as exc:
            wait = max(link.failed(exc, "using the parameters it has"), RETRY_S * 2.5)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), timeout=5.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)
