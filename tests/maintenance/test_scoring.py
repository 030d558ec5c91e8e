"""Run-summary scoring of alerts against ground truth."""

from maintenance.scoring import score_maintenance

H = 72 * 3600.0


def _alert(asset, first_ts, state="raised"):
    return {
        "asset_id": asset,
        "first_ts": first_ts,
        "state": state,
        "alert_type": "bearing_failure_risk",
    }


def test_predicted_failure_lead_time_and_false_alert():
    gt = [
        {"asset_id": "m1", "kind": "failure", "ts": 100 * 3600.0},
        {"asset_id": "m2", "kind": "failure", "ts": 150 * 3600.0},
    ]
    alerts = [
        _alert("m1", 70 * 3600.0),
        _alert("m3", 10 * 3600.0),
        _alert("m1", 80 * 3600, "cleared"),
    ]
    s = score_maintenance(
        gt, alerts, horizon_s=H, run_start_ts=0, run_end_ts=200 * 3600.0, motors=10
    )
    assert s.failures == 2 and s.predicted == 1
    assert s.median_lead_hours == 30.0
    assert s.false_alerts == 1


def test_alert_too_early_is_not_a_prediction():
    gt = [{"asset_id": "m1", "kind": "failure", "ts": 100 * 3600.0}]
    s = score_maintenance(
        gt, [_alert("m1", 0.0)], horizon_s=H, run_start_ts=0, run_end_ts=200 * 3600.0, motors=1
    )
    assert s.predicted == 0 and s.false_alerts == 1


def test_early_warning_for_failure_after_the_run_is_not_false():
    gt = [
        {
            "asset_id": "m1",
            "kind": "precursor_start",
            "ts": 50 * 3600.0,
            "detail": {"failure_ts": 250 * 3600.0},
        }
    ]
    s = score_maintenance(
        gt,
        [_alert("m1", 190 * 3600.0)],
        horizon_s=H,
        run_start_ts=0,
        run_end_ts=200 * 3600.0,
        motors=1,
    )
    assert s.failures == 0 and s.false_alerts == 0


def test_motor_months():
    s = score_maintenance([], [], horizon_s=H, run_start_ts=0, run_end_ts=30 * 86400.0, motors=4)
    assert s.motor_months == 4.0
