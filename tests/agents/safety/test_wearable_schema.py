"""Wearable and zone-presence records: validation, privacy guard, JSON Schema."""

from __future__ import annotations

import orjson
import pytest

from schemas import ValidationError
from schemas.jsonschema import json_schema
from schemas.wearable import (
    WearableTelemetry,
    ZonePresence,
    decode_presence,
    decode_wearable,
)
from tests.agents.safety.support import NOW, WORKER, parsed, raw, reading

BOUNDS = {"now": NOW, "min_event_time": 0.0, "max_future_skew_s": 300.0}


def test_valid_reading_decodes_with_optional_fields():
    record = parsed(reading(NOW - 5, hr_ratio=None, tilt_deg=None, kind="wearable"))
    assert record.worker_id == WORKER and record.hr_ratio is None and record.tilt_deg is None
    assert record.steps == 18.0 and record.device_id == "wb-0001"


def test_raw_worker_id_is_rejected_without_echoing_it():
    with pytest.raises(ValidationError) as info:
        decode_wearable(raw(reading(NOW, worker="Jane.Doe")), **BOUNDS)
    assert info.value.reason == "bad_id" and "Jane" not in info.value.detail


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"accel_peak_g": 512.0}, "out_of_range"),
        ({"steps": "many"}, "wrong_type"),
        ({"hr_ratio": 9.0}, "out_of_range"),
        ({"device_id": "wb 1"}, "bad_id"),
    ],
)
def test_bad_values_are_rejected_with_their_reason(changes, reason):
    with pytest.raises(ValidationError) as info:
        decode_wearable(raw(reading(NOW, **changes)), **BOUNDS)
    assert info.value.reason == reason


def test_reading_from_the_future_is_rejected():
    with pytest.raises(ValidationError) as info:
        decode_wearable(raw(reading(NOW + 3600)), **BOUNDS)
    assert info.value.reason == "timestamp_in_future"


def test_missing_field_is_named():
    record = reading(NOW)
    del record["cadence_spm"]
    with pytest.raises(ValidationError, match="cadence_spm is missing"):
        decode_wearable(raw(record), **BOUNDS)


def _presence(**changes: object) -> dict:
    record = {
        "zone_id": "crane-lift",
        "worker_id": WORKER,
        "ts": NOW - 10,
        "state": "stationary",
        "since": NOW - 200,
        "x_m": 140.0,
        "y_m": 20.0,
    }
    record.update(changes)
    return record


def test_presence_round_trips_and_rejects_since_after_ts():
    record = decode_presence(raw(_presence()), **BOUNDS)
    assert record == ZonePresence.from_dict(orjson.loads(record.to_json()))
    with pytest.raises(ValidationError) as info:
        decode_presence(raw(_presence(since=NOW)), **BOUNDS)
    assert info.value.reason == "out_of_range"
    with pytest.raises(ValidationError) as info:
        decode_presence(raw(_presence(state="asleep")), **BOUNDS)
    assert info.value.reason == "bad_enum"


def test_wire_forms_are_valid_against_their_json_schema():
    jsonschema = pytest.importorskip("jsonschema")
    for record in (parsed(reading(NOW)), decode_presence(raw(_presence()), **BOUNDS)):
        schema = json_schema(type(record))
        jsonschema.Draft202012Validator(schema).validate(orjson.loads(record.to_json()))
    schema = json_schema(WearableTelemetry)
    assert schema["properties"]["accel_peak_g"]["maximum"] == 64
    assert "heart_rate_bpm" not in schema["properties"]


def test_an_impact_reading_round_trips_through_its_wire_form():
    from tests.agents.safety.support import impact_reading

    record = parsed(impact_reading(NOW - 5))
    assert record.edge_motion and record.impact is not None
    assert record.impact.descent_mean_g[4] == 0.7 and record.impact.rotation_deg == 210.0
    assert parsed(orjson.loads(record.to_json())) == record


def test_an_impact_without_gyroscope_has_null_rotation():
    from tests.agents.safety.support import impact_reading

    record = parsed(impact_reading(NOW - 5, rotation_dps=None, rotation_deg=None))
    assert record.impact is not None and record.impact.rotation_dps is None


@pytest.mark.parametrize(
    ("features", "reason", "detail"),
    [
        ({"descent_mean_g": [1.0] * 7}, "wrong_type", "impact.descent_mean_g"),
        ({"gravity_after": [0.0, 2.0, 0.0]}, "out_of_range", "impact.gravity_after[1]"),
        ({"rotation_dps": [1.0] * 8 + ["x"]}, "wrong_type", "impact.rotation_dps[8]"),
        ({"peak_g": 99.0}, "out_of_range", "impact.peak_g"),
        ({"freefall_s": None}, "wrong_type", "impact.freefall_s"),
    ],
)
def test_bad_impact_features_are_rejected_with_the_field_named(features, reason, detail):
    from tests.agents.safety.support import impact_reading

    with pytest.raises(ValidationError) as info:
        decode_wearable(raw(impact_reading(NOW, **features)), **BOUNDS)
    assert info.value.reason == reason and info.value.detail.startswith(detail)


def test_impact_must_be_an_object_with_every_feature():
    from tests.agents.safety.support import impact, reading

    with pytest.raises(ValidationError) as info:
        decode_wearable(raw(reading(NOW, impact=[1, 2])), **BOUNDS)
    assert info.value.reason == "wrong_type"
    features = impact()
    del features["periodicity"]
    with pytest.raises(ValidationError, match=r"impact\.periodicity is missing"):
        decode_wearable(raw(reading(NOW, impact=features)), **BOUNDS)
    with pytest.raises(ValidationError) as info:
        decode_wearable(raw(reading(NOW, edge_motion="yes")), **BOUNDS)
    assert info.value.reason == "wrong_type"


def test_impact_readings_are_valid_against_the_json_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from tests.agents.safety.support import impact_reading

    schema = json_schema(WearableTelemetry)
    validator = jsonschema.Draft202012Validator(schema)
    record = parsed(impact_reading(NOW))
    validator.validate(orjson.loads(record.to_json()))
    wrong = orjson.loads(record.to_json())
    wrong["impact"]["descent_min_g"] = [0.1] * 3
    assert list(validator.iter_errors(wrong))
