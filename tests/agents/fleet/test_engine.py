"""The vehicle engine on a synthetic road: learning, episodes, alerts, commands, verdicts."""

from __future__ import annotations

import orjson
import pytest

from agents.fleet.vehicle_state import VehicleState
from app.core import OFFLINE, RecordMeta
from schemas import ValidationError
from schemas.vehicle import AreaContext, DispatcherVerdict, Geofence
from tests.agents.fleet.helpers import (
    DAY,
    LAT,
    LON_EAST,
    LON_WEST,
    T0,
    detour_leg,
    drive,
    engine,
    fix,
    routine_day,
    warmed_engine,
)
from tests.outputs import rejection, wire

META = RecordMeta("telemetry", "telemetry", 0, OFFLINE, b"truck-1")


def _run(eng, fixes):
    out = []
    for f in fixes:
        out.extend(eng.feed_fix(f))
    return out


def _records(emits, topic):
    return [wire(e) for e in emits if e.topic == topic]


def bypass_leg(t: float) -> list:
    """A drive that leaves the road ~1 km north and comes back to it 3 km further on."""
    north = LAT + 0.009
    leg = list(drive(t, LAT, LON_WEST, north, LON_WEST + 0.01))
    leg += list(drive(leg[-1].ts, north, LON_WEST + 0.01, LAT, LON_WEST + 0.04))
    leg += list(drive(leg[-1].ts, LAT, LON_WEST + 0.04, LAT, LON_EAST))
    return leg


def test_routine_days_produce_no_episode_and_learn_a_compact_corridor():
    eng = warmed_engine(days=8)
    state = eng.state_of("truck-1")
    assert state is not None and state.open is None
    assert not state.recent
    assert state.corridor.routes[0].days == 8
    assert len(state.to_bytes()) < 2048


def test_state_bytes_round_trip_to_the_same_state():
    eng = warmed_engine(days=5)
    state = eng.state_of("truck-1")
    data = state.to_bytes()
    assert VehicleState.from_bytes(data).to_bytes() == data


def test_unreadable_state_bytes_raise_value_error():
    try:
        VehicleState.from_bytes(b"\x01\x00garbage")
    except ValueError:
        return
    raise AssertionError("corrupt state decoded")


def test_off_hours_trip_without_assignment_alerts_and_asks_to_confirm_immobilizer():
    eng = warmed_engine(days=5)
    t = T0 + 5 * DAY + 23 * 3600.0
    trip = list(drive(t, LAT, LON_WEST, LAT + 0.03, LON_WEST, route=None, shift=None))
    emits = _run(eng, trip)
    episodes = _records(emits, "episodes")
    assert episodes and episodes[-1]["status"] == "ongoing"
    assert episodes[-1]["label"] == "unauthorized"
    assert any("without an assigned route" in r for r in episodes[-1]["reasons"])
    alerts = _records(emits, "alerts")
    assert [a["state"] for a in alerts] == ["raised"]
    assert alerts[0]["alert_type"] == "unauthorized_use"
    assert alerts[0]["evidence"]["reasons"]
    commands = _records(emits, "commands")
    assert {c["action"] for c in commands} == {"notify"}
    assert any(c["params"].get("immobilizer_confirmation_requested") == 1.0 for c in commands)
    assert all(c["action"] != "stop" for c in commands)


def test_detour_is_provisional_then_traffic_when_other_vehicles_deviate_nearby():
    eng = warmed_engine(days=5)
    t = T0 + 5 * DAY + 8 * 3600.0
    north = LAT + 0.009  # ~1 km north of the road
    leg = list(drive(t, LAT, LON_WEST, LAT, LON_WEST + 0.01))
    leg += list(drive(leg[-1].ts, LAT, LON_WEST + 0.01, north, LON_WEST + 0.015))
    leg += list(drive(leg[-1].ts, north, LON_WEST + 0.015, north, LON_WEST + 0.04))
    leg += list(drive(leg[-1].ts, north, LON_WEST + 0.04, LAT, LON_WEST + 0.045))
    leg += list(drive(leg[-1].ts, LAT, LON_WEST + 0.045, LAT, LON_EAST))
    emits = _run(eng, leg)
    closed = [e for e in _records(emits, "episodes") if e["status"] != "ongoing"]
    assert len(closed) == 1
    episode = closed[0]
    assert episode["status"] == "provisional" and episode["label"] == "normal"
    assert episode["features"]["max_off_corridor_m"] >= 600
    notices = _records(emits, "area_notices")
    assert len(notices) >= 4 and {n["episode_id"] for n in notices} == {episode["episode_id"]}
    assert len({n["area_id"] for n in notices}) == len(notices)
    assert all(n["rejoin_lat"] is not None and n["rejoin_lon"] is not None for n in notices)
    context = AreaContext("truck-1", episode["episode_id"], notices[0]["area_id"], 2, leg[-1].ts)
    revised = _records(eng.feed_context(context), "episodes")
    assert revised[0]["label"] == "traffic_detour" and revised[0]["status"] == "final"
    assert revised[0]["revision"] > episode["revision"]
    assert any("other vehicle" in r for r in revised[0]["reasons"])
    assert eng.feed_context(context) == []


def test_detour_without_area_context_becomes_final_after_the_hold():
    eng = warmed_engine(days=5)
    t = T0 + 5 * DAY + 8 * 3600.0
    leg = detour_leg(t)
    _run(eng, leg)
    later = [f for f in routine_day(6) if f.ts > leg[-1].ts + 3 * 3600.0]
    finals = [e for e in _records(_run(eng, later), "episodes") if e["status"] == "final"]
    assert [e["label"] for e in finals] == ["normal"]


def test_long_stop_at_an_unknown_place_is_unauthorized():
    eng = warmed_engine(days=5)
    t = T0 + 5 * DAY + 8 * 3600.0
    leg = list(drive(t, LAT, LON_WEST, LAT, LON_WEST + 0.03))
    t = leg[-1].ts
    leg += [fix(t + k * 300.0, LAT, LON_WEST + 0.03, 0.0, ignition=False) for k in range(1, 19)]
    leg += list(drive(leg[-1].ts, LAT, LON_WEST + 0.03, LAT, LON_EAST))
    closed = [e for e in _records(_run(eng, leg), "episodes") if e["status"] == "final"]
    assert closed and closed[-1]["label"] == "unauthorized"
    assert closed[-1]["features"]["stop_unknown_min"] >= 45


def test_restricted_zone_entry_emits_geofence_events_and_an_alert():
    eng = warmed_engine(days=5)
    zone = Geofence("zone-1", "restricted", LAT + 0.018, LON_WEST + 0.02, 300.0)
    eng.geofences.upsert(zone)
    t = T0 + 5 * DAY + 9 * 3600.0
    leg = list(drive(t, LAT, LON_WEST + 0.02, LAT + 0.018, LON_WEST + 0.02))
    leg += list(drive(leg[-1].ts, LAT + 0.018, LON_WEST + 0.02, LAT, LON_WEST + 0.02))
    leg += list(drive(leg[-1].ts, LAT, LON_WEST + 0.02, LAT, LON_EAST))
    emits = _run(eng, leg)
    events = _records(emits, "geofence_events")
    assert [e["event"] for e in events if e["geofence_id"] == "zone-1"] == ["entered", "left"]
    alerts = [a for a in _records(emits, "alerts") if a["alert_type"] == "restricted_zone_entry"]
    assert [a["state"] for a in alerts] == ["raised", "cleared"]
    episodes = _records(emits, "episodes")
    assert episodes[-1]["status"] == "final" and episodes[-1]["label"] == "unauthorized"
    assert episodes[-1]["features"]["restricted"] == 1.0
    assert any("restricted" in r for r in episodes[-1]["reasons"])


def test_verdict_teaches_the_classifier_once():
    eng = warmed_engine(days=5)
    t = T0 + 5 * DAY + 8 * 3600.0
    leg = bypass_leg(t)
    _run(eng, leg)
    _run(eng, routine_day(6))  # the hold passes: the episode becomes final
    record = eng.state_of("truck-1").recent[-1]
    assert record.status == "final"
    verdict = DispatcherVerdict(
        "v-1", "truck-1", leg[-1].ts + 600, record.start_ts, record.end_ts, "traffic_detour"
    )
    before = eng.classifier.probabilities_of(record.features)["traffic_detour"]
    eng.feed_verdict(verdict)
    eng.feed_verdict(verdict)
    assert eng.classifier.updates == 1
    assert eng.classifier.probabilities_of(record.features)["traffic_detour"] > before
    assert eng.stats.verdicts == 2 and eng.stats.verdicts_unmatched == 0


def test_verdict_arriving_before_its_episode_closes_waits_for_it():
    eng = warmed_engine(days=5)
    t = T0 + 5 * DAY + 8 * 3600.0
    leg = bypass_leg(t)
    _run(eng, leg[:4])
    early = DispatcherVerdict("v-2", "truck-1", leg[-1].ts, t, leg[-1].ts, "traffic_detour")
    eng.feed_verdict(early)
    assert eng.classifier.updates == 0
    assert eng.state_of("truck-1").pending_verdicts
    emits = _run(eng, leg[4:])
    assert eng.classifier.updates == 0  # provisional: waiting for the area context
    (notice, *_) = _records(emits, "area_notices")
    eng.feed_context(AreaContext("truck-1", notice["episode_id"], notice["area_id"], 1, t))
    assert eng.classifier.updates == 1
    assert not eng.state_of("truck-1").pending_verdicts


def test_verdict_for_an_episode_the_vehicle_never_had_is_given_up_a_day_later():
    eng = warmed_engine(days=5)
    t = T0 + 5 * DAY + 3 * 3600.0
    eng.feed_verdict(DispatcherVerdict("v-3", "truck-1", t, t, t + 600, "unauthorized"))
    assert eng.stats.verdicts_unmatched == 0
    _run(eng, routine_day(5))
    _run(eng, routine_day(6))
    assert eng.stats.verdicts_unmatched == 1 and eng.classifier.updates == 0


def test_bad_input_becomes_dead_letters_with_reasons():
    eng = engine()
    raws = {
        b"{": "malformed_json",
        b'{"vehicle_id": "truck-1", "ts": 1.76e9, "lat": 45, "lon": 7}': "missing_field",
        orjson.dumps(
            {
                "vehicle_id": "truck-1",
                "ts": 1.76e9,
                "lat": 45,
                "lon": 7,
                "speed_kmh": -1,
                "heading_deg": 0,
                "ignition": True,
            }
        ): "out_of_range",
        orjson.dumps(
            {
                "vehicle_id": "truck-1",
                "ts": 1.76e9,
                "lat": 45,
                "lon": 7,
                "speed_kmh": 1,
                "heading_deg": 0,
                "ignition": "yes",
            }
        ): "wrong_type",
    }
    for raw, reason in raws.items():
        (emit,) = eng.handle(raw, META)
        assert rejection(emit) == ("telemetry", reason)
    (emit,) = eng.handle(b'{"label": "x"}', RecordMeta("verdicts", "verdicts", 0, 1, b"truck-1"))
    assert emit.topic == "dead_letters"
    (emit,) = eng.handle(b"[1]", RecordMeta("context", "context", 0, 2, b"truck-1"))
    assert rejection(emit) == ("context", "not_an_object")
    context = {"vehicle_id": "truck-1", "episode_id": "e", "area_id": "area:1:1", "ts": 1.7e9}
    for changes, reason in (
        ({"other_vehicles": "2"}, "wrong_type"),
        ({"other_vehicles": 1, "vehicle_id": 5}, "bad_id"),
        ({"other_vehicles": 1, "final": "no"}, "wrong_type"),
    ):
        raw = orjson.dumps({**context, **changes})
        (emit,) = eng.handle(raw, RecordMeta("context", "context", 0, 3, b"truck-1"))
        assert rejection(emit) == ("context", reason)


def test_a_geofence_tombstone_deletes_the_fence_and_a_mismatched_key_is_rejected():
    eng = engine()
    fence = Geofence("zone-9", "restricted", LAT, LON_WEST, 300.0)
    eng.apply_geofence(b"zone-9", fence.to_json())
    assert eng.geofences.get("zone-9") is not None
    eng.apply_geofence(b"zone-9", None)
    assert eng.geofences.get("zone-9") is None
    with pytest.raises(ValidationError, match="differs from the message key"):
        eng.apply_geofence(b"zone-8", fence.to_json())


def test_redelivered_fixes_are_ignored():
    eng = warmed_engine(days=5)
    day = routine_day(5)
    _run(eng, day)
    before = eng.state_of("truck-1").to_bytes()
    assert _run(eng, day[:5]) == []
    assert eng.state_of("truck-1").to_bytes() == before
    assert eng.stats.stale == 5


def test_after_the_hold_the_vehicle_probes_its_areas_and_their_answers_decide():
    eng = warmed_engine(days=5)
    t = T0 + 5 * DAY + 8 * 3600.0
    leg = detour_leg(t)
    _run(eng, leg)
    later = [f for f in routine_day(5) if f.ts > leg[-1].ts]
    later += list(drive(leg[-1].ts + 3.5 * 3600, LAT, LON_EAST, LAT, LON_WEST))
    emits = _run(eng, later)
    probes = [n for n in _records(emits, "area_notices") if n["probe"]]
    assert len(probes) >= 4 and len({p["area_id"] for p in probes}) == len(probes)
    assert not [e for e in _records(emits, "episodes") if e["status"] == "final"]
    decided = []
    for i, probe in enumerate(probes):
        answer = AreaContext(
            "truck-1", probe["episode_id"], probe["area_id"], 2 if i == 1 else 0, t, final=True
        )
        decided += _records(eng.feed_context(answer), "episodes")
    assert [(e["status"], e["label"]) for e in decided] == [
        ("final", "traffic_detour"),
    ]
