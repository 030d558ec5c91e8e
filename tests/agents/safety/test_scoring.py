"""Scoring safety alerts against ground truth."""

from __future__ import annotations

from agents.safety.scoring import score_safety


def _truth(kind: str, subject: str, ts: float, condition: float, end: float) -> dict:
    return {
        "domain": "safety",
        "kind": kind,
        "asset_id": subject,
        "ts": ts,
        "episode_id": f"{kind}-{subject}-{ts}",
        "detail": {"condition_ts": condition, "end_ts": end},
    }


def _alert(alert_type: str, subject: str, first_ts: float, state: str = "raised") -> dict:
    return {
        "domain": "safety",
        "alert_type": alert_type,
        "asset_id": subject,
        "first_ts": first_ts,
        "ts": first_ts,
        "state": state,
    }


TRUTH = [
    _truth("fatigue", "p-a", 1000.0, 2000.0, 9000.0),
    _truth("fatigue", "p-b", 1000.0, 2000.0, 9000.0),
    _truth("man_down", "p-a", 5000.0, 5030.0, 5200.0),
    _truth("stationary_cluster", "crane-lift", 3000.0, 3120.0, 3400.0),
    _truth("stumble", "p-c", 100.0, 100.0, 100.0),
]


def test_matching_counts_detections_misses_and_false_alerts():
    alerts = [
        _alert("worker_fatigue", "p-a", 2500.0),
        _alert("worker_fatigue", "p-a", 2600.0, state="cleared"),
        _alert("worker_fatigue", "p-c", 2500.0),  # nobody tired there: false
        _alert("man_down", "p-a", 5034.0),
        _alert("stationary_cluster", "crane-lift", 3125.0),
        _alert("stationary_cluster", "scaffold", 3125.0),  # wrong zone: false
        {**_alert("bearing_failure_risk", "m-1", 1.0), "domain": "maintenance"},
    ]
    score = score_safety(TRUTH, alerts, grace_s=30.0, latencies_s=[0.5, 1.5, 0.9])
    summary = score.summary()
    assert summary == {
        "fatigue_episodes": 2,
        "fatigue_detected": 1,
        "man_down": 1,
        "man_down_detected": 1,
        "clusters": 1,
        "clusters_detected": 1,
        "false_alerts": 2,
        "median_alert_latency_s": 0.9,
    }
    details = score.details()
    assert details["fatigue"]["recall"] == 0.5 and details["fatigue"]["precision"] == 0.5
    assert details["man_down"]["median_delay_s"] == 4.0
    assert details["latency_s"] == {"n": 3, "median": 0.9, "max": 1.5}


def test_cluster_alert_before_the_condition_or_man_down_before_the_fall_is_false():
    alerts = [
        _alert("stationary_cluster", "crane-lift", 3000.0),  # 120 s early
        _alert("man_down", "p-a", 4000.0),
    ]
    score = score_safety(TRUTH, alerts, grace_s=30.0)
    assert score.false_alerts == 2
    assert score.summary()["median_alert_latency_s"] is None


def test_one_raise_detects_one_episode_and_a_repeat_is_a_duplicate():
    truth = [
        _truth("stationary_cluster", "crane-lift", 3000.0, 3120.0, 3400.0),
        _truth("stationary_cluster", "crane-lift", 3290.0, 3410.0, 3600.0),
    ]
    spanning = [_alert("stationary_cluster", "crane-lift", 3400.0)]  # in both windows
    score = score_safety(truth, spanning, grace_s=30.0).kinds["stationary_cluster"]
    assert (score.detected, score.matched, score.duplicates) == (1, 1, 0)
    repeated = [
        _alert("stationary_cluster", "crane-lift", 3125.0),
        _alert("stationary_cluster", "crane-lift", 3200.0),
    ]
    score = score_safety(truth, repeated, grace_s=30.0).kinds["stationary_cluster"]
    assert (score.detected, score.matched, score.duplicates) == (1, 2, 1)
    assert score.to_dict()["duplicates"] == 1
