"""The one agent loop every domain runs on: raw topics, state tables, sending, the event loop.

A domain's :class:`~app.core.domain.AgentPlan` becomes a Faust agent here: every record of a
message (one reading or an edge gateway's frame of many) goes through the engine's
:meth:`~app.core.engine.KeyedEngine.handle`; an unexpected exception becomes a
``processing_error`` dead letter and is counted, never a crashed agent. The typed outputs are
serialised and sent by :class:`OutputSender`, which keeps the output metrics (records by topic,
alerts by domain/type/severity/transition, dead letters by topic and reason). After each
record the entity it is keyed by is written to the table if due; every
:data:`FLUSH_INTERVAL_S` the worker's timer marks all partitions due and the agent writes a
partition's dirty states with its next event there (a table write needs the context of an
event of the entity's partition).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import faust

from app.core import Output, RecordMeta
from app.core.domain import AgentPlan
from app.core.metrics import Metrics
from app.runtime.health import Watchdog
from schemas import Alert, DeadLetter
from schemas.frame import iter_frame_keyed

__all__ = ["FLUSH_INTERVAL_S", "AgentLoop", "OutputSender", "raw_topic", "state_table"]

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 5.0


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
    ) -> None:
        self.plan = plan
        self.engine = plan.engine
        self.inputs = dict(inputs)
        self.table = table
        self.sender = sender
        self.metrics = sender.metrics
        self.watchdog = watchdog
        self.started = started
        self.flush_due: set[int] = set()
        self._in = {topic: self.metrics.events_in.labels(topic) for topic in self.inputs}
        self._latency = {topic: self.metrics.latency.labels(topic) for topic in self.inputs}
        self._errors = self.metrics.agent_errors.labels(plan.name)
        watchdog.register(plan.name)
        source = raw_topic(app, *self.inputs)
        app.agent(source, name=plan.name)(self.run)
        app.on_partitions_revoked.connect(self.on_revoked)  # type: ignore[arg-type]

    async def run(self, stream: faust.StreamT) -> None:
        """The agent body: every record of every message through the engine."""
        await self.started()
        key_field = self.plan.key_field
        async for event in stream.events():
            message = event.message
            raw = bytes(event.value) if event.value is not None else b""
            for key, member in iter_frame_keyed(raw, message.key, key_field):
                meta = RecordMeta(
                    self.inputs[message.topic],
                    message.topic,
                    message.partition,
                    message.offset,
                    key,
                    message.timestamp or 0.0,
                )
                await self.process(meta, member)
                if message.timestamp:
                    self._latency[message.topic].observe(max(time.time() - message.timestamp, 0.0))
            if message.partition in self.flush_due:
                self.flush_due.discard(message.partition)
                for key_text, _, state in self.engine.cache.take_dirty(message.partition):
                    self.write(key_text.encode(), state)
            self.watchdog.beat(self.plan.name)

    async def process(self, meta: RecordMeta, raw: bytes) -> None:
        """One record: the engine's outputs sent, the entity's state written if due."""
        self._in[meta.topic].inc()
        try:
            outputs = self.engine.handle(raw, meta)
        except Exception as exc:
            log.exception(
                "%s agent failed on %s[%d]@%d",
                self.plan.name,
                meta.topic,
                meta.partition,
                meta.offset,
            )
            self._errors.inc()
            outputs = [self.engine.error_letter(raw, meta, exc)]
        await self.sender.send(outputs, self.plan.count)
        if meta.key:
            state = self.engine.cache.take_flush(meta.key.decode("utf-8", "replace"))
            if state is not None:
                self.write(meta.key, state)

    def write(self, key: bytes, state: bytes) -> None:
        """Write one entity's state to the table (store and changelog)."""
        self.table[key] = state
        self.metrics.state_flushes.inc()

    async def tick(self, partitions: int) -> None:
        """The worker's timer: all partitions due for a write; the engine's periodic work."""
        self.flush_due.update(range(partitions))
        await self.sender.send(self.engine.tick(), self.plan.count)

    async def on_revoked(self, sender: Any, revoked: set[Any], **kwargs: Any) -> None:
        """Drop the cached states of partitions this worker no longer owns."""
        self.engine.cache.forget_partitions(
            {tp.partition for tp in revoked if tp.topic in self.inputs}
        )
