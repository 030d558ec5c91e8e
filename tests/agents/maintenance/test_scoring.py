"""Run-summary scoring of alert episodes against ground truth."""

from agents.maintenance.scoring import score_maintenance

H = 72 * 3600.0
HOUR = 3600.0


def _alert(asset, alert_id, first_h, state="raised", ts_h=None):
    return {
        "asset_id": asset,
        "alert_id": alert_id,
        "first_ts": first_h * HOUR,
        "ts": (first_h if ts_h is None else ts_h) * HOUR,
        "state": state,
        "alert_type": "bearing_failure_risk",
    }


def _score(gt, alerts, motors=1, end_h=200):
    return score_maintenance(
        gt, alerts, horizon_s=H, run_start_ts=0, run_end_ts=end_h * HOUR, motors=motors
    )


def _failure(asset, hours):
    return {"asset_id": asset, "kind": "failure", "ts": hours * HOUR}


def test_predicted_failure_lead_time_and_false_alert():
    gt = [_failure("m1", 100), _failure("m2", 150)]
    alerts = [_alert("m1", "a", 70), _alert("m3", "b", 10)]
    s = _score(gt, alerts, motors=10)
    assert s.failures == 2 and s.predicted == 1
    assert s.median_lead_hours == 30.0
    assert s.false_alerts == 1


def test_episode_cleared_before_the_horizon_is_not_a_prediction():
    gt = [_failure("m1", 100)]
    alerts = [_alert("m1", "a", 0), _alert("m1", "a", 0, "cleared", ts_h=5)]
    s = _score(gt, alerts)
    assert s.predicted == 0 and s.false_alerts == 1


def test_standing_warning_raised_before_the_horizon_predicts_with_its_full_lead():
    gt = [_failure("m1", 100)]
    s = _score(gt, [_alert("m1", "a", 10)])
    assert s.predicted == 1 and s.median_lead_hours == 90.0 and s.false_alerts == 0


def test_alert_after_the_failure_is_false():
    s = _score([_failure("m1", 100)], [_alert("m1", "a", 101)])
    assert s.predicted == 0 and s.false_alerts == 1


def test_early_warning_for_failure_after_the_run_is_not_false():
    gt = [
        {
            "asset_id": "m1",
            "kind": "precursor_start",
            "ts": 50 * HOUR,
            "detail": {"failure_ts": 250 * HOUR},
        }
    ]
    s = _score(gt, [_alert("m1", "a", 190)])
    assert s.failures == 0 and s.false_alerts == 0


def test_motor_months():
    s = score_maintenance([], [], horizon_s=H, run_start_ts=0, run_end_ts=30 * 86400.0, motors=4)
    assert s.motor_months == 4.0
