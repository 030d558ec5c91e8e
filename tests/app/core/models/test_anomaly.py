"""AnomalyDetector: the contract the maintenance agent and ``aiot detect`` rely on."""

import itertools
import math
import random

import numpy as np
import pytest

from app.core.models.anomaly import MODEL_VERSION, AnomalyConfig, AnomalyDetector

NAMES = ("rms", "kurtosis", "crest", "freq_ratio", "temp_delta", "load")


def _normal_stream(n, seed=0):
    rng = random.Random(seed)
    return [
        {
            "rms": 2.0 + rng.gauss(0, 0.1),
            "kurtosis": 3.0 + rng.gauss(0, 0.2),
            "crest": 1.4 + rng.gauss(0, 0.05),
            "freq_ratio": 0.2 + rng.gauss(0, 0.01),
            "temp_delta": 15.0 + rng.gauss(0, 0.5),
            "load": 0.7 + rng.gauss(0, 0.05),
        }
        for _ in range(n)
    ]


def _run(detector, rows, start=0):
    return [detector.update(x, float(600 * (start + i))) for i, x in enumerate(rows)]


def test_scores_are_in_unit_interval_and_healthy_noise_rarely_alerts():
    results = _run(AnomalyDetector(NAMES), _normal_stream(3000))
    assert all(0.0 <= r.score <= 1.0 for r in results)
    raised = sum(1 for a, b in itertools.pairwise(results) if b.is_anomaly and not a.is_anomaly)
    assert raised <= 3


def test_spike_in_one_feature_alerts_and_names_that_feature():
    detector = AnomalyDetector(NAMES)
    _run(detector, _normal_stream(600))
    x = _normal_stream(1, seed=9)[0]
    x["temp_delta"] = 25.0
    result = detector.update(x, 600.0 * 600)
    assert result.is_anomaly
    assert result.score > 0.5
    assert result.top(1)[0][0] == "temp_delta"
    mean, std = result.baseline("temp_delta")
    assert mean == pytest.approx(15.0, abs=0.3)
    assert 0.2 < std < 1.0


def test_sustained_level_shift_is_detected():
    detector = AnomalyDetector(["value"])
    rng = random.Random(3)
    _run(detector, [{"value": 10 + rng.gauss(0, 1)} for _ in range(800)])
    shifted = _run(detector, [{"value": 14 + rng.gauss(0, 1)} for _ in range(50)], start=800)
    assert any(r.is_anomaly for r in shifted)


def test_no_score_and_no_alert_before_warm_up():
    config = AnomalyConfig()
    detector = AnomalyDetector(["value"], config)
    assert not detector.warmed_up
    results = _run(detector, [{"value": float(i % 7) * 100} for i in range(config.warmup)])
    assert all(r.score == 0.0 and not r.is_anomaly for r in results)
    detector.update({"value": 1.0}, 0.0)
    assert detector.warmed_up


def test_prefix_scores_do_not_change_when_the_rest_of_the_stream_follows():
    rows = _normal_stream(1500, seed=4)
    for x in rows[900:950]:
        x["rms"] += 1.0
    short = [r.score for r in _run(AnomalyDetector(NAMES), rows[:1000])]
    full = [r.score for r in _run(AnomalyDetector(NAMES), rows)]
    assert full[:1000] == short


def test_restored_state_scores_exactly_like_the_original_and_fits_the_budget():
    rows = _normal_stream(1200, seed=5)
    original = AnomalyDetector(NAMES)
    _run(original, rows[:700])
    packed = original.to_bytes()
    assert len(packed) <= 3072  # a few KB per asset: 2048 bytes for 6 features
    restored = AnomalyDetector.from_bytes(packed, NAMES)
    for i, x in enumerate(rows[700:]):
        a = original.update(x, float(i))
        b = restored.update(x, float(i))
        assert (a.score, a.is_anomaly, a.contributions) == (b.score, b.is_anomaly, b.contributions)


def test_from_bytes_rejects_state_of_another_feature_count():
    packed = AnomalyDetector(NAMES).to_bytes()
    with pytest.raises(ValueError):
        AnomalyDetector.from_bytes(packed, NAMES[:3])


def test_state_size_does_not_grow_with_the_stream():
    detector = AnomalyDetector(NAMES)
    _run(detector, _normal_stream(100))
    size = len(detector.to_bytes())
    _run(detector, _normal_stream(2000, seed=1))
    assert len(detector.to_bytes()) == size


def test_missing_and_non_finite_features_are_skipped():
    detector = AnomalyDetector(["a", "b"])
    rng = random.Random(6)
    for i in range(300):
        x = {"a": rng.gauss(0, 1), "b": rng.gauss(5, 1)}
        if i % 3 == 0:
            del x["b"]
        if i % 5 == 0:
            x["a"] = math.nan
        result = detector.update(x, float(i))
        assert 0.0 <= result.score <= 1.0
    assert detector.baseline("b")[0] == pytest.approx(5.0, abs=0.5)


def test_score_one_does_not_learn_and_learn_one_does():
    detector = AnomalyDetector(["value"])
    rng = random.Random(7)
    for _ in range(200):
        detector.learn_one({"value": rng.gauss(0, 1)})
    before = detector.to_bytes()
    assert detector.score_one({"value": 50.0}) > 0.5
    assert detector.to_bytes() == before
    detector.learn_one({"value": 0.0})
    assert detector.to_bytes() != before


def test_model_version_is_a_non_empty_string():
    assert isinstance(MODEL_VERSION, str) and MODEL_VERSION


def test_feature_first_seen_late_learns_its_own_baseline_without_false_alarms():
    detector = AnomalyDetector(["a", "b"])
    rng = random.Random(8)
    results = []
    for i in range(1200):
        x = {"a": rng.gauss(0, 1)}
        if i >= 500:
            x["b"] = 100.0 + rng.gauss(0, 1)
        results.append(detector.update(x, 600.0 * i))
    assert detector.baseline("b")[0] == pytest.approx(100.0, abs=0.5)
    assert not any(r.is_anomaly and r.top(1)[0][0] == "b" for r in results[500:])


_DAY = 86400.0


def _weekly_value(rng, ts, holiday=False):
    """Hourly stream: a daily wave, 6 units lower at weekends (epoch day 0 was a Thursday)."""
    weekend = int(ts // _DAY) % 7 in (2, 3) or holiday
    hour = (ts % _DAY) / 3600.0
    return (
        10.0
        + 3.0 * math.sin(2.0 * math.pi * hour / 24.0)
        - (6.0 if weekend else 0.0)
        + (rng.gauss(0, 0.3))
    )


def test_a_weekday_that_looks_like_a_weekend_is_flagged_once_the_week_is_learned():
    rng = random.Random(11)
    detector = AnomalyDetector(["v"])
    weekend_scores = []
    n = 24 * 7 * 7
    for i in range(n):
        ts = 3600.0 * i
        result = detector.update({"v": _weekly_value(rng, ts)}, ts)
        if i >= 24 * 7 * 5 and int(ts // _DAY) % 7 in (2, 3):
            weekend_scores.append(result.score)
    holiday_scores = []
    for i in range(n, n + 24 * 7):
        ts = 3600.0 * i
        holiday = int(ts // _DAY) % 7 == 5  # a Tuesday at weekend level
        result = detector.update({"v": _weekly_value(rng, ts, holiday)}, ts)
        if holiday:
            holiday_scores.append(result.score)
    assert max(weekend_scores) < 0.5  # weekends are learned as normal
    assert max(holiday_scores) > 0.5


def test_a_spike_every_night_at_the_same_time_stops_being_news():
    rng = random.Random(12)
    detector = AnomalyDetector(["v"])
    per_day = 288  # 5-minute data
    nightly = []
    for i in range(per_day * 12):
        spike = i % per_day == 36  # 03:00
        v = 1.0 + rng.gauss(0, 0.05) + (3.0 if spike else 0.0)
        result = detector.update({"v": v}, 300.0 * i)
        if spike:
            nightly.append(result.score)
    assert nightly[0] > 0.5  # the first one is news
    assert max(nightly[1:]) < 0.5  # the same spike at the same time on later nights is not
    one_off = 0.0
    for i in range(per_day * 12, per_day * 13):
        spike = i % per_day == 180  # 15:00, never seen at that time of day
        v = 1.0 + rng.gauss(0, 0.05) + (3.0 if spike else 0.0)
        result = detector.update({"v": v}, 300.0 * i)
        if spike:
            one_off = result.score
    assert one_off > 0.5


def test_restore_is_exact_once_the_weekly_model_and_recurrence_memory_are_live():
    rng = random.Random(13)
    rows = [(3600.0 * i, {"v": _weekly_value(rng, 3600.0 * i)}) for i in range(24 * 21)]
    original = AnomalyDetector(["v"])
    for ts, x in rows[: 24 * 17]:  # past day 15: the day-of-week residual may be scored
        original.update(x, ts)
    restored = AnomalyDetector.from_bytes(original.to_bytes(), ["v"])
    for ts, x in rows[24 * 17 :]:
        a = original.update(x, ts)
        b = restored.update(x, ts)
        assert (a.score, a.is_anomaly, a.contributions) == (b.score, b.is_anomaly, b.contributions)
    assert restored.to_bytes() == original.to_bytes()


def _pump(n, rng, fault=None):
    """Pump-like rows: flow drives current and pressure; ``fault`` is a range of rows where
    the motor draws more current for the same flow (within the current's normal range)."""
    rows = []
    for i in range(n):
        flow = 50.0 + 10.0 * math.sin(i / 40.0) + rng.gauss(0, 0.5)
        current = 2.0 + 0.04 * flow + rng.gauss(0, 0.03)
        if fault is not None and i in fault:
            current += 0.15
        rows.append(
            {
                "flow": flow,
                "current": current,
                "pressure": 1.0 + 0.01 * flow + rng.gauss(0, 0.02),
            }
        )
    return rows


def test_a_sustained_break_between_channels_is_flagged_for_its_duration_then_cleared():
    rng = random.Random(21)
    fault = range(1500, 1800)
    rows = _pump(2300, rng, fault)
    detector = AnomalyDetector(["flow", "current", "pressure"])
    results = _run(detector, rows)
    lo, hi = min(r["current"] for r in rows[:1500]), max(r["current"] for r in rows[:1500])
    inside = [lo <= r["current"] <= hi for r in rows[1500:1800]]
    assert sum(inside) / len(inside) > 0.8  # the current alone stays in its normal range
    during = [r.is_anomaly for r in results[1510:1800]]
    assert sum(during) / len(during) > 0.95  # is_anomaly is the alert state: held throughout
    assert max(r.joint for r in results[1510:1530]) > 7.0  # the joint test finds it
    assert not any(r.is_anomaly for r in results[1900:])  # cleared once the relation is back
    assert not any(r.is_anomaly for r in results[500:1500])  # no false alarm once learned


def test_one_feature_has_no_joint_model_and_the_state_of_earlier_versions():
    detector = AnomalyDetector(["v"])
    assert detector.joint is None
    assert len(detector.to_bytes()) == 176 + 312
    result = detector.update({"v": 1.0}, 0.0)
    assert result.joint == 0.0


@pytest.mark.parametrize("k", [2, 8, 12])
def test_the_joint_model_runs_on_any_channel_set_within_a_few_kb(k):
    names = [f"c{i}" for i in range(k)]
    rng = random.Random(k)
    detector = AnomalyDetector(names)
    for i in range(300):
        detector.update({n: rng.gauss(j, 1) for j, n in enumerate(names)}, 60.0 * i)
    size = len(detector.to_bytes())
    assert size == 176 + 312 * k + 4 * (6 + k + k * (k + 1) // 2)
    assert size < 5000
    restored = AnomalyDetector.from_bytes(detector.to_bytes(), names)
    assert restored.to_bytes() == detector.to_bytes()


def test_a_row_with_a_missing_channel_is_not_learned_by_the_joint_model():
    rng = random.Random(22)
    detector = AnomalyDetector(["a", "b"])
    _ = [
        detector.update({"a": rng.gauss(0, 1), "b": rng.gauss(0, 1)}, float(i)) for i in range(200)
    ]
    assert detector.joint is not None
    before = detector.joint.to_array().copy()
    detector.update({"a": 50.0}, 200.0)
    after = detector.joint.to_array()
    assert np.array_equal(after[:2], before[:2])  # counts: nothing learned
    assert np.array_equal(after[6:], before[6:])  # reference and covariance unchanged
