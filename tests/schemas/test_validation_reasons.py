"""Every validation reason code is produced by a concrete bad input, with a precise detail."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
import pytest

from schemas import REASONS, TELEMETRY_RANGES, ValidationError, decode_telemetry
from schemas.validation import check_lateness, decode_maintenance
from tests.schemas.samples import CLOCK, NOW, maintenance_dict, telemetry_dict


def _reject_telemetry(raw: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        decode_telemetry(raw, **CLOCK)
    return info.value


def _reject_maintenance(raw: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        decode_maintenance(raw, **CLOCK)
    return info.value


def _without(record: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != name}


TELEMETRY_FIELDS = [name for name in telemetry_dict() if name != "v"]
OUT_OF_RANGE = [
    (name, bounds.high * 2 + 1 if bounds.high > 0 else 1.0)
    for name, bounds in TELEMETRY_RANGES.items()
] + [(name, bounds.low - 1) for name, bounds in TELEMETRY_RANGES.items()]
BAD_IDS = ["", "x" * 65, "motor 001", "-motor", "motor\n", "mötor", 42, None, True, ["m"]]


def test_reasons_are_the_documented_codes():
    assert REASONS == (
        "malformed_json",
        "not_an_object",
        "unsupported_version",
        "missing_field",
        "wrong_type",
        "not_finite",
        "out_of_range",
        "bad_id",
        "bad_enum",
        "timestamp_in_future",
        "timestamp_too_old",
        "nested_too_deep",
        "processing_error",
        "not_applicable",
    )


def test_unknown_reason_code_is_refused():
    with pytest.raises(ValueError, match="unknown validation reason"):
        ValidationError("whatever", "x")


@pytest.mark.parametrize("raw", [b"", b"{", b'{"asset_id": "m1",}', b"\xff\xfe", b"nope"])
def test_malformed_json_is_rejected_with_the_parser_message(raw):
    error = _reject_telemetry(raw)
    assert error.reason == "malformed_json"
    assert "line 1" in error.detail


def test_lone_surrogate_accepted_by_stdlib_json_is_still_malformed():
    raw = orjson.dumps(telemetry_dict()).replace(b'"motor-001"', b'"\\ud800"')
    assert _reject_telemetry(raw).reason == "malformed_json"


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"42", b"null", b"true"])
def test_non_object_json_is_rejected(raw):
    error = _reject_telemetry(raw)
    assert error.reason == "not_an_object"
    assert "expected an object" in error.detail


@pytest.mark.parametrize("version", [2, 0, "1", 1.0, True, None])
def test_unsupported_version_is_rejected(version):
    error = _reject_telemetry(orjson.dumps(telemetry_dict(v=version)))
    assert error.reason == "unsupported_version"
    assert error.detail.startswith(f"v={version!r}")


def test_absent_version_is_read_as_version_one():
    record = decode_telemetry(orjson.dumps(_without(telemetry_dict(), "v")), **CLOCK)
    assert record.asset_id == "motor-001"


@pytest.mark.parametrize("name", TELEMETRY_FIELDS)
def test_each_missing_telemetry_field_is_named(name):
    error = _reject_telemetry(orjson.dumps(_without(telemetry_dict(), name)))
    assert error.reason == "missing_field"
    assert error.detail == f"{name} is missing"


@pytest.mark.parametrize("name", ["event_id", "asset_id", "asset_class", "ts", "kind"])
def test_each_missing_required_maintenance_field_is_named(name):
    error = _reject_maintenance(orjson.dumps(_without(maintenance_dict(), name)))
    assert error.reason == "missing_field"
    assert error.detail == f"{name} is missing"


@pytest.mark.parametrize("name", ["ts", *TELEMETRY_RANGES])
@pytest.mark.parametrize("value", ["2.5", True, False, None, [1.0], {"x": 1}])
def test_non_number_in_a_float_field_is_wrong_type(name, value):
    error = _reject_telemetry(orjson.dumps(telemetry_dict(**{name: value})))
    assert error.reason == "wrong_type"
    if name == "ts" and isinstance(value, str):  # text is read as ISO-8601 there
        assert error.detail.startswith(f"ts={value!r} is not ISO-8601")
    else:
        assert error.detail.startswith(f"{name}={value!r} is {type(value).__name__}")


@pytest.mark.parametrize("name", ["component", "note"])
def test_non_string_optional_text_is_wrong_type(name):
    error = _reject_maintenance(orjson.dumps(maintenance_dict(**{name: 7})))
    assert error.reason == "wrong_type"
    assert error.detail.startswith(f"{name}=7")


@pytest.mark.parametrize("name", ["ts", *TELEMETRY_RANGES])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_tokens_are_not_finite_with_the_field_named(name, value):
    raw = json.dumps(telemetry_dict(**{name: value})).encode()
    error = _reject_telemetry(raw)
    assert error.reason == "not_finite"
    assert error.detail.startswith(f"{name}={value!r}")


def test_number_overflowing_a_double_is_not_finite():
    raw = orjson.dumps(telemetry_dict()).replace(b'"vibration_rms":2.5', b'"vibration_rms":1e400')
    error = _reject_telemetry(raw)
    assert (error.reason, error.detail.split("=")[0]) == ("not_finite", "vibration_rms")


@pytest.mark.parametrize(("name", "value"), OUT_OF_RANGE)
def test_each_out_of_range_field_names_value_and_bounds(name, value):
    error = _reject_telemetry(orjson.dumps(telemetry_dict(**{name: value})))
    assert error.reason == "out_of_range"
    assert error.detail == f"{name}={value!r} outside {TELEMETRY_RANGES[name].interval()}"


def test_out_of_range_detail_reads_naturally():
    error = _reject_telemetry(orjson.dumps(telemetry_dict(vibration_rms=512.0)))
    assert error.detail == "vibration_rms=512.0 outside [0, 200] mm/s"


@pytest.mark.parametrize("name", TELEMETRY_RANGES)
def test_range_bounds_themselves_are_accepted(name):
    bounds = TELEMETRY_RANGES[name]
    for value in (bounds.low, bounds.high):
        record = decode_telemetry(orjson.dumps(telemetry_dict(**{name: value})), **CLOCK)
        assert getattr(record, name) == value


@pytest.mark.parametrize("name", ["asset_id", "asset_class"])
@pytest.mark.parametrize("value", BAD_IDS)
def test_bad_telemetry_ids_are_rejected(name, value):
    error = _reject_telemetry(orjson.dumps(telemetry_dict(**{name: value})))
    assert error.reason == "bad_id"
    assert error.detail.startswith(f"{name}=")


@pytest.mark.parametrize("value", BAD_IDS)
def test_bad_event_ids_are_rejected(value):
    error = _reject_maintenance(orjson.dumps(maintenance_dict(event_id=value)))
    assert error.reason == "bad_id"
    assert error.detail.startswith("event_id=")


def test_longest_allowed_id_is_accepted():
    record = decode_telemetry(orjson.dumps(telemetry_dict(asset_id="a" * 64)), **CLOCK)
    assert record.asset_id == "a" * 64


@pytest.mark.parametrize("kind", ["explosion", "FAILURE", "", 3, None])
def test_unknown_maintenance_kind_is_bad_enum(kind):
    error = _reject_maintenance(orjson.dumps(maintenance_dict(kind=kind)))
    assert error.reason == "bad_enum"
    assert error.detail.startswith(f"kind={kind!r} is not one of failure, repair, inspection")


def test_timestamp_beyond_future_skew_is_rejected():
    error = _reject_telemetry(orjson.dumps(telemetry_dict(ts=NOW + 3600.0)))
    assert error.reason == "timestamp_in_future"
    assert error.detail.startswith(f"ts={NOW + 3600.0!r}")
    assert "300.0" in error.detail


def test_timestamp_within_future_skew_is_accepted():
    record = decode_telemetry(orjson.dumps(telemetry_dict(ts=NOW + 299.0)), **CLOCK)
    assert record.ts == NOW + 299.0


@pytest.mark.parametrize("ts", [0, 12.5, 946_684_799.0, -1e9])
def test_timestamp_before_min_event_time_is_too_old(ts):
    error = _reject_maintenance(orjson.dumps(maintenance_dict(ts=ts)))
    assert error.reason == "timestamp_too_old"
    assert error.detail.startswith(f"ts={ts!r}")
    assert "min_event_time 946684800.0" in error.detail


def test_event_later_than_watermark_minus_lateness_passes():
    check_lateness(NOW - 10.0, NOW, 60.0)
    check_lateness(NOW - 60.0, NOW, 60.0)
    check_lateness(NOW, None, 60.0)


def test_event_too_far_behind_watermark_is_too_old():
    with pytest.raises(ValidationError) as info:
        check_lateness(NOW - 61.0, NOW, 60.0)
    assert info.value.reason == "timestamp_too_old"
    assert info.value.detail.startswith(f"ts={NOW - 61.0!r} is 61.000 s behind")


def test_error_message_carries_reason_and_detail():
    error = _reject_telemetry(b"[]")
    assert str(error) == f"not_an_object: {error.detail}"
    assert isinstance(error, ValueError)


def test_long_offending_values_are_truncated_in_the_detail():
    error = _reject_telemetry(orjson.dumps(telemetry_dict(asset_id="x" * 10_000)))
    assert len(error.detail) < 200
