"""The per-worker detectors: man-down, stationary spells, fatigue against own baseline."""

from __future__ import annotations

import numpy as np

from agents.safety.fatigue import FatigueTracker
from agents.safety.man_down import ManDownDetector, ManDownStep
from agents.safety.stationary import StationaryTracker
from tests.agents.safety.support import START, config, lying, parsed, reading, still

CFG = config()


def _run(detector: ManDownDetector, records: list[dict]) -> list[ManDownStep]:
    steps = []
    previous = None
    for record in records:
        r = parsed(record)
        gap = 0.0 if previous is None else r.ts - previous
        steps.append(detector.update(r, CFG, gap))
        previous = r.ts
    return steps


def test_impact_then_no_motion_for_n_seconds_is_man_down_not_earlier():
    t = START
    records = [reading(t), reading(t + 10, accel_peak_g=4.5)]
    records += [lying(t + 10 + 10 * i) for i in range(1, 5)]
    steps = _run(ManDownDetector(), records)
    assert steps[1] is ManDownStep.ARMED
    assert steps[2:4] == [ManDownStep.NOTHING] * 2  # 10, 20 s still: not yet N = 30 s
    assert steps[4] is ManDownStep.DOWN and steps[5] is ManDownStep.NOTHING


def test_motion_after_man_down_recovers():
    t = START
    records = [reading(t, accel_peak_g=4.0)] + [lying(t + 10 * i) for i in range(1, 5)]
    records.append(reading(t + 50))
    steps = _run(ManDownDetector(), records)
    assert ManDownStep.DOWN in steps and steps[-1] is ManDownStep.RECOVERED


def test_stumble_and_walk_on_is_no_man_down():
    t = START
    records = [reading(t, accel_peak_g=3.8)] + [reading(t + 10 * i) for i in range(1, 6)]
    assert ManDownStep.DOWN not in _run(ManDownDetector(), records)


def test_heavy_sit_down_staying_upright_is_no_man_down():
    t = START
    records = [still(t, accel_peak_g=3.0, tilt_deg=25.0)]
    records += [still(t + 10 * i, tilt_deg=25.0, accel_std_g=0.02) for i in range(1, 10)]
    assert ManDownStep.DOWN not in _run(ManDownDetector(), records)


def test_short_lie_then_getting_up_is_no_man_down():
    t = START
    records = [reading(t, accel_peak_g=5.0), lying(t + 10), lying(t + 20), reading(t + 30)]
    assert ManDownStep.DOWN not in _run(ManDownDetector(), records)


def test_lost_impact_window_still_arms_when_found_lying_after_motion():
    t = START
    records = [reading(t)] + [lying(t + 20 + 10 * i) for i in range(0, 5)]  # t+10 lost
    steps = _run(ManDownDetector(), records)
    assert steps[1] is ManDownStep.ARMED and ManDownStep.DOWN in steps


def test_one_positioning_jump_does_not_disarm_two_do():
    t = START
    jump = {"x_m": 215.0}
    one = [reading(t, accel_peak_g=4.0), lying(t + 10), lying(t + 20, **jump), lying(t + 30)]
    assert _run(ManDownDetector(), one)[-1] is ManDownStep.DOWN
    two = [reading(t, accel_peak_g=4.0), lying(t + 10, **jump), lying(t + 20, **jump)]
    two.append(lying(t + 30, **jump))
    assert ManDownStep.DOWN not in _run(ManDownDetector(), two)


def test_man_down_state_round_trips_through_bytes():
    detector = ManDownDetector()
    _run(detector, [reading(START, accel_peak_g=4.0), lying(START + 10)])
    copy = ManDownDetector.from_bytes(detector.to_bytes())
    assert copy.to_bytes() == detector.to_bytes() and copy.armed


def test_stationary_spell_is_dated_to_the_first_still_window_start():
    tracker = StationaryTracker()
    tracker.update(parsed(reading(START)), 3.0)
    tracker.update(parsed(still(START + 10)), 3.0)
    assert tracker.stationary and tracker.since == START  # window (START, START + 10]
    for i in range(2, 20):
        tracker.update(parsed(still(START + 10 * i, x_m=200.0 + (i % 3) * 0.5)), 3.0)
    assert tracker.dwell(START + 190) == 190.0
    tracker.update(parsed(reading(START + 200)), 3.0)
    assert not tracker.stationary and tracker.dwell(START + 200) == 0.0


def test_single_position_jump_keeps_the_spell_two_reanchor_it():
    tracker = StationaryTracker()
    tracker.update(parsed(still(START)), 3.0)
    tracker.update(parsed(still(START + 10, x_m=210.0)), 3.0)
    assert tracker.since == START - 10
    tracker.update(parsed(still(START + 20)), 3.0)
    tracker.update(parsed(still(START + 30, x_m=210.0)), 3.0)
    tracker.update(parsed(still(START + 40, x_m=210.0)), 3.0)
    assert tracker.since == START + 40
    assert StationaryTracker.from_bytes(tracker.to_bytes()).since == START + 40


def _walks(rng: np.random.Generator, n: int, cadence: float, cv: float, hr: float) -> list:
    return [
        (
            float(rng.normal(cadence, 3.0)),
            float(cv * rng.lognormal(0.0, 0.2)),
            float(rng.normal(hr, 0.04)),
        )
        for _ in range(n)
    ]


def _score(tracker: FatigueTracker, windows: list) -> float:
    score = None
    for values in windows:
        score = tracker.observe(values, 0.03, 30)
    assert score is not None
    return score


def test_a_naturally_slow_walker_is_not_fatigued_against_their_own_baseline():
    rng = np.random.default_rng(1)
    slow = FatigueTracker()
    for values in _walks(rng, 120, 86.0, 0.07, 1.8):
        slow.learn(values, 30)
    assert _score(slow, _walks(rng, 150, 86.0, 0.07, 1.8)) < 0.6


def test_slower_irregular_gait_and_higher_heart_rate_raise_the_fatigue_score():
    rng = np.random.default_rng(2)
    tracker = FatigueTracker()
    for values in _walks(rng, 120, 110.0, 0.04, 1.4):
        tracker.learn(values, 30)
    fresh = _score(tracker, _walks(rng, 150, 110.0, 0.04, 1.4))
    tired = _score(tracker, _walks(rng, 150, 100.0, 0.056, 1.52))
    assert fresh < 0.6 < 1.2 < tired
    devs = tracker.deviations(30)
    assert all(d is not None and d > 0.5 for d in devs)


def test_fatigue_waits_for_a_trusted_baseline_and_survives_bytes():
    tracker = FatigueTracker()
    tracker.learn((110.0, 0.04, None), 30)
    assert tracker.observe((100.0, 0.05, 1.5), 0.03, 30) is None
    copy = FatigueTracker.from_bytes(tracker.to_bytes())
    assert copy.n == [1, 1, 0] and copy.to_bytes() == tracker.to_bytes()
