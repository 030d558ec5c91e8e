"""Faust glue of the predictive-maintenance domain: topics, the asset table, the agent.

One agent consumes telemetry and maintenance events together (both keyed by asset id with the
same partition count, so Faust assigns an asset's partitions of both topics to one worker) and
hands each record to :class:`maintenance.engine.MaintenanceEngine`. The per-asset state table
is written only when the engine says an asset is due (every ``state_flush_every`` of its
events, on labels) and by a timer for everything else dirty - never once per event. Shared
class models go to a compacted models topic and are read back at start-up.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition

from app.faust_app import broker_bootstrap
from maintenance.config import MaintenanceConfig
from maintenance.engine import Emit, EngineLimits, MaintenanceEngine, RecordMeta

if TYPE_CHECKING:
    from app.worker import WorkerContext

__all__ = ["AGENT_NAME", "register_maintenance"]

log = logging.getLogger(__name__)

AGENT_NAME = "maintenance"
STATE_TABLE = "asset_state"
FLUSH_INTERVAL_S = 5.0


def _raw_topic(app: faust.App, *names: str, partitions: int | None = None) -> Any:
    return app.topic(
        *names,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=partitions,
    )


def register_maintenance(ctx: WorkerContext) -> MaintenanceEngine:
    """Declare the maintenance topics, table, agent and timers on ``ctx.app``."""
    app = ctx.app
    settings = ctx.settings
    metrics = ctx.metrics
    inputs = _raw_topic(
        app, settings.topic_telemetry, settings.topic_maintenance, partitions=settings.partitions
    )
    outputs = {
        "predictions": _raw_topic(app, settings.topic_predictions),
        "alerts": _raw_topic(app, settings.topic_alerts),
        "dead_letters": _raw_topic(app, settings.topic_dead_letters),
    }
    models_topic = app.topic(
        settings.topic_models,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=1,
        compacting=True,
    )
    table = app.Table(
        STATE_TABLE,
        default=None,
        partitions=settings.partitions,
        schema=faust.Schema(
            key_type=str, value_type=bytes, key_serializer="raw", value_serializer="raw"
        ),
        help="Compact per-asset maintenance state (features, detector, snapshots, alert).",
    )

    def load_state(asset_id: str) -> bytes | None:
        value = table.get(asset_id)
        return bytes(value) if value is not None else None

    engine = MaintenanceEngine(
        MaintenanceConfig.from_settings(settings),
        EngineLimits(
            min_event_time=settings.min_event_time,
            max_future_skew_s=settings.max_future_skew_s,
            max_lateness_s=settings.max_lateness_s,
            flush_every=settings.state_flush_every,
        ),
        load_state,
    )
    telemetry_topic = settings.topic_telemetry
    topic_names = {name: t.get_topic_name() for name, t in outputs.items()}
    ctx.watchdog.register(AGENT_NAME)

    async def send(emits: list[Emit], kafka_ts: float | None) -> None:
        for emit in emits:
            await outputs[emit.topic].send(key=emit.key, value=emit.value)
            metrics.events_out.labels(topic_names[emit.topic]).inc()
            if emit.topic == "dead_letters":
                topic, reason = emit.labels
                metrics.dead_letters.labels(topic, reason).inc()
                log.warning("dead letter from %s: %s", topic, reason)
            elif emit.topic == "alerts":
                alert_type, severity, transition = emit.labels
                metrics.alerts.labels("maintenance", alert_type, severity, transition).inc()
        if emits and kafka_ts is not None:
            metrics.latency.labels(telemetry_topic).observe(max(time.time() - kafka_ts, 0.0))

    @app.agent(inputs, name=AGENT_NAME)
    async def maintenance_agent(stream: faust.StreamT) -> None:
        await restore_models()
        async for event in stream.events():
            message = event.message
            raw = bytes(event.value) if event.value is not None else b""
            meta = RecordMeta(message.topic, message.partition, message.offset, message.key)
            metrics.events_in.labels(message.topic).inc()
            try:
                if message.topic == telemetry_topic:
                    emits = engine.handle_telemetry(raw, meta)
                else:
                    emits = engine.handle_maintenance(raw, meta)
            except Exception as exc:
                log.exception(
                    "maintenance agent failed on %s[%d]@%d", meta.topic, meta.partition, meta.offset
                )
                metrics.agent_errors.labels(AGENT_NAME).inc()
                emits = [engine.dead_letter_for_error(raw, meta, exc)]
            kafka_ts = message.timestamp if message.timestamp else None
            await send(emits, kafka_ts)
            key = message.key.decode("utf-8", "replace") if message.key else None
            if key is not None:
                state = engine.take_flush(key)
                if state is not None:
                    table[key] = state
                    metrics.state_flushes.inc()
            ctx.watchdog.beat(AGENT_NAME)

    async def restore_models() -> None:
        """Read the compacted models topic to its end and adopt the newest model per class."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=broker_bootstrap(settings.broker_url),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            await consumer.topics()  # loads cluster metadata
            partitions = consumer.partitions_for_topic(settings.topic_models) or set()
            tps = [TopicPartition(settings.topic_models, p) for p in partitions]
            if not tps:
                return
            consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            await consumer.seek_to_beginning(*tps)
            loaded = 0
            pending = {tp for tp in tps if ends[tp] > 0}
            while pending:
                batch = await consumer.getmany(*pending, timeout_ms=1000)
                for records in batch.values():
                    for record in records:
                        if record.key is not None and record.value is not None:
                            engine.models.load(record.key, record.value)
                            loaded += 1
                for tp in list(pending):
                    if await consumer.position(tp) >= ends[tp]:
                        pending.discard(tp)
            log.info("restored %d model records for classes %s", loaded, engine.models.classes())
        finally:
            await consumer.stop()

    @app.timer(interval=FLUSH_INTERVAL_S)
    async def flush_state() -> None:
        """Write every dirty asset state and changed class model (bounded changelog traffic)."""
        for asset_id, partition, state in engine.take_dirty():
            table.data[asset_id] = state
            table.send_changelog(partition, asset_id, state)
            metrics.state_flushes.inc()
        for key, value in engine.models.take_dirty():
            await models_topic.send(key=key, value=value)
        metrics.assets_tracked.set(engine.assets)
        metrics.active_alerts.labels("maintenance", "bearing_failure_risk").set(
            engine.active_alerts
        )
        quality = engine.quality
        if quality.precision is not None:
            metrics.model_precision.labels("maintenance").set(quality.precision)
        if quality.recall is not None:
            metrics.model_recall.labels("maintenance").set(quality.recall)
        for lead_s in quality.drain_lead_times():
            metrics.lead_time.labels("maintenance").observe(lead_s / 3600.0)

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]
    async def on_revoked(sender: Any, revoked: set[Any], **kwargs: Any) -> None:
        engine.forget_partitions({tp.partition for tp in revoked if tp.topic == telemetry_topic})

    return engine
