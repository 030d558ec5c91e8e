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

import orjson

from agents.maintenance.commands import DerateGate
from agents.maintenance.config import MaintenanceConfig
from agents.maintenance.edge_params import EdgeParamsPolicy
from agents.maintenance.engine import EngineLimits, MaintenanceEngine
from app.core import Emit, RecordMeta
from app.runtime.compacted import CompactedReader
from app.runtime.glue import EmitSender, keyed_agent, raw_topic, state_table, table_loader
from schemas import Prediction

if TYPE_CHECKING:
    from app.runtime.worker import WorkerContext

__all__ = ["AGENT_NAME", "register_maintenance"]

log = logging.getLogger(__name__)

AGENT_NAME = "maintenance"
DOMAIN = "maintenance"
STATE_TABLE = "asset_state"
MODEL_PUBLISH_EVERY = 12  # flush intervals between routine model publications (1 min)


def register_maintenance(ctx: WorkerContext) -> MaintenanceEngine:
    """Declare the maintenance topics, table, agent and timers on ``ctx.app``."""
    app = ctx.app
    settings = ctx.settings
    metrics = ctx.metrics
    inputs = raw_topic(
        app, settings.topic_telemetry, settings.topic_maintenance, partitions=settings.partitions
    )
    outputs = {
        "predictions": raw_topic(app, settings.topic_predictions),
        "alerts": raw_topic(app, settings.topic_alerts),
        "dead_letters": raw_topic(app, settings.topic_dead_letters),
        "commands": raw_topic(app, settings.topic_commands),
        "edge_params": raw_topic(app, settings.topic_edge_params),
    }
    edge_policy = EdgeParamsPolicy()
    edge_versions: dict[str, int] = {}
    derate = DerateGate(settings.derate_probability)
    models_topic = raw_topic(
        app, settings.topic_models, partitions=1, compacting=settings.compact_topics
    )
    table = state_table(
        ctx,
        STATE_TABLE,
        help="Compact per-asset maintenance state (features, detector, snapshots, alert).",
    )
    engine = MaintenanceEngine(
        MaintenanceConfig.from_settings(settings),
        EngineLimits(
            min_event_time=settings.min_event_time,
            max_future_skew_s=settings.max_future_skew_s,
            max_lateness_s=settings.max_lateness_s,
            flush_every=settings.state_flush_every,
        ),
        table_loader(table),
    )
    telemetry_topic = settings.topic_telemetry
    ticks = [0]

    async def maybe_derate(emit: Emit) -> None:
        """Automated decision: a derate command when the failure probability passes the level.

        The gate issues one command per crossing and re-arms once the probability falls well
        below the level (after a repair the asset restarts from a fresh baseline).
        """
        if emit.topic != "predictions":
            return
        command = derate.offer(Prediction.from_dict(orjson.loads(emit.value)), now=time.time())
        if command is not None:
            await sender.send([Emit("commands", command.asset_id.encode(), command.to_json())])

    sender = EmitSender(ctx, DOMAIN, outputs, on_emit=maybe_derate)

    def handle(raw: bytes, meta: RecordMeta) -> list[Emit]:
        """One reading or maintenance event through the engine."""
        if meta.topic == telemetry_topic:
            return engine.handle_telemetry(raw, meta)
        return engine.handle_maintenance(raw, meta)

    def load_model(record: Any) -> None:
        if record.key is not None and record.value is not None:
            engine.models.load(record.key, record.value)

    async def restore_models() -> None:
        """Read the compacted models topic to its end and adopt the newest model per class."""
        reader = CompactedReader(ctx, settings.topic_models, load_model)
        try:
            loaded = await reader.catch_up()
        finally:
            await reader.stop()
        log.info("restored %d model records for classes %s", loaded, engine.models.classes())
        await sender.send(reader.take_letters())

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

    keyed_agent(
        ctx,
        AGENT_NAME,
        inputs,
        handle,
        engine,
        table,
        sender,
        on_start=restore_models,
        on_tick=publish,
    )
    return engine
