"""The zone engine: stationary groups in high-risk zones, with who, where and how long."""

from __future__ import annotations

import base64

import orjson

from agents.safety.zone_engine import ZoneEngine
from agents.safety.zone_state import ZoneState
from app.edge.privacy import pseudonymise
from tests.agents.safety.support import SECRET, START, clock, config, limits, meta
from tests.outputs import wire

WORKERS = [pseudonymise(f"W-{i:04d}", SECRET) for i in range(1, 6)]

CRANE_META = meta("crane-lift", "presence")


def _presence(worker: str, ts: float, since: float, zone: str = "crane-lift", **changes) -> bytes:
    record = {
        "zone_id": zone,
        "worker_id": worker,
        "ts": ts,
        "state": "stationary",
        "since": since,
        "x_m": 140.0,
        "y_m": 20.0,
        "device_id": "wb-" + worker[-4:],
    }
    record.update(changes)
    return orjson.dumps(record)


def _run(engine: ZoneEngine, workers: list[str], zone: str = "crane-lift", until: float = 200):
    """Each worker stationary since START (+5 s apart), a record every 10 s to ``until``."""
    out = []
    for step in range(0, int(until) + 1, 10):
        for n, worker in enumerate(workers):
            ts = START + step + n
            out += engine.handle(_presence(worker, ts, START + 5 * n, zone), meta(zone, "presence"))
    return out


def _engine() -> ZoneEngine:
    return ZoneEngine(config(), limits(), lambda key: None, clock)


def test_k_workers_stationary_t_seconds_in_a_high_risk_zone_raise_one_alert():
    engine = _engine()
    out = _run(engine, WORKERS[:3])
    alerts = [wire(e) for e in out if e.topic == "alerts"]
    assert [a["state"] for a in alerts] == ["raised"]
    alert = alerts[0]
    assert alert["alert_type"] == "stationary_cluster" and alert["asset_id"] == "crane-lift"
    # the third worker (since START + 10) reaches T = 120 s with its record at START + 130 + 2
    assert alert["first_ts"] == START + 132
    evidence = alert["evidence"]
    assert {w["worker_id"] for w in evidence["workers"]} == set(WORKERS[:3])
    assert evidence["zone_risk"] == "high" and evidence["group_stationary_s"] >= 120.0
    commands = [wire(e) for e in out if e.topic == "commands"]
    assert sorted(c["asset_id"] for c in commands) == sorted("wb-" + w[-4:] for w in WORKERS[:3])
    assert all(c["action"] == "notify" and c["params"]["haptic_pulses"] == 3.0 for c in commands)


def test_k_minus_one_workers_or_a_low_risk_zone_raise_nothing():
    assert not [e for e in _run(_engine(), WORKERS[:2]) if e.topic == "alerts"]
    assert not [e for e in _run(_engine(), WORKERS[:4], zone="welfare") if e.topic == "alerts"]


def test_group_clears_when_members_move_on_and_stale_members_are_forgotten():
    engine = _engine()
    _run(engine, WORKERS[:3])
    ts = START + 210
    out = engine.handle(_presence(WORKERS[0], ts, ts, state="moving"), CRANE_META)
    alerts = [wire(e) for e in out if e.topic == "alerts"]
    assert [a["state"] for a in alerts] == ["cleared"]
    late = START + 1000
    engine.handle(_presence(WORKERS[4], late, late), CRANE_META)
    state = engine.state_of("crane-lift")
    assert state is not None and set(state.members) == {WORKERS[4]}


def test_left_removes_a_member_and_older_records_are_ignored():
    engine = _engine()
    _run(engine, WORKERS[:1], until=30)
    engine.handle(_presence(WORKERS[0], START + 20, START, state="left"), CRANE_META)
    state = engine.state_of("crane-lift")
    assert state is not None and WORKERS[0] in state.members
    engine.handle(_presence(WORKERS[0], START + 40, START, state="left"), CRANE_META)
    assert WORKERS[0] not in state.members


def test_zone_state_round_trips_and_stays_small():
    engine = _engine()
    _run(engine, WORKERS)
    state = engine.state_of("crane-lift")
    assert state is not None
    data = state.to_bytes()
    copy = ZoneState.from_bytes(data)
    assert copy.to_bytes() == data and copy.alert.active
    assert len(data) < 120 * len(WORKERS) + 100


def test_bad_presence_is_dead_lettered():
    [letter] = _engine().handle(b'{"zone_id": "crane-lift"}', CRANE_META)
    assert letter.topic == "dead_letters"
    assert wire(letter)["reason"] == "missing_field"


def test_bad_presence_dead_letter_is_redacted():
    record = {"zone_id": "crane-lift", "worker_id": "Jane.Doe", "heart_rate_bpm": 131}
    [letter] = _engine().handle(orjson.dumps(record), CRANE_META)
    original = base64.b64decode(wire(letter)["original_b64"])
    assert b"Jane" not in original and b"heart_rate_bpm" not in original


def test_a_group_forming_again_raises_even_behind_a_clear_stamped_by_another_partition():
    engine = _engine()
    a, b, c, d = WORKERS[:4]
    _run(engine, [a, b, c])  # raised; records up to START + 202
    zone = CRANE_META
    ahead = START + 380  # a worker of a partition that is ahead, just walking through
    engine.handle(_presence(d, ahead, ahead, state="moving"), zone)
    out = engine.handle(_presence(a, START + 210, START + 210, state="moving"), zone)
    assert [wire(e)["state"] for e in out if e.topic == "alerts"] == ["cleared"]
    out = []
    for step in range(220, 351, 10):  # a stops again at START + 215; b and c never moved
        ts = START + step
        out += engine.handle(_presence(a, ts, START + 215), zone)
        out += engine.handle(_presence(b, ts + 1, START + 5), zone)
        out += engine.handle(_presence(c, ts + 2, START + 10), zone)
    alerts = [wire(e) for e in out if e.topic == "alerts"]
    assert [x["state"] for x in alerts][:1] == ["raised"]
    assert alerts[0]["first_ts"] == ahead  # not before the clear it follows


def test_one_wearable_with_a_fast_clock_does_not_blind_the_zone():
    engine = ZoneEngine(config(), limits(), lambda key: None, lambda: START + 305)  # live
    _run(engine, WORKERS[:3])  # raised; records up to START + 202
    fast = START + 210 + 290  # a passer-by whose wearable clock runs 290 s ahead
    out = engine.handle(_presence(WORKERS[3], fast, fast, state="moving"), CRANE_META)
    for step in range(210, 301, 10):
        for n, worker in enumerate(WORKERS[:3]):
            ts = START + step + n
            out += engine.handle(_presence(worker, ts, START + 5 * n), CRANE_META)
    assert not [e for e in out if e.topic == "alerts"]  # still raised, not cleared
    state = engine.state_of("crane-lift")
    assert state is not None and set(WORKERS[:3]) <= set(state.members) and state.alert.active


def test_a_group_with_a_fast_clock_member_still_clears_when_it_breaks_up():
    wall = [START]
    engine = ZoneEngine(config(), limits(), lambda key: None, lambda: wall[0])
    a, b, s = WORKERS[:3]
    zone = CRANE_META
    out = []
    for step in range(0, 161, 10):
        wall[0] = START + step + 2
        out += engine.handle(_presence(a, START + step, START), zone)
        out += engine.handle(_presence(b, START + step + 1, START), zone)
        out += engine.handle(_presence(s, START + step + 200, START + 200), zone)  # 200 s fast
    wall[0] = START + 172
    out += engine.handle(_presence(a, START + 170, START + 170, state="moving"), zone)
    alerts = [wire(e) for e in out if e.topic == "alerts"]
    assert [x["state"] for x in alerts] == ["raised", "cleared"]
    assert alerts[0]["first_ts"] <= START + 122  # stamped no later than the wall clock
