"""Faust glue shared by every domain's agents: raw topics, state tables, emitting, the loop.

A domain agent is an engine (Faust-free, :mod:`streams`) plus this glue:
:func:`raw_topic` and :func:`state_table` declare topics and a per-entity table with raw byte
codecs; :class:`EmitSender` sends an engine's :class:`~streams.Emit` records and counts them;
:func:`keyed_agent` runs the event loop - edge frames unpacked, one engine call per record,
errors turned into dead letters, due table writes made in the right event context, watchdog
beats and latency - and a timer that makes every partition's dirty states due.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import faust

from schemas.frame import iter_frame_keyed
from streams import Emit, KeyedEngine, RecordMeta

if TYPE_CHECKING:
    from app.worker import WorkerContext

__all__ = [
    "FLUSH_INTERVAL_S",
    "EmitSender",
    "RecordHandler",
    "keyed_agent",
    "raw_topic",
    "state_table",
    "table_loader",
]

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 5.0


class RecordHandler(Protocol):
    """An engine's entry point: one raw record in, the records to emit out; never raises."""

    def __call__(self, raw: bytes, meta: RecordMeta) -> list[Emit]:
        """Process one record."""
        ...


def raw_topic(
    app: faust.App, *names: str, partitions: int | None = None, compacting: bool | None = None
) -> Any:
    """A topic of raw bytes keys and values (engines decode and validate themselves)."""
    return app.topic(
        *names,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
        compacting=compacting,
    )


def state_table(ctx: WorkerContext, name: str, help: str) -> Any:
    """A per-entity table of encoded states, partitioned like the keyed input topics.

    The changelog is compacted per settings (not on the Tansu dev broker). Faust derives a
    table's store codecs from key/value *types* (json for bytes); states are already binary, so
    the store keeps them raw like the changelog does.
    """
    app = ctx.app
    settings = ctx.settings
    schema: faust.Schema = faust.Schema(
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    table = app.Table(
        name,
        default=None,
        partitions=settings.partitions,
        schema=schema,
        changelog_topic=app.topic(
            f"{settings.app_id}-{name}-changelog",
            schema=schema,
            partitions=settings.partitions,
            compacting=settings.compact_topics,
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


class EmitSender:
    """Sends engine output to the mapped topics and keeps the output metrics.

    ``outputs`` maps an engine's logical topic names to Faust topics. ``on_emit`` (optional) is
    awaited after each sent record, e.g. to derive automated decisions from predictions.
    """

    def __init__(
        self,
        ctx: WorkerContext,
        domain: str,
        outputs: Mapping[str, Any],
        on_emit: Callable[[Emit], Awaitable[None]] | None = None,
    ) -> None:
        self.metrics = ctx.metrics
        self.domain = domain
        self.outputs = dict(outputs)
        self.on_emit = on_emit
        self.topic_names = {name: t.get_topic_name() for name, t in self.outputs.items()}

    async def send(self, emits: list[Emit]) -> None:
        """Produce every record of ``emits`` and count it by topic, alert or dead-letter reason."""
        for emit in emits:
            await self.outputs[emit.topic].send(key=emit.key, value=emit.value)
            self.metrics.events_out.labels(self.topic_names[emit.topic]).inc()
            if emit.topic == "dead_letters":
                topic, reason = emit.labels
                self.metrics.dead_letters.labels(topic, reason).inc()
                log.warning("dead letter from %s: %s", topic, reason)
            elif emit.topic == "alerts":
                alert_type, severity, transition = emit.labels
                self.metrics.alerts.labels(self.domain, alert_type, severity, transition).inc()
            if self.on_emit is not None:
                await self.on_emit(emit)


def keyed_agent(
    ctx: WorkerContext,
    name: str,
    inputs: Any,
    handle: RecordHandler,
    engine: KeyedEngine[Any],
    table: Any,
    sender: EmitSender,
    *,
    on_start: Callable[[], Awaitable[None]] | None = None,
    on_tick: Callable[[], Awaitable[None]] | None = None,
    key_field: str = "asset_id",
) -> Any:
    """Register the agent ``name`` running ``handle`` over ``inputs`` with ``engine``'s entity
    states kept in ``table``.

    Every record of a message (one reading or an edge gateway's frame of many) goes through
    ``handle``; an unexpected exception becomes a dead letter (``processing_error``) and is
    counted, never a crashed worker (the engine's ``error_letter`` builds it, redacting what
    the domain's dead letters redact). After each record the entity it is keyed by is written if
    due; every :data:`FLUSH_INTERVAL_S` a timer marks all partitions due and the agent writes a
    partition's dirty states with its next event there (a table write needs the context of an
    event of the entity's partition). ``on_start`` runs before the first event (e.g. restoring
    shared models) and ``on_tick`` with every timer tick (e.g. publishing models, gauges).
    ``key_field`` names the member field that keys each reading of a frame (the entity id).
    """
    app = ctx.app
    metrics = ctx.metrics
    settings = ctx.settings
    cache = engine.cache
    topic_names = set(inputs.topics)
    # Labelled metric children resolved once, not per record (a lock and a dict lookup each).
    events_in = {topic: metrics.events_in.labels(topic) for topic in topic_names}
    latency = {topic: metrics.latency.labels(topic) for topic in topic_names}
    ctx.watchdog.register(name)
    flush_due: set[int] = set()

    def write(key: bytes, state: bytes) -> None:
        table[key] = state
        metrics.state_flushes.inc()

    async def process(meta: RecordMeta, raw: bytes) -> None:
        events_in[meta.topic].inc()
        try:
            emits = handle(raw, meta)
        except Exception as exc:
            log.exception(
                "%s agent failed on %s[%d]@%d", name, meta.topic, meta.partition, meta.offset
            )
            metrics.agent_errors.labels(name).inc()
            emits = [engine.error_letter(raw, meta, exc)]
        await sender.send(emits)
        if meta.key:
            state = cache.take_flush(meta.key.decode("utf-8", "replace"))
            if state is not None:
                write(meta.key, state)

    async def run(stream: faust.StreamT) -> None:
        if on_start is not None:
            await on_start()
        async for event in stream.events():
            message = event.message
            raw = bytes(event.value) if event.value is not None else b""
            for key, member in iter_frame_keyed(raw, message.key, key_field):
                meta = RecordMeta(
                    message.topic, message.partition, message.offset, key, message.timestamp or 0.0
                )
                await process(meta, member)
                if message.timestamp:
                    latency[message.topic].observe(max(time.time() - message.timestamp, 0.0))
            if message.partition in flush_due:
                flush_due.discard(message.partition)
                for key_text, _, state in cache.take_dirty(message.partition):
                    write(key_text.encode(), state)
            ctx.watchdog.beat(name)

    agent = app.agent(inputs, name=name)(run)

    async def tick() -> None:
        flush_due.update(range(settings.partitions))
        metrics.entities_tracked.labels(sender.domain, name).set(len(cache))
        if on_tick is None:
            return
        try:
            await on_tick()
        except Exception:
            log.exception("%s timer failed; retrying next interval", name)
            metrics.agent_errors.labels(f"{name}_timer").inc()

    tick.__name__ = f"{name}_flush_timer"
    tick.__qualname__ = tick.__name__
    app.timer(interval=FLUSH_INTERVAL_S)(tick)

    async def on_revoked(sender_: Any, revoked: set[Any], **kwargs: Any) -> None:
        cache.forget_partitions({tp.partition for tp in revoked if tp.topic in topic_names})

    app.on_partitions_revoked.connect(on_revoked)  # type: ignore[arg-type]
    return agent
