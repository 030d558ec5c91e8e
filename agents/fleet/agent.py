"""Faust glue of the fleet domain: the vehicle agent, the area agent, geofences and the model.

* ``fleet_vehicles`` (keyed by vehicle): fixes, dispatcher verdicts and area context (three
  co-partitioned topics) through :class:`fleet.engine.FleetEngine`; state in the
  ``fleet_vehicle_state`` table, written per the engine's cache, never once per event.
* ``fleet_areas`` (keyed by area): the detour notices the vehicle agent repartitions by area,
  through :class:`fleet.area.AreaEngine`; answers go back to the vehicles on the context topic.
* Geofences: every worker reads the whole compacted geofence topic at start and follows it
  on the flush timer, so each vehicle is checked against every fence whatever its partition.
* The classifier learned from verdicts is published to a compacted topic when it changed and
  read back at start, so a restarted worker keeps what dispatchers taught it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from agents.fleet.area import AreaEngine
from agents.fleet.config import DOMAIN, FleetConfig
from agents.fleet.engine import FleetEngine, FleetInputs, FleetStats
from app.core import Emit
from app.runtime.compacted import CompactedReader
from app.runtime.glue import EmitSender, keyed_agent, raw_topic, state_table, table_loader

if TYPE_CHECKING:
    from app.metrics import Metrics
    from app.runtime.worker import WorkerContext

__all__ = ["AGENT_NAMES", "register_fleet"]

log = logging.getLogger(__name__)

AGENT_NAMES = ("fleet_vehicles", "fleet_areas")
MODEL_KEY = b"fleet-classifier"


class StatsExporter:
    """Turns the engine's running counters into Prometheus counter increments."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.seen: dict[str, int] = {}

    def _delta(self, name: str, value: int) -> int:
        delta = value - self.seen.get(name, 0)
        self.seen[name] = value
        return max(delta, 0)

    def export(self, stats: FleetStats) -> None:
        """Add what changed since the last call; set the verdict agreement gauge."""
        m = self.metrics
        for label, n in stats.learned.items():
            if delta := self._delta(f"learned:{label}", n):
                m.model_updates.labels(DOMAIN, label).inc(delta)
        outcomes = {
            "agreed": stats.verdicts_agreed,
            "unmatched": stats.verdicts_unmatched,
            "total": stats.verdicts,
        }
        for outcome, n in outcomes.items():
            if delta := self._delta(f"verdicts:{outcome}", n):
                m.fleet_verdicts.labels(outcome).inc(delta)
        if delta := self._delta("stale", stats.stale):
            m.fleet_stale_fixes.inc(delta)
        matched = stats.verdicts - stats.verdicts_unmatched
        if matched:
            m.model_precision.labels(DOMAIN).set(stats.verdicts_agreed / matched)


def register_fleet(ctx: WorkerContext) -> FleetEngine:
    """Declare the fleet topics, tables, agents and timers on ``ctx.app``."""
    app = ctx.app
    settings = ctx.settings
    metrics = ctx.metrics
    config = FleetConfig.from_settings(settings)
    keyed = settings.partitions
    vehicle_inputs = raw_topic(
        app,
        settings.topic_fleet_telemetry,
        settings.topic_fleet_verdicts,
        settings.topic_fleet_context,
        partitions=keyed,
    )
    area_input = raw_topic(app, settings.topic_fleet_area, partitions=keyed)
    dead_letters = raw_topic(app, settings.topic_dead_letters)
    alerts = raw_topic(app, settings.topic_alerts)
    vehicle_outputs = {
        "episodes": raw_topic(app, settings.topic_fleet_episodes),
        "geofence_events": raw_topic(app, settings.topic_fleet_geofence_events),
        "alerts": alerts,
        "commands": raw_topic(app, settings.topic_commands),
        "dead_letters": dead_letters,
        "area_notices": raw_topic(app, settings.topic_fleet_area),
    }
    area_outputs = {
        "context": raw_topic(app, settings.topic_fleet_context),
        "dead_letters": dead_letters,
    }
    models_topic = raw_topic(
        app, settings.topic_fleet_models, partitions=1, compacting=settings.compact_topics
    )
    vehicle_table = state_table(
        ctx, "fleet_vehicle_state", "Per-vehicle corridors, habits, open episode, alerts."
    )
    area_table = state_table(ctx, "fleet_area_state", "Recent detours per area (traffic context).")
    engine = FleetEngine(
        config,
        FleetInputs(
            settings.topic_fleet_telemetry,
            settings.topic_fleet_verdicts,
            settings.topic_fleet_context,
        ),
        table_loader(vehicle_table),
    )
    area = AreaEngine(config, table_loader(area_table))
    exporter = StatsExporter(metrics)

    async def count(emit: Emit) -> None:
        if emit.topic == "episodes":
            label, status = emit.labels
            metrics.fleet_episodes.labels(label, status).inc()
        elif emit.topic == "geofence_events":
            kind, event = emit.labels
            metrics.fleet_geofence_events.labels(kind, event).inc()

    vehicle_sender = EmitSender(ctx, DOMAIN, vehicle_outputs, on_emit=count)
    area_sender = EmitSender(ctx, DOMAIN, area_outputs)
    geofence_topic = settings.topic_fleet_geofences

    def apply_geofence(record: Any) -> None:
        engine.apply_geofence(record.key, bytes(record.value) if record.value is not None else None)

    def apply_model(record: Any) -> None:
        if record.key == MODEL_KEY and record.value is not None:
            engine.classifier.load(bytes(record.value))

    geofences = CompactedReader(ctx, geofence_topic, apply_geofence)
    models = CompactedReader(ctx, settings.topic_fleet_models, apply_model)

    async def on_start() -> None:
        fences = await geofences.catch_up()
        try:
            restored = await models.catch_up()
        finally:
            await models.stop()
        log.info(
            "fleet: %d geofence records, %d model records (%s)",
            fences,
            restored,
            engine.classifier.version,
        )
        await vehicle_sender.send(geofences.take_letters() + models.take_letters())

    async def on_tick() -> None:
        await geofences.poll()
        await vehicle_sender.send(geofences.take_letters())
        classifier = engine.classifier
        if classifier.dirty:
            classifier.dirty = False
            await models_topic.send(key=MODEL_KEY, value=classifier.to_bytes())
        exporter.export(engine.stats)
        metrics.active_alerts.labels(DOMAIN, "unauthorized_use").set(engine.active_alerts)

    async def on_shutdown(sender: Any, *args: Any, **kwargs: Any) -> None:
        await geofences.stop()

    app.on_before_shutdown.connect(on_shutdown)  # type: ignore[arg-type]
    keyed_agent(
        ctx,
        AGENT_NAMES[0],
        vehicle_inputs,
        engine.handle,
        engine,
        vehicle_table,
        vehicle_sender,
        on_start=on_start,
        on_tick=on_tick,
        key_field="vehicle_id",
    )
    keyed_agent(
        ctx,
        AGENT_NAMES[1],
        area_input,
        area.handle,
        area,
        area_table,
        area_sender,
        key_field="area_id",
    )
    return engine
