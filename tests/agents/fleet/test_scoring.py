"""Scoring classified episodes and alerts against ground truth."""

from __future__ import annotations

import pytest

from agents.fleet.scoring import latest_episodes, score_fleet


def _truth(vehicle, start, end, label, subtype="x"):
    return {
        "domain": "fleet",
        "kind": "fleet_episode",
        "asset_id": vehicle,
        "ts": start,
        "episode_id": f"{vehicle}-{start}",
        "detail": {"label": label, "subtype": subtype, "start_ts": start, "end_ts": end},
    }


def _episode(vehicle, start, end, label, revision=1, eid=None):
    return {
        "episode_id": eid or f"e-{vehicle}-{start}",
        "vehicle_id": vehicle,
        "start_ts": start,
        "end_ts": end,
        "label": label,
        "revision": revision,
    }


def _alert(vehicle, first_ts, alert_type="unauthorized_use", state="raised"):
    return {
        "domain": "fleet",
        "alert_type": alert_type,
        "asset_id": vehicle,
        "first_ts": first_ts,
        "state": state,
    }


def test_latest_revision_of_each_episode_wins():
    records = [
        _episode("a", 0, 10, "normal", 1, "e"),
        _episode("a", 0, 10, "traffic_detour", 2, "e"),
    ]
    assert [r["label"] for r in latest_episodes(records)] == ["traffic_detour"]


def test_perfect_classification_scores_one():
    truth = [
        _truth("a", 0, 600, "normal"),
        _truth("a", 5000, 5600, "traffic_detour"),
        _truth("b", 0, 900, "unauthorized"),
    ]
    episodes = [
        _episode("a", 30, 620, "normal"),
        _episode("a", 5030, 5500, "traffic_detour"),
        _episode("b", 0, 800, "unauthorized"),
    ]
    score = score_fleet(truth, episodes, [_alert("b", 100)], vehicle_days=30)
    assert score.to_dict() == {
        "episodes": 3,
        "classified_correctly": 3,
        "macro_f1": 1.0,
        "false_unauthorized": 0,
        "vehicle_days": 30,
    }


def test_missed_wrong_and_unmatched_episodes_count_against_the_score():
    truth = [_truth("a", 0, 600, "unauthorized"), _truth("a", 9000, 9600, "traffic_detour")]
    episodes = [_episode("a", 9000, 9500, "normal"), _episode("b", 100, 400, "unauthorized")]
    alerts = [
        _alert("b", 100),
        _alert("a", 50),
        _alert("a", 60, state="cleared"),
        _alert("a", 50_000, alert_type="restricted_zone_entry"),
    ]
    score = score_fleet(truth, episodes, alerts, vehicle_days=60)
    assert score.episodes == 3 and score.classified_correctly == 0
    assert score.missed == 1 and score.unmatched_detections == 1
    assert score.confusion["normal"] == {"unauthorized": 1}
    assert score.false_unauthorized == 1
    assert score.false_unauthorized_per_vehicle_month == pytest.approx(0.5)
    assert score.macro_f1 == 0.0


def test_foreign_ground_truth_and_alerts_are_ignored():
    truth = [
        {
            "domain": "maintenance",
            "kind": "failure",
            "asset_id": "m",
            "ts": 0,
            "episode_id": "x",
            "detail": {},
        }
    ]
    alerts = [
        {
            "domain": "maintenance",
            "alert_type": "bearing_failure_risk",
            "asset_id": "m",
            "first_ts": 0,
            "state": "raised",
        }
    ]
    score = score_fleet(truth, [], alerts, vehicle_days=1)
    assert score.episodes == 0 and score.false_unauthorized == 0
