"""Motion features the edge computes from a wearable's raw IMU samples (app/edge/motion.py)."""

from __future__ import annotations

import numpy as np
import pytest

from app.edge.motion import (
    IMPACT_AGES_S,
    MAX_BACKSTEP_S,
    MotionBook,
    MotionTracker,
    MotionWindow,
)
from tests.app.edge.motion_signals import clapping, fall, standing, walking

T0 = 1_700_000_000.0


def _run(
    signal: tuple[np.ndarray, np.ndarray, np.ndarray], blocks: list[int]
) -> list[MotionWindow]:
    """Push ``signal`` split at ``blocks`` (sample indices); the gyroscope rides along."""
    t, accel, gyro = signal
    speed = np.degrees(np.linalg.norm(gyro, axis=1))
    tracker = MotionTracker()
    out: list[MotionWindow] = []
    for a, b in zip([0, *blocks], [*blocks, len(t)], strict=True):
        out += tracker.push(t[a:b], accel[a:b], t[a:b], speed[a:b])
    return out


def test_windows_do_not_depend_on_how_samples_are_split_into_blocks() -> None:
    signal = fall(T0)
    whole = _run(signal, [])
    one_by_one = _run(signal, list(range(1, len(signal[0]))))
    rng = np.random.default_rng(1)
    random_blocks = _run(signal, sorted(rng.choice(len(signal[0]), 40, replace=False).tolist()))
    assert whole == one_by_one == random_blocks
    assert any(w.impact is not None for w in whole)


def test_a_fall_gives_impact_readings_at_each_scheduled_age_with_fall_features() -> None:
    impacts = [w for w in _run(fall(T0), []) if w.impact is not None]
    assert [round(w.impact.age_s, 1) for w in impacts if w.impact] == pytest.approx(
        [age + 0.08 for age in IMPACT_AGES_S], abs=0.06
    )
    first = impacts[0].impact
    assert first is not None
    assert first.peak_g == pytest.approx(4.6, abs=0.1)
    assert 0.35 <= first.freefall_s <= 0.55
    assert first.orientation_change_deg == pytest.approx(90.0, abs=5.0)
    assert first.post_std_g < 0.05
    assert first.rotation_dps is not None and max(first.rotation_dps) > 200.0
    assert min(first.descent_min_g) < 0.2
    assert impacts[0].window_s == 5.0 and impacts[0].accel_peak_g >= 4.5


def test_walking_gives_summaries_with_steps_and_cadence_and_no_impact() -> None:
    windows = _run(walking(20.0, T0, cadence_spm=110.0), [])
    assert all(w.impact is None for w in windows)
    assert [round(w.ts - T0) for w in windows] == [5, 10, 15]
    for w in windows:
        assert w.window_s == 5.0
        assert 8 <= w.steps <= 10
        assert w.cadence_spm == pytest.approx(110.0, rel=0.05)
        assert w.accel_std_g > 0.05


def test_standing_still_shows_no_steps_and_tiny_motion() -> None:
    windows = _run(standing(12.0, T0), [])
    assert [w.steps for w in windows] == [0, 0]
    assert all(w.accel_std_g < 0.03 and w.impact is None for w in windows)


def test_repetitive_peaks_are_counted_as_bursts_before_the_impact() -> None:
    impacts = [w.impact for w in _run(clapping(10.0, T0), []) if w.impact is not None]
    assert impacts and max(i.pre_bursts for i in impacts) >= 3


def test_jittered_and_bunched_timestamps_give_nearly_the_same_features() -> None:
    t, accel, gyro = fall(T0)
    bunched = t.copy()
    bunched[1::4] -= 0.004  # delivered in batches, a few ms apart
    bunched[2::4] -= 0.012
    bunched[3::4] += 0.005
    regular = [w.impact for w in _run((t, accel, gyro), []) if w.impact]
    jittered = [w.impact for w in _run((bunched, accel, gyro), []) if w.impact]
    assert len(regular) == len(jittered)
    for a, b in zip(regular, jittered, strict=True):
        assert a is not None and b is not None
        assert b.peak_g == a.peak_g
        assert b.orientation_change_deg == pytest.approx(a.orientation_change_deg, abs=2.0)
        assert b.freefall_s == pytest.approx(a.freefall_s, abs=0.05)


def test_small_steps_back_in_time_are_held_and_counted() -> None:
    t, accel, _ = standing(3.0, T0)
    tracker = MotionTracker()
    tracker.push(t[:100], accel[:100])
    tracker.push(t[89:], accel[89:])  # ten samples up to 0.2 s before the newest: jitter
    assert tracker.clamped == 10
    assert tracker.newest == pytest.approx(t[-1])


def test_a_block_stepping_back_too_far_is_refused_as_a_replay() -> None:
    t, accel, _ = standing(4.0, T0)
    tracker = MotionTracker()
    tracker.push(t, accel)
    back = int((MAX_BACKSTEP_S + 0.5) * 50)
    with pytest.raises(ValueError, match="replayed or reordered"):
        tracker.push(t[-back : -back + 5], accel[-back : -back + 5])


def test_a_silence_longer_than_the_history_starts_a_new_session() -> None:
    first = standing(6.0, T0)
    later = standing(6.0, T0 + 60.0)
    tracker = MotionTracker()
    tracker.push(first[0], first[1])
    windows = tracker.push(later[0], later[1])
    assert [round(w.ts - T0) for w in windows] == [65]


def test_without_gyroscope_rotation_is_null() -> None:
    t, accel, _ = fall(T0)
    impacts = [w.impact for w in MotionTracker().push(t, accel) if w.impact]
    assert impacts and all(i.rotation_dps is None and i.rotation_deg is None for i in impacts)


def test_summary_length_must_fit_the_grid() -> None:
    with pytest.raises(ValueError, match="summary_s"):
        MotionTracker(summary_s=0.01)


def test_the_book_keeps_one_tracker_per_device_and_forgets_idle_ones() -> None:
    t, accel, _ = standing(2.0, T0)
    book = MotionBook(idle_s=60.0)
    book.push("w1", 1000.0, t, accel)
    book.push("w2", 1030.0, t, accel)
    assert len(book) == 2
    book.push("w2", 1070.0, t + 2.0, accel)
    assert len(book) == 1
