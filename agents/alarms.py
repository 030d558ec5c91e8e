"""Faust glue of alarm handling (ISA-18.2): the ``alarms`` agent around the alarm engine.

The agent consumes the alerts topic and the operator-action topic (``alert_acks``), both keyed
by the alert's asset and co-partitioned, so with any number of workers each asset's alarms and
the actions on them are handled by one worker, and keeps each asset's alarms in the
``alarm_state`` table (written at once after every change). It writes the alarm-handling
transitions back to the alerts topic (the engine skips them on input), inspection outcomes of
maintenance alarms to the maintenance topic, and refused actions to the dead letters.

A one-second timer runs the engine's wall-clock deadlines (end of shelving, re-notification
and escalation of unacknowledged critical alarms). After partitions are assigned and the table
recovered, the timer first loads the stored alarms of those partitions, so an alarm escalates on
time after a restart or a rebalance even if its asset sends nothing new.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aiokafka.partitioner import murmur2

from agents.glue import EmitSender, keyed_agent, raw_topic, state_table, table_loader
from alerting.alarm import AlarmPolicy
from alerting.alarm_engine import LABELS, TRANSITIONS, AlarmEngine, AlarmInputs
from streams import Emit

if TYPE_CHECKING:
    from app.worker import WorkerContext

__all__ = ["AGENT_NAME", "DUE_INTERVAL_S", "register_alarms"]

log = logging.getLogger(__name__)

AGENT_NAME = "alarms"
DUE_INTERVAL_S = 1.0


def partition_of(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2, as aiokafka and Java use) gives
    ``key`` among ``partitions``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def register_alarms(ctx: WorkerContext) -> AlarmEngine:
    """Declare the alarm topics, table, agent and timers on ``ctx.app``."""
    app = ctx.app
    settings = ctx.settings
    metrics = ctx.metrics
    inputs = raw_topic(
        app, settings.topic_alerts, settings.topic_alert_acks, partitions=settings.partitions
    )
    table = state_table(ctx, "alarm_state", help="Per-asset alarm states (ISA-18.2 handling).")
    engine = AlarmEngine(
        AlarmPolicy(settings.alarm_escalate_after_s, settings.alarm_max_escalations),
        AlarmInputs(settings.topic_alerts, settings.topic_alert_acks),
        table_loader(table),
        min_event_time=settings.min_event_time,
        max_future_skew_s=settings.max_future_skew_s,
    )

    async def count(emit: Emit) -> None:
        if emit.topic == TRANSITIONS:
            metrics.alarm_transitions.labels(*emit.labels).inc()

    sender = EmitSender(
        ctx,
        AGENT_NAME,
        {
            TRANSITIONS: raw_topic(app, settings.topic_alerts),
            LABELS: raw_topic(app, settings.topic_maintenance),
            "dead_letters": raw_topic(app, settings.topic_dead_letters),
        },
        on_emit=count,
    )
    exported: dict[tuple[str, str], int] = {}
    adopt_pending = [True]

    async def gauges() -> None:
        """Unacknowledged alarms and operator actions by result, for Prometheus."""
        metrics.alarms_unacknowledged.clear()
        for domain, n in engine.unacknowledged().items():
            metrics.alarms_unacknowledged.labels(domain).set(n)
        for labels, n in engine.actions.items():
            delta = n - exported.get(labels, 0)
            if delta > 0:
                metrics.alarm_actions.labels(*labels).inc(delta)
                exported[labels] = n

    keyed_agent(ctx, AGENT_NAME, inputs, engine.handle, engine, table, sender, on_tick=gauges)

    async def on_assigned(sender_: Any, assigned: set[Any], **kwargs: Any) -> None:
        adopt_pending[0] = True

    app.on_partitions_assigned.connect(on_assigned)  # type: ignore[arg-type]

    @app.timer(interval=DUE_INTERVAL_S)
    async def alarm_deadlines() -> None:
        """Load stored alarms after an assignment, then send what the wall clock made due."""
        try:
            if adopt_pending[0] and ctx.recovery_done():
                adopt_pending[0] = False
                n = settings.partitions
                keys = [(bytes(k).decode(), partition_of(bytes(k), n)) for k in table]
                timed = engine.adopt(keys)
                log.info(
                    "alarms: %d stored asset states loaded, %d with deadlines", len(keys), timed
                )
            await sender.send(engine.due())
        except Exception:
            log.exception("alarm timer failed; retrying next interval")
            metrics.agent_errors.labels(f"{AGENT_NAME}_timer").inc()

    return engine
