"""The worker engine: presence repartitioned by zone, alerts, commands, privacy, state."""

from __future__ import annotations

import base64

from agents.safety.worker_engine import PRESENCE, WorkerEngine
from agents.safety.worker_state import WorkerState
from tests.agents.safety.support import (
    CRANE,
    START,
    WORKER,
    clock,
    config,
    limits,
    lying,
    meta,
    raw,
    reading,
    still,
)
from tests.outputs import wire


def _engine(store: dict[str, bytes] | None = None) -> WorkerEngine:
    store = store if store is not None else {}
    return WorkerEngine(config(), limits(), store.get, clock)


def _feed(engine: WorkerEngine, records: list[dict]) -> list:
    out = []
    for record in records:
        out += engine.handle(raw(record), meta())
    return out


def test_presence_goes_to_the_zone_key_and_announces_leaving():
    engine = _engine()
    out = _feed(engine, [reading(START), reading(START + 10, x_m=CRANE[0], y_m=CRANE[1])])
    presence = [wire(e) for e in out if e.topic == PRESENCE]
    keys = [e.key for e in out if e.topic == PRESENCE]
    assert keys == ["yard", "yard", "crane-lift"]
    assert [p["state"] for p in presence] == ["moving", "left", "moving"]
    assert all(p["worker_id"] == WORKER and "hr_ratio" not in p for p in presence)


def test_stationary_worker_in_high_risk_zone_keeps_the_zone_clock_running():
    engine = _engine()
    records = [still(START + 10 * i, at=CRANE) for i in range(1, 20)]
    out = [e for e in _feed(engine, records) if e.topic == PRESENCE]
    stationary = [wire(e) for e in out]
    assert stationary[-1]["state"] == "stationary"
    assert stationary[-1]["since"] == START  # first still window (START, START + 10]
    # after the first record: a heartbeat 60 s later, then every reading near/above T = 120 s
    assert [p["ts"] - START for p in stationary[1:]] == [70.0] + [110.0 + 10 * i for i in range(9)]


def test_man_down_raises_a_critical_alert_and_the_wearable_alarm_then_clears():
    engine = _engine()
    records = [reading(START), reading(START + 10, accel_peak_g=5.2)]
    records += [lying(START + 10 + 10 * i) for i in range(1, 6)] + [reading(START + 70)]
    out = _feed(engine, records)
    alerts = [wire(e) for e in out if e.topic == "alerts"]
    commands = [wire(e) for e in out if e.topic == "commands"]
    assert [(a["alert_type"], a["state"]) for a in alerts] == [
        ("man_down", "raised"),
        ("man_down", "cleared"),
    ]
    raised = alerts[0]
    assert raised["severity"] == "critical" and raised["ts"] == START + 40
    assert raised["evidence"]["impact_g"] == 5.2 and raised["evidence"]["zone"] == "yard"
    assert commands == [commands[0]] and commands[0]["action"] == "alarm"
    assert commands[0]["asset_id"] == "wb-0001" and commands[0]["site"] == "site-1"


class WallClock:
    """A settable wall clock for the signal-lost timer."""

    def __init__(self) -> None:
        self.now = clock()

    def __call__(self) -> float:
        return self.now


def _records(emits: list) -> list[dict]:
    return [wire(e) for e in emits]


def test_a_wearable_silent_after_an_impact_raises_man_down_once_then_motion_clears_it():
    wall = WallClock()
    engine = WorkerEngine(config(signal_lost_s=60.0), limits(), {}.get, wall)
    _feed(engine, [reading(START), reading(START + 10, accel_peak_g=5.2)])
    wall.now += 59.0
    assert engine.signal_lost() == []  # not silent long enough yet
    wall.now += 2.0
    out = engine.signal_lost()
    [alert] = [r for e, r in zip(out, _records(out), strict=True) if e.topic == "alerts"]
    [alarm] = [r for e, r in zip(out, _records(out), strict=True) if e.topic == "commands"]
    assert (alert["alert_type"], alert["state"], alert["severity"]) == (
        "man_down",
        "raised",
        "critical",
    )
    assert alert["evidence"]["basis"] == "signal_lost_after_impact"
    assert alert["evidence"]["silent_s"] == 61.0 and alert["ts"] == START + 10
    assert alarm["action"] == "alarm"
    assert engine.active_alerts()["man_down"] == 1
    wall.now += 30.0
    assert engine.signal_lost() == []  # raised once, not on every tick
    again = engine.handle(raw(lying(START + 100)), meta())  # back, still down: no repeat
    assert [e for e in again if e.topic in ("alerts", "commands")] == []
    back = _records(engine.handle(raw(reading(START + 200)), meta()))
    assert [(r["alert_type"], r["state"]) for r in back if "alert_type" in r] == [
        ("man_down", "cleared")
    ]


def test_silence_without_an_impact_or_after_recovery_raises_nothing():
    wall = WallClock()
    engine = WorkerEngine(config(signal_lost_s=60.0), limits(), {}.get, wall)
    _feed(engine, [reading(START), reading(START + 10)])
    wall.now += 600.0
    assert engine.signal_lost() == []
    _feed(engine, [reading(START + 20, accel_peak_g=5.2), reading(START + 30)])  # walked on
    wall.now += 600.0
    assert engine.signal_lost() == []


def _shift(engine: WorkerEngine, start: float, tired_after_h: float | None) -> list:
    """A shift of alternating walks and standing; gait degrades after ``tired_after_h``."""
    out = []
    t = start
    i = 0
    while t < start + 8 * 3600:
        tired = tired_after_h is not None and t - start > tired_after_h * 3600
        walking = (i // 6) % 3 == 0
        wobble = (i % 5) * 0.6
        if walking and tired:
            record = reading(t, cadence_spm=99.0 + wobble, stride_cv=0.056, hr_ratio=1.58)
        elif walking:
            record = reading(t, cadence_spm=108.0 + wobble, stride_cv=0.04 + 0.002 * (i % 3))
        else:
            record = still(t)
        out += engine.handle(raw(record), meta())
        t += 10.0
        i += 1
    return [wire(e) for e in out if e.topic in ("alerts", "commands")]


def test_fatigue_against_own_baseline_raises_once_with_a_haptic_warning():
    engine = _engine()
    out = _shift(engine, START - 86400 * 3, tired_after_h=4.0)
    raised = [a for a in out if a.get("alert_type") == "worker_fatigue" and a["state"] == "raised"]
    assert len(raised) == 1
    assert raised[0]["first_ts"] > START - 86400 * 3 + 4 * 3600
    evidence = raised[0]["evidence"]
    assert evidence["basis"] == "own_baseline"
    hr = next(f for f in evidence["top_features"] if f["name"] == "hr_ratio")
    assert hr["value"] == 0.0 and hr["baseline"] == 0.0 and hr["z"] > 1.0  # no level leaves
    haptic = [c for c in out if c.get("action") == "notify"]
    assert len(haptic) == 1 and haptic[0]["params"]["haptic_pulses"] == 2.0


def test_a_fresh_shift_raises_no_fatigue():
    engine = _engine()
    out = _shift(engine, START - 86400 * 3, tired_after_h=None)
    assert not [a for a in out if a.get("alert_type") == "worker_fatigue"]


def test_bad_input_is_dead_lettered_without_identity_or_biometrics():
    engine = _engine()
    bad = reading(START, worker="Jane.Doe", heart_rate_bpm=131, ecg=[0.1, 0.2])
    [letter] = engine.handle(raw(bad), meta(key="Jane.Doe"))
    record = wire(letter)
    original = base64.b64decode(record["original_b64"])
    assert letter.topic == "dead_letters" and record["reason"] == "bad_id"
    assert b"Jane" not in original and b"heart_rate_bpm" not in original and b"ecg" not in original
    assert record["key"] == "<redacted>" and letter.key == "<redacted>"
    [broken] = engine.handle(b'{"worker_id": "Jane.Doe", "ts": ', meta())
    assert b"Jane" not in base64.b64decode(wire(broken)["original_b64"])


def test_a_processing_crash_is_dead_lettered_redacted_too():
    engine = _engine()
    record = reading(START, heart_rate_bpm=131, ecg=[0.1, 0.2])
    letter = engine.error_letter(raw(record), meta(key="Jane.Doe"), RuntimeError("boom"))
    body = wire(letter)
    original = base64.b64decode(body["original_b64"])
    assert body["reason"] == "processing_error" and "boom" in body["detail"]
    assert b"heart_rate_bpm" not in original and b"ecg" not in original
    assert letter.key == "<redacted>"


def test_redelivered_reading_is_skipped_and_counted_too_old_is_dead_lettered():
    engine = _engine()
    _feed(engine, [reading(START), reading(START + 10)])
    assert engine.handle(raw(reading(START + 10)), meta()) == []
    assert engine.out_of_order == 1
    [letter] = engine.handle(raw(reading(START - 2 * 86400)), meta())
    assert wire(letter)["reason"] == "timestamp_too_old"


def test_state_is_compact_and_a_restored_worker_continues_where_it_was():
    engine = _engine()
    records = [reading(START), reading(START + 10, accel_peak_g=5.0), lying(START + 20)]
    _feed(engine, records)
    state = engine.state_of(WORKER)
    assert state is not None
    data = state.to_bytes()
    assert len(data) < 1024
    assert WorkerState.from_bytes(data).to_bytes() == data
    restored = _engine({WORKER: data})
    out = _feed(restored, [lying(START + 30), lying(START + 40)])
    assert [wire(e)["alert_type"] for e in out if e.topic == "alerts"] == ["man_down"]


def test_a_man_down_left_open_at_shift_end_is_cleared_by_the_next_shift():
    engine = _engine()
    records = [reading(START - 86400), reading(START - 86390, accel_peak_g=5.0)]
    records += [lying(START - 86390 + 10 * i) for i in range(1, 5)]
    records.append(reading(START))
    alerts = [wire(e) for e in _feed(engine, records) if e.topic == "alerts"]
    assert [(a["state"], a["ts"]) for a in alerts] == [
        ("raised", START - 86360),
        ("cleared", START),
    ]


def test_a_fatigue_alert_left_open_at_shift_end_is_cleared_by_the_next_shift():
    engine = _engine()
    day = START - 86400 * 3
    out = _shift(engine, day, tired_after_h=4.0)
    fatigue = [a for a in out if a.get("alert_type") == "worker_fatigue"]
    assert [a["state"] for a in fatigue][-1] != "cleared"  # still tired at the shift's end
    nxt = day + 86400
    alerts = [wire(e) for e in _feed(engine, [reading(nxt)]) if e.topic == "alerts"]
    assert [(a["alert_type"], a["state"], a["ts"]) for a in alerts] == [
        ("worker_fatigue", "cleared", nxt)
    ]
    assert engine.active_alerts()["worker_fatigue"] == 0


def test_an_impact_is_in_the_written_state_so_a_restart_keeps_it():
    engine = _engine()
    _feed(engine, [reading(START), reading(START + 10, accel_peak_g=5.0)])
    (dirty,) = engine.cache.take_dirty()  # what the agent writes at the end of the batch
    restored = _engine({WORKER: dirty.row})
    out = _feed(restored, [lying(START + 10 + 10 * i) for i in range(1, 4)])
    assert [wire(e)["alert_type"] for e in out if e.topic == "alerts"] == ["man_down"]
