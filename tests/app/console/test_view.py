"""The console's live view folds every followed topic into bounded, privacy-safe sections."""

from __future__ import annotations

import orjson
import pytest

from agents.alarms.alarm import Alarm
from agents.alarms.figures import AlarmFigures
from agents.safety.site_map import load_site_map
from app.console.redact import REDACTED, Redactor
from app.console.view import HISTORY_POINTS, ConsoleView, Section, SkippedRecord
from tests.app.console.records import T0, WORKER, alert, episode, fix, prediction, presence

NOW = T0 + 60.0


def view() -> ConsoleView:
    return ConsoleView(
        site_map=load_site_map(""),
        figures=AlarmFigures(flood_threshold=2),
        redactor=Redactor(["heart_rate_bpm", "ecg"]),
    )


def apply(v: ConsoleView, kind: str, value: bytes | None, ts: float = T0, key: bytes | None = None):
    return v.apply(kind, key, value, ts, NOW)


def handled(alarm: Alarm, kind: str, cause: str, **facts) -> bytes:
    from agents.alarms.alarm import AlarmTransition, Transition, transition_id

    t = Transition(
        AlarmTransition(kind),
        transition_id(alarm.alert_id, kind, cause),
        facts.pop("ts", T0 + 30.0),
        facts.pop("by", "alice"),
        **facts,
    )
    return orjson.dumps(alarm.transition_record(t))


def test_an_alert_becomes_an_unacknowledged_alarm_and_an_ack_transition_acknowledges_it():
    v = view()
    changed = apply(v, "alerts", alert(), ts=T0 + 1.0)
    assert changed == {Section.ALARMS, Section.FIGURES, Section.SAFETY}
    (row,) = v.section("alarms", NOW)["alarms"]
    assert row["phase"] == "unacknowledged" and row["raised_at"] == T0 + 1.0
    alarm = v.alarm("a1")
    assert alarm is not None
    apply(v, "alerts", handled(alarm, "acknowledged", "k1"), ts=T0 + 31.0)
    (row,) = v.section("alarms", NOW)["alarms"]
    assert (row["phase"], row["acked_by"]) == ("acknowledged", "alice")
    figures = v.section("figures", NOW)
    assert figures["ack_median_s"] == 29.0 and figures["unacknowledged"] == 0


def test_an_operator_action_is_pending_until_its_transition_arrives():
    v = view()
    apply(v, "alerts", alert())
    action = orjson.dumps(
        {
            "ack_id": "k1",
            "alert_id": "a1",
            "asset_id": WORKER,
            "action": "acknowledge",
            "by": "bob",
            "ts": T0 + 5.0,
        }
    )
    assert apply(v, "alert_acks", action) == {Section.ALARMS}
    assert apply(v, "alert_acks", action) == set(), "the same action is pending once"
    (row,) = v.section("alarms", T0 + 10.0)["alarms"]
    assert row["pending"] == [
        {
            "transition_id": row["pending"][0]["transition_id"],
            "action": "acknowledge",
            "by": "bob",
            "at": T0 + 5.0,
            "late": False,
        }
    ]
    assert v.section("alarms", T0 + 500.0)["alarms"][0]["pending"][0]["late"] is True
    alarm = v.alarm("a1")
    assert alarm is not None
    apply(v, "alerts", handled(alarm, "acknowledged", "k1", by="bob"))
    assert v.section("alarms", NOW)["alarms"][0]["pending"] == []


def test_cleared_and_acknowledged_alarms_close_and_sort_after_open_ones():
    v = view()
    apply(v, "alerts", alert("a1"))
    apply(v, "alerts", alert("a2", severity="warning"))
    first = v.alarm("a1")
    assert first is not None
    apply(v, "alerts", handled(first, "acknowledged", "k"))
    apply(v, "alerts", alert("a1", "cleared", ts=T0 + 40.0))
    rows = v.section("alarms", NOW)
    assert [(r["alert_id"], r["phase"]) for r in rows["alarms"]] == [
        ("a2", "unacknowledged"),
        ("a1", "cleared"),
    ]
    assert rows["open"] == 1


def test_transitions_of_alarms_never_seen_and_broken_records_are_skipped_with_reasons():
    v = view()
    alarm = Alarm.from_condition(orjson.loads(alert("zz")), T0)
    with pytest.raises(SkippedRecord) as skipped:
        apply(v, "alerts", handled(alarm, "acknowledged", "k"))
    assert skipped.value.reason == "unknown_alarm"
    with pytest.raises(SkippedRecord) as broken:
        apply(v, "alerts", b"{oops")
    assert broken.value.reason == "malformed_json"
    with pytest.raises(SkippedRecord) as bad_fix:
        apply(v, "fleet_telemetry", fix("truck-1", T0 + 9999.0))
    assert bad_fix.value.reason == "timestamp_in_future"


def test_maintenance_rows_sort_by_risk_and_history_is_bounded():
    v = view()
    for i in range(HISTORY_POINTS + 50):
        apply(v, "predictions", prediction("m-1", T0 + i * 600.0, 0.2))
    apply(v, "predictions", prediction("m-2", T0, 0.9))
    apply(v, "predictions", prediction("m-3", T0, 0.5, risk_score=None, failure_probability=0.7))
    apply(v, "alerts", alert("am", domain="maintenance", alert_type="r", asset_id="m-2"))
    rows = v.section("maintenance", NOW)["assets"]
    assert [(r["asset_id"], r["risk"]) for r in rows] == [("m-2", 0.9), ("m-3", 0.7), ("m-1", 0.2)]
    assert rows[0]["alarm"] == "unacknowledged" and rows[1]["alarm"] is None
    history = v.asset_history("m-1")
    assert history is not None and len(history["ts"]) == HISTORY_POINTS
    assert history["ts"][-1] == T0 + (HISTORY_POINTS + 49) * 600.0
    assert v.asset_history("nope") is None


def test_fleet_keeps_the_newest_revision_positions_geofences_and_verdicts():
    v = view()
    apply(v, "fleet_episodes", episode(revision=2, status="provisional"))
    assert apply(v, "fleet_episodes", episode(revision=1)) == set()
    apply(v, "fleet_telemetry", fix("truck-1", T0))
    apply(v, "fleet_telemetry", fix("truck-1", T0 - 10.0, lat=0.0))
    fence = orjson.dumps(
        {"geofence_id": "d1", "kind": "depot", "lat": 52.5, "lon": 13.4, "radius_m": 100}
    )
    apply(v, "fleet_geofences", fence)
    verdict = orjson.dumps(
        {
            "verdict_id": "v1",
            "vehicle_id": "truck-1",
            "ts": T0,
            "episode_start_ts": T0 - 600.0,
            "episode_end_ts": T0,
            "label": "traffic_detour",
            "episode_id": "ep-1",
            "by": "dispatcher",
        }
    )
    apply(v, "fleet_verdicts", verdict)
    fleet = v.section("fleet", NOW)
    (ep,) = fleet["episodes"]
    assert (ep["status"], ep["verdict"]["label"], ep["verdict"]["by"]) == (
        "provisional",
        "traffic_detour",
        "dispatcher",
    )
    assert [(x["vehicle_id"], x["lat"]) for x in fleet["vehicles"]] == [("truck-1", 52.5)]
    assert [g["geofence_id"] for g in fleet["geofences"]] == ["d1"]
    assert apply(v, "fleet_geofences", None, key=b"d1") == {Section.FLEET}
    assert v.section("fleet", NOW)["geofences"] == []


def test_safety_shows_pseudonymous_positions_and_a_worker_leaving_a_zone():
    v = view()
    apply(v, "zone_presence", presence())
    safety = v.section("safety", NOW)
    assert [w["worker"] for w in safety["workers"]] == [WORKER]
    assert {z["id"] for z in safety["site"]["zones"]} >= {"crane-lift", "excavation"}
    apply(v, "zone_presence", presence(state="left", ts=T0 + 1.0))
    assert v.section("safety", NOW)["workers"] == []
    with pytest.raises(SkippedRecord) as raw_id:
        apply(v, "zone_presence", presence(worker="john.smith"))
    assert raw_id.value.reason == "bad_id"


def test_no_raw_identity_or_biometric_reaches_the_page():
    v = view()
    evidence = {
        "top_features": [{"name": "hr_ratio", "value": 1.4, "baseline": 1.1, "z": 2.5}],
        "model_version": "m",
        "heart_rate_bpm": 131,
        "workers": [{"worker_id": "john.smith", "stationary_s": 200}, {"worker_id": WORKER}],
    }
    apply(
        v,
        "alerts",
        alert(alert_type="worker_fatigue", asset_id="john.smith", evidence=evidence),
    )
    page = orjson.dumps(v.section("alarms", NOW)).decode()
    assert "john.smith" not in page and "131" not in page and "heart_rate_bpm" not in page
    (row,) = v.section("alarms", NOW)["alarms"]
    assert row["asset_id"] == REDACTED
    feature = row["evidence"]["top_features"][0]
    assert (feature["value"], feature["baseline"], feature["z"]) == (0.0, 0.0, 2.5)
    assert row["evidence"]["workers"][0]["worker_id"] == REDACTED
    assert row["evidence"]["workers"][1]["worker_id"] == WORKER


def test_safety_commands_do_not_show_the_wearable_device():
    v = view()
    command = {
        "command_id": "c1",
        "asset_id": "wearable-0042",
        "action": "alarm",
        "reason": "man down",
        "source": "safety",
        "trigger_ts": T0,
        "issued_at": T0,
    }
    apply(v, "commands", orjson.dumps(command))
    apply(v, "command_acks", orjson.dumps({"command_id": "c1", "status": "done"}))
    (row,) = v.section("commands", NOW)["commands"]
    assert (row["asset_id"], row["status"]) == ("wearable", "done")


def test_an_action_the_alarm_state_made_moot_is_no_longer_pending():
    v = view()
    apply(v, "alerts", alert())
    alarm = v.alarm("a1")
    assert alarm is not None
    second = orjson.dumps(
        {
            "ack_id": "k2",
            "alert_id": "a1",
            "asset_id": WORKER,
            "action": "acknowledge",
            "by": "bob",
            "ts": T0 + 5.0,
        }
    )
    apply(v, "alert_acks", second)
    assert v.pending_actions("a1", T0 + 6.0)
    apply(v, "alerts", handled(alarm, "acknowledged", "k1"))  # alice was first
    assert v.pending_actions("a1", T0 + 6.0) == []
