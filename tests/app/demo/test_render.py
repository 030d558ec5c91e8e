"""One-line renderings used by ``aiot tail`` and the ``make run`` feed."""

import orjson

from app.demo.render import render_record


def test_alert_line_shows_state_and_message():
    line = render_record(
        orjson.dumps(
            {
                "alert_id": "x",
                "state": "raised",
                "ts": 0,
                "message": "bearing_failure_risk WARNING on m1",
            }
        )
    )
    assert "ALERT RAISED" in line and "on m1" in line


def test_prediction_line_shows_probability_and_evidence():
    line = render_record(
        orjson.dumps(
            {
                "asset_id": "m1",
                "ts": 0,
                "failure_probability": 0.42,
                "anomaly_score": 0.1,
                "horizon_h": 72,
                "time_to_failure_h": 30.0,
                "top_features": [{"name": "kurtosis", "value": 7.9, "baseline": 3.1, "z": 6.2}],
            }
        )
    )
    assert "P(fail<72h)=0.42" in line and "kurtosis 7.9 vs 3.1" in line and "ttf=30 h" in line


def test_dead_letter_line_shows_reason_and_detail():
    line = render_record(
        orjson.dumps(
            {
                "source_topic": "t",
                "partition": 1,
                "offset": 9,
                "reason": "bad_id",
                "detail": "asset_id",
                "original_b64": "",
            }
        )
    )
    assert line == "DEAD LETTER t[1]@9 bad_id: asset_id"


def test_non_json_is_shown_not_raised():
    assert render_record(b"\xff\x00") == repr(b"\xff\x00")


def test_telemetry_line_names_the_asset_and_its_readings():
    line = render_record(
        orjson.dumps(
            {
                "asset_id": "m1",
                "asset_class": "c",
                "ts": 0,
                "vibration_rms": 1.5,
                "kurtosis": 3,
                "crest_factor": 3.1,
                "dominant_freq_hz": 24.6,
                "bearing_temp_c": 40,
                "ambient_temp_c": 20,
                "load_pct": 70,
                "speed_rpm": 1470,
            }
        )
    )
    assert line.startswith("1970-01-01 00:00  m1 (c): vib 1.5 mm/s, kurt 3")


def test_maintenance_and_ground_truth_events_show_their_kind():
    line = render_record(orjson.dumps({"asset_id": "m1", "kind": "failure", "ts": 0}))
    assert line.startswith("1970-01-01 00:00  FAILURE m1")


def test_operator_action_line_shows_who_did_what_to_which_alarm():
    line = render_record(
        orjson.dumps(
            {
                "ack_id": "k1",
                "alert_id": "a1",
                "asset_id": "truck-1",
                "action": "shelve",
                "by": "Dana",
                "ts": 0,
                "shelve_s": 3600,
            }
        )
    )
    assert "ACTION SHELVE alarm a1 on truck-1 by Dana for 60 min" in line
