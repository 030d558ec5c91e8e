"""Two-stage man-down of raw-motion wearables: fall_suspected, then man_down or recovery."""

from __future__ import annotations

from typing import Any

from agents.safety.worker_engine import WorkerEngine
from agents.safety.worker_state import WorkerState
from app.core import Output
from app.core.rows import decode_row
from tests.agents.safety.support import (
    START,
    WORKER,
    clap,
    clock,
    config,
    edge_still,
    edge_window,
    fall_model,
    impact_reading,
    limits,
    meta,
    raw,
)
from tests.outputs import records, rejection

MODEL = fall_model()


class WallClock:
    """A settable wall clock for the signal-lost timer."""

    def __init__(self) -> None:
        self.now = clock()

    def __call__(self) -> float:
        return self.now


def _engine(store: dict[str, bytes] | None = None, **changes: Any) -> WorkerEngine:
    store = store if store is not None else {}
    return WorkerEngine(config(**changes), limits(), store.get, clock, fall_model=MODEL)


def _feed(engine: WorkerEngine, readings: list[dict[str, Any]]) -> list[Output]:
    out: list[Output] = []
    for reading in readings:
        out += engine.handle(raw(reading), meta())
    return out


def _alerts(out: list[Output]) -> list[tuple[str, str]]:
    return [(a["alert_type"], a["state"]) for a in records(out, "alerts")]


def _commands(out: list[Output]) -> list[dict[str, Any]]:
    return records(out, "commands")


def _fall_at(t: float) -> list[dict[str, Any]]:
    """A walking window, then the impact readings of a fall whose peak is at ``t``."""
    return [
        edge_window(t - 3.0),
        impact_reading(t + 0.2, age_s=0.2),
        impact_reading(t + 0.3, age_s=0.3),
        impact_reading(t + 0.5, age_s=0.5),
    ]


def test_a_fall_raises_fall_suspected_once_with_evidence_and_a_haptic_check() -> None:
    engine = _engine()
    out = _feed(engine, _fall_at(START + 10.0))
    assert _alerts(out) == [("fall_suspected", "raised")]
    [alert] = records(out, "alerts")
    assert alert["severity"] == "warning" and alert["ts"] == START + 10.2
    evidence = alert["evidence"]
    assert evidence["basis"] == "fall_model" and evidence["score"] > 0.9
    assert evidence["threshold"] == 0.5 and evidence["model_version"] == MODEL.version
    assert evidence["impact_ts"] == START + 10.0 and evidence["impact_g"] == 4.8
    assert evidence["top_features"] and evidence["zone"] == "yard"
    [check] = _commands(out)
    assert check["action"] == "notify" and check["params"]["haptic_pulses"] == 4.0
    assert check["asset_id"] == "wb-0001"
    assert engine.active_alerts() == {"fall_suspected": 1}


def test_no_recovery_for_the_confirmation_time_confirms_man_down_then_walking_clears_both() -> None:
    engine = _engine(fall_confirm_s=30.0)
    t = START + 10.0
    out = _feed(engine, _fall_at(t))
    out += _feed(engine, [edge_still(t + 5.0 * i) for i in range(1, 7)])
    assert _alerts(out) == [("fall_suspected", "raised"), ("man_down", "raised")]
    down = records(out, "alerts")[1]
    assert down["ts"] == t + 30.0 and down["severity"] == "critical"
    assert down["evidence"]["basis"] == "fall_suspected_no_recovery"
    assert [c["action"] for c in _commands(out)] == ["notify", "alarm"]
    back = _feed(engine, [edge_window(t + 40.0)])
    assert _alerts(back) == [("man_down", "cleared"), ("fall_suspected", "cleared")]
    assert not engine.active_alerts()


def test_getting_up_and_walking_before_the_confirmation_clears_the_suspicion() -> None:
    engine = _engine()
    t = START + 10.0
    out = _feed(engine, [*_fall_at(t), edge_still(t + 5.0), edge_window(t + 10.0)])
    out += _feed(engine, [edge_still(t + 5.0 * i) for i in range(3, 10)])
    assert _alerts(out) == [("fall_suspected", "raised"), ("fall_suspected", "cleared")]


def test_the_window_holding_the_fall_is_no_recovery() -> None:
    engine = _engine()
    t = START + 10.0
    out = _feed(engine, [*_fall_at(t), edge_window(t + 2.0)])  # walking before the impact
    assert _alerts(out) == [("fall_suspected", "raised")]


def test_an_impact_that_is_no_fall_raises_nothing() -> None:
    engine = _engine()
    records = [edge_window(START), impact_reading(START + 2.2), edge_window(START + 5.0)]
    records[1]["impact"] = clap()
    out = _feed(engine, records + [edge_still(START + 5.0 * i) for i in range(2, 12)])
    assert _alerts(out) == [] and _commands(out) == []


def test_edge_motion_windows_do_not_use_the_impact_rule() -> None:
    engine = _engine()
    hard = edge_still(START + 5.0, accel_peak_g=6.0)  # a 6 g peak, then still: no fall model
    out = _feed(
        engine, [edge_window(START), hard] + [edge_still(START + 5.0 * i) for i in range(2, 12)]
    )
    assert _alerts(out) == []


def test_a_wearable_silent_after_a_suspected_fall_is_reported_down() -> None:
    wall = WallClock()
    engine = WorkerEngine(config(signal_lost_s=60.0), limits(), {}.get, wall, fall_model=MODEL)
    _feed(engine, _fall_at(START + 10.0))
    wall.now += 61.0
    out = engine.signal_lost()
    assert _alerts(out) == [("man_down", "raised")]
    [alert] = records(out, "alerts")
    assert alert["evidence"]["basis"] == "signal_lost_after_impact"


def test_impact_readings_are_ordered_apart_from_windows_and_redeliveries_skipped() -> None:
    engine = _engine()
    t = START + 10.0
    _feed(engine, _fall_at(t))
    again = engine.handle(raw(impact_reading(t + 0.3, age_s=0.3)), meta())
    assert again == [] and engine.out_of_order == 1
    state = engine.state_of(WORKER)
    assert state is not None and state.last_impact_ts == t + 0.5 and state.last_ts == t - 3.0
    [letter] = engine.handle(raw(impact_reading(t - 2 * 86400)), meta())
    assert rejection(letter) == ("wearables", "timestamp_too_old")


def test_a_suspicion_survives_a_restart_and_is_confirmed_after_it() -> None:
    engine = _engine()
    t = START + 10.0
    _feed(engine, _fall_at(t))
    (dirty,) = engine.cache.take_dirty()  # what the agent writes at the end of the batch
    assert WorkerState.from_bytes(decode_row(dirty.row).state).fall_alert.active
    restored = _engine({WORKER: dirty.row})
    out = _feed(restored, [edge_still(t + 5.0 * i) for i in range(1, 7)])
    assert _alerts(out) == [("man_down", "raised")]


def test_a_new_shift_clears_a_suspicion_left_open() -> None:
    engine = _engine()
    t = START - 86400.0
    _feed(engine, _fall_at(t))
    out = _feed(engine, [edge_window(START)])
    assert _alerts(out) == [("fall_suspected", "cleared")]


def test_a_version_1_state_is_still_read() -> None:
    state = WorkerState()
    state.last_ts = START
    current = state.to_bytes()
    version1 = bytes([1]) + current[1 : len(current) - 8 - 48]
    old = WorkerState.from_bytes(version1)
    assert old.last_ts == START and not old.fall_alert.active
    assert old.to_bytes()[0] == 2


def test_the_configured_threshold_overrides_the_models() -> None:
    engine = _engine(fall_threshold=0.99999)
    assert _alerts(_feed(engine, _fall_at(START + 10.0))) == []
