"""The alarms domain's declaration: its topics, one reloading agent, counts and gauges."""

from __future__ import annotations

import orjson

from agents.alarms.domain import ALARMS
from agents.alarms.engine import ACTIONS, ALERTS, LABELS
from agents.alarms.settings import AlarmSettings
from agents.maintenance.settings import MaintenanceSettings
from app.core import RecordMeta, StreamLimits
from app.core.domain import DomainContext
from app.core.metrics import Metrics

T0 = 1_700_000_000.0


def declared(settings: AlarmSettings | None = None):
    metrics = Metrics()
    context = DomainContext(
        settings or AlarmSettings(),
        StreamLimits(),
        metrics,
        lambda name, help: {}.get,
        lambda: T0,
    )
    return ALARMS.declare(context), metrics


def test_inspection_labels_go_to_the_maintenance_events_topic_by_default():
    topics = ALARMS.topics(AlarmSettings())
    assert topics[LABELS].name == MaintenanceSettings().topic_maintenance
    assert topics["alert_acks"].name == "aiot.alerts.acks.v1" and topics["alert_acks"].keyed


def test_one_agent_reads_alerts_and_actions_and_asks_for_its_states_after_assignment():
    plan, _ = declared()
    (agent,) = plan.agents
    assert dict(agent.inputs) == {ALERTS: "alerts", ACTIONS: "alert_acks"}
    assert set(agent.engine.inputs) == {ALERTS, ACTIONS}
    assert agent.reload and agent.table == "alarm_state" and agent.key_field == "asset_id"


def test_transitions_are_counted_and_unacknowledged_alarms_gauged_by_domain():
    plan, metrics = declared()
    (agent,) = plan.agents
    raised = {
        "v": 1,
        "alert_id": "a-1",
        "domain": "safety",
        "alert_type": "man_down",
        "asset_id": "w-1",
        "severity": "critical",
        "state": "raised",
        "ts": T0 - 10.0,
        "first_ts": T0 - 10.0,
        "score": 1.0,
        "threshold": 1.0,
        "message": "down",
        "evidence": {},
    }
    agent.engine.handle(
        orjson.dumps(raised), RecordMeta(ALERTS, "alerts", 0, 1, b"w-1", timestamp=T0)
    )
    assert plan.tick is not None and plan.tick() == []
    text = metrics.render().decode()
    assert 'aiot_alarms_unacknowledged{domain="safety"} 1.0' in text
    ack = {
        "ack_id": "k1",
        "alert_id": "a-1",
        "asset_id": "w-1",
        "action": "acknowledge",
        "by": "ops",
        "ts": T0,
    }
    (output,) = agent.engine.handle(orjson.dumps(ack), RecordMeta(ACTIONS, "acks", 0, 1, b"w-1"))
    assert agent.count is not None
    agent.count(output)
    plan.tick()
    text = metrics.render().decode()
    assert (
        'aiot_alarm_transitions_total{alert_type="man_down",domain="safety",'
        'transition="acknowledged"} 1.0'
    ) in text
    assert 'aiot_alarm_actions_total{action="acknowledge",result="applied"} 1.0' in text
    assert 'aiot_alarms_unacknowledged{domain="safety"}' not in text
