"""Fleet records: validation with reason codes and agreement with the JSON Schemas."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from schemas import ValidationError
from schemas.jsonschema import json_schema
from schemas.vehicle import (
    AreaContext,
    AreaNotice,
    DispatcherVerdict,
    FleetEpisode,
    Geofence,
    GeofenceEvent,
    VehicleTelemetry,
    decode_geofence,
    decode_vehicle_telemetry,
    decode_verdict,
)

jsonschema = pytest.importorskip("jsonschema")

CLOCK = {"now": 1.8e9, "min_event_time": 946_684_800.0, "max_future_skew_s": 300.0}
FIX = VehicleTelemetry("truck-1", 1.7e9, 45.0, 7.6, 30.0, 90.0, True, "r1", None)
VERDICT = DispatcherVerdict("v-1", "truck-1", 1.7e9, 1.69e9, 1.6901e9, "traffic_detour")
FENCE = Geofence("zone-1", "restricted", 45.0, 7.6, 200.0, "yard", 600.0)
RECORDS = [
    FIX,
    VERDICT,
    FENCE,
    GeofenceEvent("truck-1", "zone-1", "restricted", "entered", 1.7e9, 0.0, 45.0, 7.6),
    FleetEpisode(
        "0123456789abcdef",
        "truck-1",
        1.7e9,
        None,
        "ongoing",
        "unauthorized",
        0.9,
        {"normal": 0.05, "traffic_detour": 0.05, "unauthorized": 0.9},
        ("entered a zone",),
        {"restricted": 1.0},
        800.0,
        None,
        "r1",
        1,
        "fleet-prior1+sgd0",
    ),
    AreaNotice("area:1:2", "truck-1", "0123456789abcdef", 1.7e9, 1.7e9 + 60, True, 45.0, 7.6),
    AreaNotice(
        "area:1:2",
        "truck-1",
        "0123456789abcdef",
        1.7e9,
        1.7e9 + 60,
        True,
        45.0,
        7.6,
        rejoin_lat=45.01,
        rejoin_lon=7.64,
    ),
    AreaContext("truck-1", "0123456789abcdef", "area:1:2", 2, 1.7e9),
]


def _changed(record: Any, **changes: Any) -> bytes:
    data = record.to_dict()
    data.update(changes)
    return orjson.dumps({k: v for k, v in data.items() if v is not ...})


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_wire_forms_are_valid_against_their_json_schema(record):
    schema = json_schema(type(record))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(orjson.loads(record.to_json()))


def test_valid_records_decode_to_themselves():
    assert decode_vehicle_telemetry(FIX.to_json(), **CLOCK) == FIX
    assert decode_verdict(VERDICT.to_json(), **CLOCK) == VERDICT
    assert decode_geofence(FENCE.to_json()) == FENCE


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"lat": 91.0}, "out_of_range"),
        ({"speed_kmh": float("nan")}, "not_finite"),
        ({"vehicle_id": "truck 1"}, "bad_id"),
        ({"ignition": 1}, "wrong_type"),
        ({"route_id": 7}, "bad_id"),
        ({"ts": 3e9}, "timestamp_in_future"),
        ({"heading_deg": ...}, "missing_field"),
        ({"v": 2}, "unsupported_version"),
    ],
)
def test_bad_fixes_are_rejected_with_their_reason(changes, reason):
    raw = _changed(FIX, **changes)
    if changes.get("speed_kmh") != changes.get("speed_kmh"):
        raw = raw.replace(b"null", b"NaN")
    with pytest.raises(ValidationError) as caught:
        decode_vehicle_telemetry(raw, **CLOCK)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"label": "stolen"}, "bad_enum"),
        ({"episode_end_ts": 1.0e9}, "out_of_range"),
        ({"verdict_id": ...}, "missing_field"),
    ],
)
def test_bad_verdicts_are_rejected_with_their_reason(changes, reason):
    with pytest.raises(ValidationError) as caught:
        decode_verdict(_changed(VERDICT, **changes), **CLOCK)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"kind": "parking"}, "bad_enum"),
        ({"radius_m": 0.5}, "out_of_range"),
        ({"max_dwell_s": -5}, "out_of_range"),
        ({"active": "no"}, "wrong_type"),
    ],
)
def test_bad_geofences_are_rejected_with_their_reason(changes, reason):
    with pytest.raises(ValidationError) as caught:
        decode_geofence(_changed(FENCE, **changes))
    assert caught.value.reason == reason


def test_withdrawn_geofence_defaults_to_active_when_absent():
    assert decode_geofence(_changed(FENCE, active=...)).active is True
