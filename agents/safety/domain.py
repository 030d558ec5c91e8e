"""The workforce-safety domain as the runtime sees it: topics, the worker and zone agents.

* ``safety_workers`` (keyed by pseudonymous worker): wearable readings from the edge through
  :class:`~agents.safety.worker_engine.WorkerEngine` - fatigue, man-down and (for raw-motion
  wearables) fall-suspected alerts, haptic warnings and alarms - and each worker's zone
  presence, sent to the zone-presence topic keyed by zone (the repartition). State in the
  ``safety_worker_state`` table.
* ``safety_zones`` (keyed by zone): zone presence through
  :class:`~agents.safety.zone_engine.ZoneEngine` - stationary-group alerts in high-risk zones
  and haptic warnings to the group. State in the ``safety_zone_state`` table.
"""

from __future__ import annotations

from collections.abc import Mapping

from agents.safety.config import (
    DOMAIN,
    FALL_SUSPECTED,
    FATIGUE,
    MAN_DOWN,
    STATIONARY_CLUSTER,
    SafetyConfig,
)
from agents.safety.settings import SafetySettings
from agents.safety.worker_engine import PRESENCE, WorkerEngine
from agents.safety.zone_engine import ZoneEngine
from app.core import Output
from app.core.domain import AgentPlan, Domain, DomainContext, DomainPlan, Topic

__all__ = ["SAFETY"]

WORKERS = "safety_workers"
ZONES = "safety_zones"
WORKER_TABLE = "safety_worker_state"
ZONE_TABLE = "safety_zone_state"


def topics(settings: SafetySettings) -> Mapping[str, Topic]:
    """The safety topics: wearable readings by worker, their presence repartitioned by zone."""
    return {
        "wearables": Topic(settings.edge_topic_wearables),
        PRESENCE: Topic(settings.topic_zone_presence),
    }


def declare(ctx: DomainContext[SafetySettings]) -> DomainPlan:
    """The worker and zone agents and the count of reordered wearable readings."""
    config = SafetyConfig.from_settings(ctx.settings)
    workers = WorkerEngine(
        config,
        ctx.limits,
        ctx.table(WORKER_TABLE, "Per-worker safety state: baseline, fatigue, man-down."),
        ctx.clock,
    )
    zones = ZoneEngine(
        config,
        ctx.limits,
        ctx.table(ZONE_TABLE, "Per-zone safety state: members, dwell, group alert."),
        ctx.clock,
    )
    reordered = ctx.metrics.safety_reordered
    counted = [0]

    def tick() -> list[Output]:
        """Count the readings that arrived reordered or redelivered since the last tick."""
        new = workers.out_of_order - counted[0]
        if new:
            reordered.inc(new)
            counted[0] = workers.out_of_order
        return []

    return DomainPlan(
        agents=(
            AgentPlan(
                name=WORKERS,
                engine=workers,
                inputs={"wearables": "wearables"},
                table=WORKER_TABLE,
                key_field="worker_id",
            ),
            AgentPlan(
                name=ZONES,
                engine=zones,
                inputs={"presence": PRESENCE},
                table=ZONE_TABLE,
                key_field="zone_id",
            ),
        ),
        alert_types=(FATIGUE, MAN_DOWN, FALL_SUSPECTED, STATIONARY_CLUSTER),
        tick=tick,
    )


SAFETY: Domain[SafetySettings] = Domain(
    name=DOMAIN, settings=SafetySettings, topics=topics, declare=declare
)
