"""Records round-trip through their wire form and ignore unknown fields on input."""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from schemas import (
    FEATURE_FIELDS,
    Alert,
    FeatureEvidence,
    GroundTruthEvent,
    MachineTelemetry,
    MaintenanceEvent,
    MaintenanceKind,
    Prediction,
    decode_maintenance,
    decode_telemetry,
)
from tests.schemas.samples import CLOCK, NOW, maintenance_dict, telemetry_dict

TELEMETRY = MachineTelemetry(
    asset_id="motor-001",
    asset_class="ac-motor-7.5kw",
    ts=NOW - 1.5,
    vibration_rms=2.5,
    kurtosis=3.1,
    crest_factor=3.4,
    dominant_freq_hz=49.8,
    bearing_temp_c=55.25,
    ambient_temp_c=-3.0,
    load_pct=75.0,
    speed_rpm=1480.0,
)
EVIDENCE = (FeatureEvidence("vibration_rms", 7.5, 2.5, 6.2), FeatureEvidence("kurtosis", 9, 3, 4))
PREDICTION = Prediction(
    domain="maintenance",
    asset_id="motor-001",
    asset_class="ac-motor-7.5kw",
    ts=NOW,
    emitted_at=NOW + 0.25,
    anomaly_score=0.8,
    failure_probability=0.65,
    horizon_h=72.0,
    time_to_failure_h=None,
    top_features=EVIDENCE,
    model_version="maint-0.1",
)
ALERT = Alert(
    alert_id="maintenance:failure_risk:motor-001:1",
    domain="maintenance",
    alert_type="failure_risk",
    asset_id="motor-001",
    severity="warning",
    state="raised",
    ts=NOW,
    first_ts=NOW - 3600.0,
    score=0.7,
    threshold=0.6,
    message="motor-001 failure risk 70% within 72 h",
    evidence={"top_features": [e.to_dict() for e in EVIDENCE], "model_version": "maint-0.1"},
)
GROUND_TRUTH = GroundTruthEvent(
    domain="maintenance",
    asset_id="motor-001",
    kind="precursor_start",
    ts=NOW,
    episode_id="ep-3",
    detail={"mode": "outer_race"},
)


def test_telemetry_round_trips_through_decode():
    assert decode_telemetry(TELEMETRY.to_json(), **CLOCK) == TELEMETRY


@pytest.mark.parametrize("kind", list(MaintenanceKind))
def test_maintenance_round_trips_through_decode(kind):
    event = MaintenanceEvent("evt-1", "motor-001", "ac-motor", NOW - 5.0, kind.value)
    assert decode_maintenance(event.to_json(), **CLOCK) == event


def test_maintenance_with_component_and_note_round_trips():
    event = MaintenanceEvent("evt-2", "m-2", "pump", NOW, "repair", "bearing", "replaced")
    assert decode_maintenance(event.to_json(), **CLOCK) == event


@pytest.mark.parametrize("record", [TELEMETRY, PREDICTION, ALERT, GROUND_TRUTH])
def test_records_round_trip_through_from_dict(record):
    assert type(record).from_dict(orjson.loads(record.to_json())) == record


def test_wire_keys_are_the_version_and_the_field_names():
    for record in (TELEMETRY, PREDICTION, ALERT, GROUND_TRUTH):
        names = [f.name for f in dataclasses.fields(record)]
        assert list(record.to_dict()) == ["v", *names]
        assert record.to_dict()["v"] == 1 == type(record).SCHEMA_VERSION


def test_prediction_wire_form_nests_evidence_objects():
    wire = orjson.loads(PREDICTION.to_json())
    assert wire["top_features"][0] == {
        "name": "vibration_rms",
        "value": 7.5,
        "baseline": 2.5,
        "z": 6.2,
    }
    assert wire["time_to_failure_h"] is None


def test_decoded_numbers_are_floats_even_from_json_integers():
    record = decode_telemetry(orjson.dumps(telemetry_dict(ts=int(NOW), speed_rpm=1480)), **CLOCK)
    assert type(record.ts) is float
    assert type(record.speed_rpm) is float


def test_unknown_extra_fields_are_ignored():
    raw = orjson.dumps(telemetry_dict(firmware="2.1", extra={"nested": [1, 2]}, rssi=-70))
    assert decode_telemetry(raw, **CLOCK).asset_id == "motor-001"
    raw = orjson.dumps(maintenance_dict(technician="ann"))
    assert decode_maintenance(raw, **CLOCK).kind == "failure"


def test_absent_optional_maintenance_fields_default_to_none():
    wire = maintenance_dict()
    del wire["component"], wire["note"]
    event = decode_maintenance(orjson.dumps(wire), **CLOCK)
    assert (event.component, event.note) == (None, None)


def test_feature_fields_are_the_eight_sensor_values_in_order():
    assert FEATURE_FIELDS == (
        "vibration_rms",
        "kurtosis",
        "crest_factor",
        "dominant_freq_hz",
        "bearing_temp_c",
        "ambient_temp_c",
        "load_pct",
        "speed_rpm",
    )
    assert TELEMETRY.features() == tuple(getattr(TELEMETRY, name) for name in FEATURE_FIELDS)


def test_records_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TELEMETRY.ts = 0.0  # type: ignore[misc]
