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
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from app.kafka_clients import bootstrap_servers, client_options
from maintenance.commands import DerateGate
from maintenance.config import MaintenanceConfig
from maintenance.edge_params import EdgeParamsPolicy
from maintenance.engine import Emit, EngineLimits, MaintenanceEngine, RecordMeta
from schemas import Prediction
from schemas.frame import iter_frame_keyed

if TYPE_CHECKING:
    from app.worker import WorkerContext

__all__ = ["AGENT_NAME", "register_maintenance"]

log = logging.getLogger(__name__)

AGENT_NAME = "maintenance"
STATE_TABLE = "asset_state"
FLUSH_INTERVAL_S = 5.0
MODEL_PUBLISH_EVERY = 12  # flush intervals between routine model publications (1 min)


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
        "commands": _raw_topic(app, settings.topic_commands),
        "edge_params": _raw_topic(app, settings.topic_edge_params),
    }
    edge_policy = EdgeParamsPolicy()
    edge_versions: dict[str, int] = {}
    derate = DerateGate(settings.derate_probability)
    models_topic = app.topic(
        settings.topic_models,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=1,
        compacting=settings.compact_topics,
    )
    state_schema: faust.Schema = faust.Schema(
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    table = app.Table(
        STATE_TABLE,
        default=None,
        partitions=settings.partitions,
        schema=state_schema,
        changelog_topic=app.topic(
            f"{settings.app_id}-{STATE_TABLE}-changelog",
            schema=state_schema,
            partitions=settings.partitions,
            compacting=settings.compact_topics,
            internal=True,
        ),
        help="Compact per-asset maintenance state (features, detector, snapshots, alert).",
    )
    # Faust derives a table's store codecs from key/value *types* (json for bytes); the state
    # is already binary, so the RocksDB store must keep it raw like the changelog does.
    table.key_serializer = "raw"  # type: ignore[attr-defined]
    table.value_serializer = "raw"  # type: ignore[attr-defined]

    def load_state(asset_id: str) -> bytes | None:
        value = table.get(asset_id.encode())
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
    flush_due: set[int] = set()
    ticks = [0]

    async def send(emits: list[Emit]) -> None:
        for emit in emits:
            await outputs[emit.topic].send(key=emit.key, value=emit.value)
            metrics.events_out.labels(topic_names[emit.topic]).inc()
            if emit.topic == "predictions":
                await maybe_derate(emit.value)
            if emit.topic == "dead_letters":
                topic, reason = emit.labels
                metrics.dead_letters.labels(topic, reason).inc()
                log.warning("dead letter from %s: %s", topic, reason)
            elif emit.topic == "alerts":
                alert_type, severity, transition = emit.labels
                metrics.alerts.labels("maintenance", alert_type, severity, transition).inc()

    async def maybe_derate(prediction_json: bytes) -> None:
        """Automated decision: a derate command when the failure probability passes the level.

        The gate issues one command per crossing and re-arms once the probability falls well
        below the level (after a repair the asset restarts from a fresh baseline).
        """
        command = derate.offer(Prediction.from_dict(orjson.loads(prediction_json)), now=time.time())
        if command is not None:
            await outputs["commands"].send(key=command.asset_id.encode(), value=command.to_json())
            metrics.events_out.labels(topic_names["commands"]).inc()

    async def process(
        topic: str, partition: int, offset: int, key: bytes | None, raw: bytes
    ) -> None:
        """Run one reading or maintenance event through the engine and send its outputs."""
        meta = RecordMeta(topic, partition, offset, key)
        metrics.events_in.labels(topic).inc()
        try:
            if topic == telemetry_topic:
                emits = engine.handle_telemetry(raw, meta)
            else:
                emits = engine.handle_maintenance(raw, meta)
        except Exception as exc:
            log.exception("maintenance agent failed on %s[%d]@%d", topic, partition, offset)
            metrics.agent_errors.labels(AGENT_NAME).inc()
            emits = [engine.dead_letter_for_error(raw, meta, exc)]
        await send(emits)
        if key:
            state = engine.take_flush(key.decode("utf-8", "replace"))
            if state is not None:
                table[key] = state
                metrics.state_flushes.inc()

    @app.agent(inputs, name=AGENT_NAME)
    async def maintenance_agent(stream: faust.StreamT) -> None:
        await restore_models()
        async for event in stream.events():
            message = event.message
            raw = bytes(event.value) if event.value is not None else b""
            # A message is one reading or an edge gateway's frame of many (schemas/frame.py).
            for key, member in iter_frame_keyed(raw, message.key):
                await process(message.topic, message.partition, message.offset, key, member)
                if message.timestamp:
                    metrics.latency.labels(message.topic).observe(
                        max(time.time() - message.timestamp, 0.0)
                    )
            if message.partition in flush_due:
                flush_due.discard(message.partition)
                for asset_id, _, state in engine.take_dirty(message.partition):
                    table[asset_id.encode()] = state
                    metrics.state_flushes.inc()
            ctx.watchdog.beat(AGENT_NAME)

    async def restore_models() -> None:
        """Read the compacted models topic to its end and adopt the newest model per class."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers(settings.broker_url),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **client_options(settings),
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
            # Read until past the end offsets *and* one poll comes back empty: some dev brokers
            # (Tansu) report an end offset short of the last batch's last record.
            reached = False
            while True:
                batch = await consumer.getmany(*tps, timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        if record.key is not None and record.value is not None:
                            engine.models.load(record.key, record.value)
                            loaded += 1
                if reached and not batch:
                    break
                positions = [await consumer.position(tp) for tp in tps]
                reached = all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True))
            log.info("restored %d model records for classes %s", loaded, engine.models.classes())
        finally:
            await consumer.stop()

    @app.timer(interval=FLUSH_INTERVAL_S)
    async def flush_state() -> None:
        """Ask for dirty asset states to be written and publish changed class models.

        A table write needs the context of an event of the asset's partition (the store and
        the changelog are partitioned by it), so the timer only marks every partition due and
        the agent writes that partition's dirty assets with its next event there.
        """
        flush_due.update(range(settings.partitions))
        try:
            await publish()
        except Exception:
            log.exception("maintenance flush timer failed; retrying next interval")
            metrics.agent_errors.labels("maintenance_timer").inc()

    async def publish() -> None:
        """Publish changed class models and refresh the quality and state gauges."""
        ticks[0] += 1
        routine = ticks[0] % MODEL_PUBLISH_EVERY == 0
        if routine:
            await publish_edge_params()
        for key, value in engine.models.take_dirty(routine=routine):
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

    async def publish_edge_params() -> None:
        """Model sync to the edge: per-class thresholds from the learned baselines."""
        for asset_class, baselines in engine.class_baselines().items():
            edge_versions[asset_class] = edge_versions.get(asset_class, 0) + 1
            params = edge_policy.params(
                asset_class, baselines, version=edge_versions[asset_class], now=time.time()
            )
            if params is not None:
                await outputs["edge_params"].send(key=asset_class.encode(), value=params.to_json())

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]
    async def on_revoked(sender: Any, revoked: set[Any], **kwargs: Any) -> None:
        engine.forget_partitions({tp.partition for tp in revoked if tp.topic == telemetry_topic})

    return engine
