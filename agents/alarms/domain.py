"""The alarms domain as the runtime sees it: one agent handling every domain's alarms.

One agent, ``alarms``, reads the shared alerts topic and the operator actions of the acks
topic (``AIOT_TOPIC_ALERT_ACKS``), both keyed by the alert's asset on the keyed partition
count, so an asset's alerts and the actions on them meet on one worker, through
:class:`~agents.alarms.engine.AlarmEngine`, with each asset's alarms in the ``alarm_state``
table. It writes the alarm-handling transitions back to the alerts topic, inspection outcomes
of maintenance alarms to the maintenance events topic (``AIOT_TOPIC_ALARM_LABELS``) and
refused actions to the dead letters. Its engine's tick (the worker's timer) unshelves and
escalates on wall-clock deadlines, and the agent asks the runtime to reload its stored alarms
after every assignment, so a quiet asset's alarm still escalates after a restart.

It depends on no other domain's code: alerts are the shared record every domain writes.
"""

from __future__ import annotations

from collections.abc import Mapping

from agents.alarms.alarm import ALARM_TRANSITIONS, AlarmPolicy
from agents.alarms.engine import ACTIONS, ALERTS, LABELS, AlarmEngine
from agents.alarms.settings import AlarmSettings
from app.core import Output
from app.core.domain import AgentPlan, Domain, DomainContext, DomainPlan, Topic
from schemas import Alert

__all__ = ["ALARMS", "DOMAIN"]

DOMAIN = "alarms"
AGENT = "alarms"
STATE_TABLE = "alarm_state"
ACKS = "alert_acks"


def topics(settings: AlarmSettings) -> Mapping[str, Topic]:
    """The alarm topics: operator actions, and the maintenance topic inspection labels go to."""
    return {
        ACKS: Topic(settings.topic_alert_acks),
        LABELS: Topic(settings.topic_alarm_labels),
    }


def declare(ctx: DomainContext[AlarmSettings]) -> DomainPlan:
    """The alarms agent, its transition counts and the alarm gauges."""
    settings = ctx.settings
    engine = AlarmEngine(
        AlarmPolicy(settings.alarm_escalate_after_s, settings.alarm_max_escalations),
        ctx.table(STATE_TABLE, "Per-asset alarm states (ISA-18.2 handling)."),
        ctx.limits,
        ctx.clock,
    )
    metrics = ctx.metrics
    exported: dict[tuple[str, str], int] = {}

    def count(output: Output) -> None:
        """Alarm-handling transitions written to the alerts topic, by domain, type, kind."""
        record = output.value
        if isinstance(record, Alert) and record.state in ALARM_TRANSITIONS:
            metrics.alarm_transitions.labels(record.domain, record.alert_type, record.state).inc()

    def gauges() -> list[Output]:
        """Unacknowledged alarms and operator actions by result, for Prometheus."""
        metrics.alarms_unacknowledged.clear()
        for domain, n in engine.unacknowledged().items():
            metrics.alarms_unacknowledged.labels(domain).set(n)
        for labels, n in engine.actions.items():
            delta = n - exported.get(labels, 0)
            if delta > 0:
                metrics.alarm_actions.labels(*labels).inc(delta)
                exported[labels] = n
        return []

    return DomainPlan(
        agents=(
            AgentPlan(
                name=AGENT,
                engine=engine,
                inputs={ALERTS: ALERTS, ACTIONS: ACKS},
                table=STATE_TABLE,
                key_field="asset_id",
                count=count,
                reload=True,
            ),
        ),
        tick=gauges,
    )


ALARMS: Domain[AlarmSettings] = Domain(
    name=DOMAIN, settings=AlarmSettings, topics=topics, declare=declare
)
