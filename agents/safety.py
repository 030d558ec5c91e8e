"""Faust glue of the workforce-safety domain: the worker agent and the zone agent.

* ``safety_workers`` (keyed by pseudonymous worker): wearable readings from the edge through
  :class:`safety.worker_engine.WorkerEngine` - fatigue and man-down alerts, haptic warnings and
  alarms - and each worker's zone presence, sent to the zone-presence topic keyed by zone
  (the repartition). State in the ``safety_worker_state`` table.
* ``safety_zones`` (keyed by zone): zone presence through
  :class:`safety.zone_engine.ZoneEngine` - stationary-group alerts in high-risk zones and
  haptic warnings to the group. State in the ``safety_zone_state`` table.

Both tables are written per the engines' caches (every N changes of an entity, at once after
an alert transition, and by the flush timer), never once per event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.glue import EmitSender, keyed_agent, raw_topic, state_table, table_loader
from safety.config import FALL_SUSPECTED, FATIGUE, MAN_DOWN, STATIONARY_CLUSTER, SafetyConfig
from safety.worker_engine import PRESENCE, WorkerEngine
from safety.zone_engine import ZoneEngine

if TYPE_CHECKING:
    from app.worker import WorkerContext

__all__ = ["AGENT_NAMES", "register_safety"]

AGENT_NAMES = ("safety_workers", "safety_zones")
DOMAIN = "safety"


def register_safety(ctx: WorkerContext) -> tuple[WorkerEngine, ZoneEngine]:
    """Declare the safety topics, tables and both agents on ``ctx.app``."""
    app = ctx.app
    settings = ctx.settings
    metrics = ctx.metrics
    config = SafetyConfig.from_settings(settings)
    limits = SafetyConfig.limits_from_settings(settings)
    wearables = raw_topic(app, settings.edge_topic_wearables, partitions=settings.partitions)
    presence = raw_topic(app, settings.topic_zone_presence, partitions=settings.partitions)
    alerts = raw_topic(app, settings.topic_alerts)
    commands = raw_topic(app, settings.topic_commands)
    dead_letters = raw_topic(app, settings.topic_dead_letters)

    worker_table = state_table(
        ctx, "safety_worker_state", help="Per-worker safety state: baseline, fatigue, man-down."
    )
    workers = WorkerEngine(config, limits, table_loader(worker_table))
    worker_sender = EmitSender(
        ctx,
        DOMAIN,
        {
            PRESENCE: presence,
            "alerts": alerts,
            "commands": commands,
            "dead_letters": dead_letters,
        },
    )
    reordered = [0]

    async def worker_gauges() -> None:
        """Man-down for wearables silent after an impact; gauges and reordered readings."""
        await worker_sender.send(workers.signal_lost())
        metrics.active_alerts.labels(DOMAIN, FATIGUE).set(workers.active[FATIGUE])
        metrics.active_alerts.labels(DOMAIN, MAN_DOWN).set(workers.active[MAN_DOWN])
        metrics.active_alerts.labels(DOMAIN, FALL_SUSPECTED).set(workers.active[FALL_SUSPECTED])
        new = workers.out_of_order - reordered[0]
        if new:
            metrics.safety_reordered.inc(new)
            reordered[0] = workers.out_of_order

    keyed_agent(
        ctx,
        AGENT_NAMES[0],
        wearables,
        workers.handle,
        workers,
        worker_table,
        worker_sender,
        on_tick=worker_gauges,
        key_field="worker_id",
    )

    zone_table = state_table(
        ctx, "safety_zone_state", help="Per-zone safety state: members, dwell, group alert."
    )
    zones = ZoneEngine(config, limits, table_loader(zone_table))
    zone_sender = EmitSender(
        ctx, DOMAIN, {"alerts": alerts, "commands": commands, "dead_letters": dead_letters}
    )

    async def zone_gauges() -> None:
        """Active stationary-group alerts."""
        metrics.active_alerts.labels(DOMAIN, STATIONARY_CLUSTER).set(zones.active)

    keyed_agent(
        ctx,
        AGENT_NAMES[1],
        presence,
        zones.handle,
        zones,
        zone_table,
        zone_sender,
        on_tick=zone_gauges,
        key_field="zone_id",
    )
    return workers, zones
