"""The one agent loop every domain runs on: raw topics, state tables, sending, the event loop.

A domain's :class:`~app.core.domain.AgentPlan` becomes a Faust agent here. The agent takes the
messages of its inputs in batches (``AIOT_BATCH_MAX`` messages, or what arrived within
``AIOT_BATCH_WAIT_S``); every record of a message (one reading or an edge gateway's frame of
many) goes through the engine's :meth:`~app.core.engine.KeyedEngine.handle` and its typed
outputs are serialised and sent by :class:`OutputSender`, which keeps the output metrics.

At the end of a batch - before Faust may acknowledge its messages, so before their offsets can
be committed - the outputs are flushed to the broker and every entity the batch changed is
written to its table once, with its input positions (:mod:`app.core.positions`). Hence a
committed offset never stands for an effect missing from the stored state; a record delivered
again after a crash or a rebalance finds its position in the state and is skipped, so each
record changes a state exactly once while its outputs are sent at least once (with
deterministic keys and ids, so a consumer can drop a repeat).

Nothing a record can trigger crashes the agent: a frame member that cannot be unpacked, a
record the engine raises on and an output the producer refuses all become dead letters with
the reason and are counted in ``aiot_agent_errors_total``; a dead letter is bounded in size
(:mod:`schemas.deadletter`). Should the agent crash all the same (a bug in the runtime), the
watchdog hears of it and ``/healthz`` fails while it keeps crashing.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import faust
from faust.streams import _current_event
from faust.types import EventT

from app.core import Output, RecordMeta
from app.core.domain import AgentPlan
from app.core.metrics import Metrics
from app.runtime.health import Watchdog
from schemas import Alert, DeadLetter, ValidationError
from schemas.frame import iter_frame_keyed

__all__ = ["TICK_INTERVAL_S", "AgentLoop", "OutputSender", "raw_topic", "state_table"]

log = logging.getLogger(__name__)

TICK_INTERVAL_S = 5.0
"""Wall-clock period of the domains' timer work (feeds followed, ticks, gauges)."""


@contextmanager
def event_context(event: EventT) -> Iterator[None]:
    """Run table writes as if in the middle of ``event``.

    Faust derives the partition a table write goes to (its store and its changelog) from the
    stream's *current event*, a context variable of ``faust.streams``. A batch's writes happen
    after its events were iterated, so the agent sets an event of the entity's partition as the
    current one for the duration of the writes.
    """
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def raw_topic(app: faust.App, *names: str, partitions: int | None = None) -> Any:
    """A topic of raw bytes keys and values (engines decode and validate themselves)."""
    return app.topic(
        *names,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
    )


def state_table(
    app: faust.App, name: str, help: str, *, app_id: str, partitions: int, compacted: bool
) -> Any:
    """A per-entity table of encoded states, partitioned like the keyed input topics.

    The changelog is compacted unless the broker cannot be trusted with it (Tansu). Faust
    derives a table's store codecs from key/value *types* (json for bytes); states are already
    binary, so the store keeps them raw like the changelog does.
    """
    schema: faust.Schema = faust.Schema(
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    table = app.Table(
        name,
        default=None,
        partitions=partitions,
        schema=schema,
        changelog_topic=app.topic(
            f"{app_id}-{name}-changelog",
            schema=schema,
            partitions=partitions,
            compacting=compacted,
            internal=True,
        ),
        help=help,
    )
    table.key_serializer = "raw"  # type: ignore[attr-defined]
    table.value_serializer = "raw"  # type: ignore[attr-defined]
    return table


def table_loader(table: Any) -> Callable[[str], bytes | None]:
    """``load(key)`` reading an entity's stored state bytes from ``table`` (None if absent)."""

    def load(key: str) -> bytes | None:
        value = table.get(key.encode())
        return bytes(value) if value is not None else None

    return load


class OutputSender:
    """Serialises a domain's outputs, sends them to their topics and keeps the output metrics.

    ``topics`` maps the domain's logical output names (its own and the shared ones) to Faust
    topics.
    """

    def __init__(self, domain: str, topics: Mapping[str, Any], metrics: Metrics) -> None:
        self.domain = domain
        self.topics = dict(topics)
        self.metrics = metrics
        self._out = {
            name: metrics.events_out.labels(topic.get_topic_name())
            for name, topic in self.topics.items()
        }

    async def send(
        self, outputs: Iterable[Output], count: Callable[[Output], None] | None = None
    ) -> None:
        """Produce every output and count it; ``count`` adds the domain's own counters."""
        for output in outputs:
            key, value = output.encode()
            await self.topics[output.topic].send(key=key, value=value)
            self._out[output.topic].inc()
            record = output.value
            if isinstance(record, Alert):
                self.metrics.alerts.labels(
                    record.domain, record.alert_type, record.severity, record.state
                ).inc()
            elif isinstance(record, DeadLetter):
                self.metrics.dead_letters.labels(record.source_topic, record.reason).inc()
                log.warning("dead letter from %s: %s", record.source_topic, record.reason)
            if count is not None:
                count(output)


class AgentLoop:
    """One domain agent on the Faust app (see the module docstring).

    ``inputs`` maps each Kafka topic the agent reads to the engine's logical input name;
    ``started`` is awaited before the first event (the domain's feeds read to their end).
    """

    def __init__(
        self,
        app: faust.App,
        plan: AgentPlan,
        inputs: Mapping[str, str],
        table: Any,
        sender: OutputSender,
        watchdog: Watchdog,
        started: Callable[[], Awaitable[None]],
        batch_max: int = 1000,
        batch_wait_s: float = 0.1,
    ) -> None:
        self.app = app
        self.plan = plan
        self.engine = plan.engine
        self.inputs = dict(inputs)
        self.table = table
        self.sender = sender
        self.metrics = sender.metrics
        self.watchdog = watchdog
        self.started = started
        self.batch_max = batch_max
        self.batch_wait_s = batch_wait_s
        self._in = {topic: self.metrics.events_in.labels(topic) for topic in self.inputs}
        self._latency = {topic: self.metrics.latency.labels(topic) for topic in self.inputs}
        self._errors = self.metrics.agent_errors.labels(plan.name)
        watchdog.register(plan.name)
        source = raw_topic(app, *self.inputs)
        app.agent(source, name=plan.name)(self.run)
        app.on_partitions_revoked.connect(self.on_revoked)  # type: ignore[arg-type]

    async def run(self, stream: faust.StreamT) -> None:
        """The agent body: batches of messages, each record through the engine, then the
        batch's state writes (the watchdog hears of a crash)."""
        try:
            await self.started()
            batches = stream.take_events(self.batch_max, self.batch_wait_s)  # type: ignore[attr-defined]
            async for events in batches:
                await self.process_batch(events)
                self.watchdog.beat(self.plan.name)
        except Exception as exc:
            self.watchdog.crashed(self.plan.name, f"{type(exc).__name__}: {exc}")
            raise

    async def process_batch(self, events: Iterable[EventT]) -> None:
        """Every record of every message, then outputs flushed and changed states written."""
        last_of_partition: dict[int, EventT] = {}
        for event in events:
            message = event.message
            raw = bytes(event.value) if event.value is not None else b""
            topic = message.topic
            for index, (key, member) in enumerate(
                iter_frame_keyed(raw, message.key, self.plan.key_field)
            ):
                meta = RecordMeta(
                    self.inputs[topic],
                    topic,
                    message.partition,
                    message.offset,
                    key,
                    index,
                    message.timestamp or 0.0,
                )
                await self.process(meta, member, raw)
            if message.timestamp:
                self._latency[topic].observe(max(time.time() - message.timestamp, 0.0))
            last_of_partition[message.partition] = event
        await self.app.producer.flush()
        for partition, event in last_of_partition.items():
            rows = self.engine.cache.take_dirty(partition)
            if rows:
                with event_context(event):
                    for row in rows:
                        self.write(row.key.encode(), row.row)

    async def process(
        self, meta: RecordMeta, raw: bytes | ValidationError, message: bytes = b""
    ) -> None:
        """One record through the engine, its outputs sent; any failure a counted dead letter.

        ``raw`` is the record's bytes, or the error that kept a frame member from being
        unpacked (then the dead letter carries the whole ``message``).
        """
        self._in[meta.topic].inc()
        if isinstance(raw, ValidationError):
            log.error(
                "%s agent rejected %s[%d]@%d: %s",
                self.plan.name,
                meta.topic,
                meta.partition,
                meta.offset,
                raw,
            )
            self._errors.inc()
            letter = self.engine.dead_letter(message, raw, meta, time.time())
            await self._send_letter(letter, meta)
            return
        try:
            outputs = self.engine.handle(raw, meta)
        except Exception as exc:
            self._fail(meta, "failed on")
            await self._send_letter(self.engine.error_letter(raw, meta, exc), meta)
            return
        try:
            await self.sender.send(outputs, self.plan.count)
        except Exception as exc:
            self._fail(meta, "could not send the outputs of")
            await self._send_letter(self.engine.error_letter(raw, meta, exc), meta)

    def _fail(self, meta: RecordMeta, what: str) -> None:
        log.exception(
            "%s agent %s %s[%d]@%d", self.plan.name, what, meta.topic, meta.partition, meta.offset
        )
        self._errors.inc()

    async def _send_letter(self, letter: Output, meta: RecordMeta) -> None:
        """Send a dead letter; one that cannot be sent is logged and counted, never raised."""
        try:
            await self.sender.send([letter])
        except Exception:
            self._fail(meta, "could not dead-letter")

    def write(self, key: bytes, row: bytes) -> None:
        """Write one entity's row (positions and state) to the table (store and changelog)."""
        self.table[key] = row
        self.metrics.state_flushes.inc()

    async def tick(self) -> None:
        """The engine's periodic work on the worker's timer, and held records of quiet
        entities applied once their grace has passed."""
        await self.sender.send(self.engine.tick(), self.plan.count)
        await self.sender.send(self.engine.release_overdue(), self.plan.count)

    async def on_revoked(self, sender: Any, revoked: set[Any], **kwargs: Any) -> None:
        """Drop the cached states of partitions this worker no longer owns.

        Every batch wrote what it changed before its offsets could be committed, so nothing
        is lost; a state changed outside a batch (timer work) and not yet written is reported.
        """
        unwritten = self.engine.cache.forget_partitions(
            {tp.partition for tp in revoked if tp.topic in self.inputs}
        )
        if unwritten:
            log.warning(
                "%s: %d states changed by timer work not written before their partitions "
                "were revoked; the new owner recomputes them",
                self.plan.name,
                len(unwritten),
            )
