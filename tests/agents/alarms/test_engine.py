"""The alarm engine: alerts and operator actions from topics in, transitions and labels out."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from agents.alarms.alarm import AlarmPolicy
from agents.alarms.engine import (
    ACTIONS,
    ALERTS,
    LABELS,
    PENDING_ACTION_S,
    AlarmEngine,
    AssetAlarms,
)
from app.core import Output, RecordMeta, StreamLimits
from schemas import decode_maintenance
from tests.outputs import records as wire_records

T0 = 1_700_000_000.0
TOPICS = {ALERTS: "alerts.t", ACTIONS: "acks.t"}
MOTOR = "motor-7"


class Clock:
    """A settable wall clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def engine(clock: Clock, store: dict[str, bytes] | None = None) -> AlarmEngine:
    table = store if store is not None else {}
    return AlarmEngine(
        AlarmPolicy(escalate_after_s=60.0, max_escalations=2),
        table.get,
        StreamLimits(min_event_time=946684800.0, max_future_skew_s=300.0),
        clock,
    )


def alert(state: str, ts: float, severity: str = "critical", **changes: Any) -> bytes:
    record: dict[str, Any] = {
        "v": 1,
        "alert_id": "a-motor-7",
        "domain": "maintenance",
        "alert_type": "bearing_failure_risk",
        "asset_id": MOTOR,
        "severity": severity,
        "state": state,
        "ts": ts,
        "first_ts": T0 - 3600.0,
        "score": 0.9,
        "threshold": 0.6,
        "message": "bearing risk",
        "evidence": {"top_features": [], "model_version": "m", "asset_class": "ac-7.5kw"},
    }
    record.update(changes)
    return orjson.dumps(record)


def action(kind: str, ack_id: str, ts: float, **changes: Any) -> bytes:
    record: dict[str, Any] = {
        "ack_id": ack_id,
        "alert_id": "a-motor-7",
        "asset_id": MOTOR,
        "action": kind,
        "by": "alice",
        "ts": ts,
    }
    record.update(changes)
    return orjson.dumps(record)


def meta(name: str, offset: int, kafka_ts: float = 0.0, key: str = MOTOR) -> RecordMeta:
    return RecordMeta(name, TOPICS[name], 3, offset, key.encode(), timestamp=kafka_ts)


def records(outputs: list[Output], topic: str = ALERTS) -> list[dict[str, Any]]:
    return wire_records(outputs, topic)


def test_acknowledge_writes_one_transition_with_who_and_when():
    clock = Clock(T0)
    e = engine(clock)
    assert e.handle(alert("raised", T0 - 5.0), meta(ALERTS, 1, T0)) == []
    out = e.handle(action("acknowledge", "k1", T0 + 30.0), meta(ACTIONS, 1))
    (record,) = records(out)
    assert record["state"] == "acknowledged" and record["by"] == "alice"
    assert record["ts"] == T0 + 30.0 and record["transition_id"]
    assert (out[0].key, record["domain"], record["alert_type"]) == (
        MOTOR,
        "maintenance",
        "bearing_failure_risk",
    )
    assert e.handle(action("acknowledge", "k1", T0 + 30.0), meta(ACTIONS, 1)) == []  # redelivery
    assert e.replayed == 1
    assert e.handle(action("acknowledge", "k1", T0 + 30.0), meta(ACTIONS, 2)) == []  # sent twice
    assert e.actions[("acknowledge", "duplicate")] == 1


def test_own_transitions_on_the_alerts_topic_are_skipped_not_looped():
    clock = Clock(T0)
    e = engine(clock)
    e.handle(alert("raised", T0 - 5.0), meta(ALERTS, 1, T0))
    (own,) = e.handle(action("acknowledge", "k1", T0 + 1.0), meta(ACTIONS, 1))
    assert e.handle(own.encode()[1], meta(ALERTS, 2, T0 + 2.0)) == []
    assert e.skipped_own == 1


def test_unacknowledged_critical_alarm_escalates_on_the_timer_until_acknowledged():
    clock = Clock(T0)
    e = engine(clock)
    e.handle(alert("raised", T0 - 5.0), meta(ALERTS, 1, T0))
    clock.now = T0 + 59.0
    assert e.tick() == []
    clock.now = T0 + 61.0
    (first,) = records(e.tick())
    assert (first["state"], first["level"], first["ts"]) == ("escalated", 1, T0 + 60.0)
    e.handle(action("acknowledge", "k1", T0 + 70.0), meta(ACTIONS, 1))
    clock.now = T0 + 10_000.0
    assert e.tick() == [], "acknowledging stopped re-notification"


def test_inspection_outcome_on_a_maintenance_alarm_is_a_delayed_label():
    clock = Clock(T0)
    e = engine(clock)
    e.handle(alert("raised", T0 - 5.0), meta(ALERTS, 1, T0))
    out = e.handle(
        action("outcome", "k9", T0 + 100.0, outcome="fault_confirmed", note="outer race"),
        meta(ACTIONS, 1),
    )
    (record,) = records(out)
    assert record["state"] == "inspected" and record["outcome"] == "fault_confirmed"
    (label,) = [x for x in out if x.topic == LABELS]
    assert label.key == MOTOR
    event = decode_maintenance(
        label.encode()[1], now=T0 + 100.0, min_event_time=946684800.0, max_future_skew_s=300.0
    )
    assert (event.kind, event.outcome, event.asset_class) == (
        "inspection",
        "fault_confirmed",
        "ac-7.5kw",
    )
    assert event.ts == T0 + 100.0 and event.note == "outer race"


def test_an_action_that_does_not_apply_is_dead_lettered_with_the_reason():
    clock = Clock(T0)
    e = engine(clock)
    e.handle(alert("raised", T0 - 5.0), meta(ALERTS, 1, T0))
    e.handle(action("outcome", "k1", T0 + 1.0, outcome="no_fault_found"), meta(ACTIONS, 1))
    out = e.handle(action("outcome", "k2", T0 + 2.0, outcome="fault_confirmed"), meta(ACTIONS, 2))
    (letter,) = records(out, "dead_letters")
    assert letter["reason"] == "not_applicable" and "already recorded" in letter["detail"]


def test_invalid_actions_and_mis_keyed_actions_are_dead_lettered():
    clock = Clock(T0)
    e = engine(clock)
    bad = e.handle(action("shelve", "k1", T0), meta(ACTIONS, 1))
    assert records(bad, "dead_letters")[0]["reason"] == "missing_field"
    wrong_key = e.handle(action("acknowledge", "k2", T0), meta(ACTIONS, 2, key="motor-8"))
    assert records(wrong_key, "dead_letters")[0]["reason"] == "bad_id"
    garbage = e.handle(b"{not json", meta(ALERTS, 3))
    assert records(garbage, "dead_letters")[0]["reason"] == "malformed_json"


def test_an_action_before_its_alert_waits_then_applies_or_expires():
    clock = Clock(T0)
    e = engine(clock)
    assert e.handle(action("acknowledge", "k1", T0), meta(ACTIONS, 1)) == []
    out = e.handle(alert("raised", T0 - 5.0), meta(ALERTS, 1, T0 + 1.0))
    assert [r["state"] for r in records(out)] == ["acknowledged"]
    e.handle(action("acknowledge", "k2", T0, alert_id="never-raised"), meta(ACTIONS, 2))
    clock.now = T0 + PENDING_ACTION_S + 1.0
    (letter,) = records(e.tick(), "dead_letters")
    assert letter["reason"] == "not_applicable" and "never-raised" in letter["detail"]


def test_a_restarted_engine_escalates_stored_alarms_of_quiet_assets():
    clock = Clock(T0)
    store: dict[str, bytes] = {}
    first = engine(clock, store)
    first.handle(alert("raised", T0 - 5.0), meta(ALERTS, 1, T0))
    for key, _, state in first.cache.take_dirty():
        store[key] = state
    restarted = engine(clock, store)
    assert restarted.reload([(MOTOR, 3), ("never-stored", 5)]) == 1
    assert restarted.watched == 1
    clock.now = T0 + 61.0
    assert [r["level"] for r in records(restarted.tick())] == [1]


def test_reprocessing_the_same_input_emits_the_same_records():
    def run() -> list[bytes]:
        clock = Clock(T0)
        e = engine(clock)
        out = e.handle(alert("raised", T0 - 5.0), meta(ALERTS, 1, T0))
        out += e.handle(action("shelve", "k1", T0 + 5.0, shelve_s=30.0), meta(ACTIONS, 1))
        clock.now = T0 + 200.0
        out += e.tick()
        out += e.handle(action("note", "k2", T0 + 210.0, note="n"), meta(ACTIONS, 2))
        return [b"".join(x or b"" for x in o.encode()) for o in out]

    assert run() == run()


def test_state_codec_round_trip_and_refusal():
    clock = Clock(T0)
    e = engine(clock)
    e.handle(alert("raised", T0 - 5.0), meta(ALERTS, 1, T0))
    state = e.state_of(MOTOR)
    assert state is not None
    again = AssetAlarms.from_bytes(state.to_bytes())
    assert again.alarms == state.alarms
    with pytest.raises(ValueError, match="version"):
        AssetAlarms.from_bytes(b'{"v": 99}')
