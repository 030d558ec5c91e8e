"""FeatureTracker: baselines, z-scores, trends and the compact state round trip."""

import numpy as np
import pytest

from app.core.models.features import FeatureConfig, FeatureTracker, feature_names

CFG = FeatureConfig()


def _feed(tracker: FeatureTracker, values, start=0.0, step=600.0):
    out = None
    for i, v in enumerate(values):
        out = tracker.update(np.array(v, dtype=float), start + i * step)
    return out


def test_healthy_noise_stays_near_zero_z():
    rng = np.random.default_rng(1)
    t = FeatureTracker(2, CFG)
    f = _feed(t, [[50 + rng.normal(0, 0.5), 3 + rng.normal(0, 0.1)] for _ in range(500)])
    assert t.warmed_up
    assert np.all(np.abs(f.reshape(2, 3)[:, :2]) < 2.0)


def test_sustained_shift_gives_large_z_and_does_not_inflate_baseline():
    rng = np.random.default_rng(2)
    t = FeatureTracker(1, CFG)
    _feed(t, [[50 + rng.normal(0, 0.5)] for _ in range(300)])
    _, std_before = t.baseline()
    f = _feed(t, [[56 + rng.normal(0, 0.5)] for _ in range(300)], start=300 * 600.0)
    _, std_after = t.baseline()
    assert f[0] > 8 and f[1] > 8
    assert std_after[0] < 1.5 * std_before[0]


def test_slope_measures_a_linear_creep_per_day():
    t = FeatureTracker(1, FeatureConfig(warmup=36, min_std_fraction=0.0, min_std_abs=1.0))
    _feed(t, [[20.0] for _ in range(200)])
    # +1 unit per day for three days, baseline std floored at 1 -> slope ~ +1 std/day
    f = _feed(t, [[20.0 + i * 600 / 86400] for i in range(3 * 144)], start=200 * 600.0)
    assert f[2] == pytest.approx(1.0, abs=0.3)


def test_state_round_trip_continues_identically():
    rng = np.random.default_rng(3)
    a = FeatureTracker(3, CFG)
    _feed(a, rng.normal(10, 1, size=(100, 3)).tolist())
    b = FeatureTracker.from_bytes(a.to_bytes(), 3, CFG)
    x = np.array([12.0, 9.0, 10.5])
    assert np.array_equal(a.update(x, 1e6), b.update(x, 1e6))
    assert len(a.to_bytes()) == 8 * (5 + 6 * 3)


def test_out_of_order_reading_does_not_move_the_clock_back():
    t = FeatureTracker(1, CFG)
    _feed(t, [[1.0]] * 50)
    last = t.last_ts
    t.update(np.array([1.0]), 0.0)
    assert t.last_ts == last


def test_reset_forgets_the_baseline():
    t = FeatureTracker(1, CFG)
    _feed(t, [[5.0]] * 50)
    t.reset()
    assert t.count == 0 and t.last_ts is None and not t.warmed_up


def test_feature_names_are_channel_major():
    assert feature_names(("a", "b")) == (
        "a.z_fast",
        "a.z_slow",
        "a.slope",
        "b.z_fast",
        "b.z_slow",
        "b.slope",
    )
