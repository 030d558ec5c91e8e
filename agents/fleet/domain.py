"""The fleet domain as the runtime sees it: topics, the vehicle and area agents, feeds, figures.

* ``fleet_vehicles`` (keyed by vehicle): fixes, dispatcher verdicts and area context (three
  co-partitioned topics) through :class:`~agents.fleet.engine.FleetEngine`; state in the
  ``fleet_vehicle_state`` table.
* ``fleet_areas`` (keyed by area): the detour notices the vehicle agent repartitions by area,
  through :class:`~agents.fleet.area.AreaEngine`; answers go back on the context topic.
* Geofences: every worker reads the whole compacted geofence topic at start and follows it on
  the timer, so each vehicle is checked against every fence whatever its partition.
* The classifier learned from verdicts is published to a compacted topic when it changed and
  read back at start, so a restarted worker keeps what dispatchers taught it.
"""

from __future__ import annotations

from collections.abc import Mapping

from agents.fleet.area import AreaEngine
from agents.fleet.config import DOMAIN, RESTRICTED, UNAUTHORIZED, FleetConfig
from agents.fleet.engine import FleetEngine
from agents.fleet.settings import FleetSettings
from agents.fleet.stats import FleetStats
from app.core import Output
from app.core.domain import AgentPlan, Domain, DomainContext, DomainPlan, Feed, Topic
from app.core.metrics import Metrics
from schemas.vehicle import FleetEpisode, GeofenceEvent

__all__ = ["FLEET"]

VEHICLES = "fleet_vehicles"
AREAS = "fleet_areas"
VEHICLE_TABLE = "fleet_vehicle_state"
AREA_TABLE = "fleet_area_state"
MODEL_KEY = "fleet-classifier"


def topics(settings: FleetSettings) -> Mapping[str, Topic]:
    """The fleet topics: vehicle- and area-keyed streams, the compacted fences and model."""
    return {
        "telemetry": Topic(settings.topic_fleet_telemetry),
        "verdicts": Topic(settings.topic_fleet_verdicts),
        "context": Topic(settings.topic_fleet_context),
        "area_notices": Topic(settings.topic_fleet_area),
        "episodes": Topic(settings.topic_fleet_episodes),
        "geofence_events": Topic(settings.topic_fleet_geofence_events),
        "geofences": Topic(settings.topic_fleet_geofences, keyed=False, compacted=True),
        "models": Topic(settings.topic_fleet_models, keyed=False, compacted=True),
    }


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


def declare(ctx: DomainContext[FleetSettings]) -> DomainPlan:
    """The vehicle and area agents, the geofence and model feeds, the classifier publication."""
    config = FleetConfig.from_settings(ctx.settings)
    vehicles = FleetEngine(
        config,
        ctx.limits,
        ctx.table(VEHICLE_TABLE, "Per-vehicle corridors, habits, open episode, alerts."),
        ctx.clock,
    )
    areas = AreaEngine(
        config,
        ctx.limits,
        ctx.table(AREA_TABLE, "Recent detours per area (traffic context)."),
        ctx.clock,
    )
    metrics = ctx.metrics
    exporter = StatsExporter(metrics)

    def count(output: Output) -> None:
        record = output.value
        if isinstance(record, FleetEpisode):
            metrics.fleet_episodes.labels(record.label, record.status).inc()
        elif isinstance(record, GeofenceEvent):
            metrics.fleet_geofence_events.labels(record.kind, record.event).inc()

    def adopt_geofence(key: bytes | None, value: bytes | None) -> None:
        vehicles.apply_geofence(key, value)

    def adopt_model(key: bytes | None, value: bytes | None) -> None:
        if key == MODEL_KEY.encode() and value is not None:
            vehicles.classifier.load(value)

    def tick() -> list[Output]:
        """Publish the classifier when verdicts changed it; export the engine's counters."""
        exporter.export(vehicles.stats)
        classifier = vehicles.classifier
        if not classifier.dirty:
            return []
        classifier.dirty = False
        return [Output("models", MODEL_KEY, classifier.to_bytes())]

    return DomainPlan(
        agents=(
            AgentPlan(
                name=VEHICLES,
                engine=vehicles,
                inputs={"telemetry": "telemetry", "verdicts": "verdicts", "context": "context"},
                table=VEHICLE_TABLE,
                key_field="vehicle_id",
                count=count,
            ),
            AgentPlan(
                name=AREAS,
                engine=areas,
                inputs={"notices": "area_notices"},
                table=AREA_TABLE,
                key_field="area_id",
            ),
        ),
        feeds=(Feed("geofences", adopt_geofence, follow=True), Feed("models", adopt_model)),
        alert_types=(UNAUTHORIZED, RESTRICTED),
        tick=tick,
        restored=lambda: (
            f"{len(vehicles.geofences)} geofences, classifier {vehicles.classifier.version}"
        ),
    )


FLEET: Domain[FleetSettings] = Domain(
    name=DOMAIN, settings=FleetSettings, topics=topics, declare=declare
)
