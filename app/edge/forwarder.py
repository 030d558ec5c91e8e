"""Deliver the spool to Kafka in order: frames when connected, backlog replay after outages.

One coroutine owns the Kafka producer. It reads undelivered records from the spool, packs them
(:func:`edge.framing.build_messages`), produces them and commits the spool only once Kafka
acknowledged the whole batch. Any failure - broker down, timeout, a brand-new empty broker -
rewinds the spool, drops the producer and reconnects with backoff (re-creating the topics), so
the same records are sent again in the same order: delivery is at-least-once, never lossy.

A probe checks every half second that some bootstrap address accepts TCP connections. When
none does, the batch in flight is abandoned at once (its records stay in the spool), and when
the broker answers again the producer is rebuilt before anything is sent: a broker that came
back empty (a memory-only dev broker, a rebuilt cluster) gets its topics created first instead
of accepting records for topics it does not know.

Records delivered that were already buffered when a connection was (re)established - the
backlog of an outage or of a previous run - are counted as replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError

from app.core.metrics import Metrics
from app.edge.config import EdgeConfig
from app.edge.framing import KafkaMessage, build_messages
from app.edge.link import Link
from app.edge.spool import Spool
from app.kafka.clients import client_options
from app.kafka.connect import start_client
from app.kafka.topics import ensure_topics
from app.settings import Settings

__all__ = ["Forwarder"]

log = logging.getLogger(__name__)

PROBE_INTERVAL_S = 0.5
REQUEST_TIMEOUT_S = 5.0
BATCH_TIMEOUT_S = 15.0
MAX_BACKOFF_S = 5.0
MAX_REQUEST_BYTES = 8 * 1024 * 1024


class Forwarder:
    """Spool -> Kafka delivery loop (module docstring)."""

    def __init__(
        self,
        spool: Spool,
        config: EdgeConfig,
        settings: Settings,
        bootstrap: str,
        metrics: Metrics,
    ) -> None:
        self.spool = spool
        self.config = config
        self.settings = settings
        self.bootstrap = bootstrap
        self.metrics = metrics
        self.connected = False
        self.delivered = 0
        self.replayed = 0
        self._wake = asyncio.Event()
        self._broken = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self._replay_mark = spool.last_seq
        self._first_pending_at: float | None = time.monotonic() if spool.pending else None
        self.link = Link(log, f"edge: Kafka at {bootstrap}", 0.5, MAX_BACKOFF_S)
        self._retry_wait_s = 0.5

    def notify(self) -> None:
        """Tell the loop records were appended."""
        if self._first_pending_at is None:
            self._first_pending_at = time.monotonic()
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set (then :meth:`drain` gives it a last chance)."""
        probe = asyncio.create_task(self._probe(stop), name="edge-kafka-probe")
        try:
            await self._deliver_loop(stop)
        finally:
            probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probe

    async def _deliver_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self._producer is not None and self._broken.is_set():
                self.link.down("connection lost; buffering until it is back")
                await self._close()
            if self._producer is None and not await self._connect():
                await _sleep_or_stop(stop, self._retry_wait_s)
                continue
            if not self.spool.pending:
                self._first_pending_at = None
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=1.0)
                continue
            await self._linger(stop)
            if not await self._deliver_batch():
                await _sleep_or_stop(stop, self._retry_wait_s)

    async def _probe(self, stop: asyncio.Event) -> None:
        """Mark the connection broken when no bootstrap address answers, or answers again."""
        was_up = True
        while not stop.is_set():
            up = await _reachable(self.bootstrap)
            if not up or not was_up:
                self._broken.set()
            was_up = up
            await _sleep_or_stop(stop, PROBE_INTERVAL_S)

    async def drain(self, timeout_s: float) -> None:
        """Try to deliver what is buffered within ``timeout_s`` (shutdown path)."""
        deadline = time.monotonic() + timeout_s
        while self.spool.pending and time.monotonic() < deadline:
            if self._producer is None and not await self._connect():
                return
            if not await self._deliver_batch():
                return
        await self._close()

    async def _linger(self, stop: asyncio.Event) -> None:
        """Wait up to the linger time for a full frame (not when a backlog is waiting)."""
        started = self._first_pending_at
        if started is None or self.spool.pending >= self.config.frame_max_readings:
            return
        remaining = self.config.frame_linger_s - (time.monotonic() - started)
        if remaining > 0:
            await _sleep_or_stop(stop, remaining)

    async def _connect(self) -> bool:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            request_timeout_ms=int(REQUEST_TIMEOUT_S * 1000),
            max_request_size=MAX_REQUEST_BYTES,
            linger_ms=2,
            **client_options(self.settings),
        )
        try:
            await start_client(producer, self.bootstrap)
            cfg = self.config
            await ensure_topics(
                self.bootstrap,
                self.settings,
                [
                    cfg.topic_telemetry,
                    cfg.topic_wearables,
                    cfg.topic_dead_letters,
                    cfg.topic_commands,
                    cfg.topic_command_acks,
                ],
            )
        except Exception as exc:
            self._retry_wait_s = self.link.failed(exc, "buffering")
            with contextlib.suppress(Exception):
                await producer.stop()
            self._set_connected(False)
            return False
        self._producer = producer
        self._broken.clear()
        self._replay_mark = self.spool.last_seq
        self._set_connected(True)
        self.link.up(f"{self.spool.pending} buffered records to replay")
        return True

    async def _deliver_batch(self) -> bool:
        """Send one batch from the spool; True on success (spool committed)."""
        producer = self._producer
        if producer is None:
            return False
        cfg = self.config
        entries = self.spool.read(cfg.frame_max_readings * 8)
        if not entries:
            return True
        messages = build_messages(
            entries,
            site=cfg.site,
            max_readings=cfg.frame_max_readings,
            partitions=cfg.partitions,
        )
        try:
            await self._send_or_abort(producer, messages)
        except Exception as exc:
            self._retry_wait_s = self.link.down(f"delivery failed ({exc!r}); will replay")
            self.spool.rewind()
            await self._close()
            return False
        self.spool.commit(entries[-1].seq)
        self._first_pending_at = time.monotonic() if self.spool.pending else None
        self._account(entries, messages)
        return True

    async def _send_or_abort(
        self, producer: AIOKafkaProducer, messages: list[KafkaMessage]
    ) -> None:
        """Send ``messages``; raise if it fails, times out or the connection breaks meanwhile."""
        send = asyncio.ensure_future(self._send_all(producer, messages))
        broken = asyncio.ensure_future(self._broken.wait())
        try:
            done, _ = await asyncio.wait(
                {send, broken}, timeout=BATCH_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            broken.cancel()
        if send not in done:
            send.cancel()
            with contextlib.suppress(BaseException):
                await send
            raise ConnectionError("Kafka connection lost with a batch in flight")
        send.result()

    async def _send_all(self, producer: AIOKafkaProducer, messages: list[KafkaMessage]) -> None:
        futures: list[asyncio.Future[Any]] = []
        for message in messages:
            try:
                futures.append(
                    await producer.send(message.topic, value=message.value, key=message.key)
                )
            except MessageSizeTooLargeError:
                self.metrics.edge_dropped.inc(message.records)
                log.error(
                    "edge: %d-byte message to %s exceeds the broker limit; dropped",
                    len(message.value),
                    message.topic,
                )
        await asyncio.gather(*futures)

    def _account(self, entries: list[Any], messages: list[KafkaMessage]) -> None:
        per_topic = Counter(entry.topic for entry in entries)
        for topic, count in per_topic.items():
            self.metrics.edge_out.labels(topic).inc(count)
        self.metrics.edge_frames.inc(len(messages))
        replayed = sum(1 for entry in entries if entry.seq <= self._replay_mark)
        if replayed:
            self.metrics.edge_replayed.inc(replayed)
        self.delivered += len(entries)
        self.replayed += replayed
        self.metrics.edge_buffered.set(self.spool.pending)
        self.metrics.edge_buffered_bytes.set(self.spool.size_bytes)

    async def _close(self) -> None:
        producer, self._producer = self._producer, None
        self._set_connected(False)
        if producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), timeout=5.0)

    def _set_connected(self, up: bool) -> None:
        self.connected = up
        self.metrics.edge_kafka_up.set(1 if up else 0)


async def _reachable(bootstrap: str) -> bool:
    """Whether any ``host:port`` of ``bootstrap`` accepts a TCP connection within a second."""
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 1.0)
        except (OSError, TimeoutError, ValueError):
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
    return False


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds`` or until ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
