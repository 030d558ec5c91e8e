"""Event times in the forms producers send, and rejections that name every problem at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import orjson
import pytest

from schemas import ValidationError, decode_maintenance, decode_telemetry
from schemas.deadletter import DeadLetter
from schemas.jsonschema import json_schema
from schemas.timestamps import TimestampError, event_seconds
from schemas.vehicle import decode_verdict
from schemas.wearable import decode_wearable
from tests.schemas.samples import CLOCK, NOW, maintenance_dict, telemetry_dict

ISO_NOW = datetime.fromtimestamp(NOW - 60, UTC)


def _telemetry(**changes) -> bytes:
    return json.dumps(telemetry_dict(**changes)).encode()  # the stdlib writes huge integers


def _rejected(raw: bytes, decode=decode_telemetry) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        decode(raw, **CLOCK)
    return info.value


@pytest.mark.parametrize(
    ("sent", "seconds"),
    [
        (NOW - 60, NOW - 60),
        (int(NOW - 60), NOW - 60),
        ((NOW - 60) * 1e3 + 250, NOW - 60 + 0.25),
        (int((NOW - 60) * 1e6), NOW - 60),
        (int((NOW - 60) * 1e9), NOW - 60),
        (ISO_NOW.isoformat().replace("+00:00", "Z"), NOW - 60),
        (ISO_NOW.astimezone().isoformat(), NOW - 60),
        ("2023-11-14T22:12:20.5+02:00", datetime(2023, 11, 14, 20, 12, 20, 500000, UTC)),
    ],
    ids=["seconds", "int-seconds", "millis", "micros", "nanos", "iso-z", "iso-local", "iso-off"],
)
def test_event_times_in_every_common_form_become_unix_seconds(sent, seconds):
    expected = seconds.timestamp() if isinstance(seconds, datetime) else seconds
    record = decode_telemetry(_telemetry(ts=sent), **CLOCK)
    assert record.ts == pytest.approx(expected, abs=1e-6)
    assert isinstance(record.ts, float)


def test_a_millisecond_time_too_far_ahead_says_it_was_read_as_milliseconds():
    err = _rejected(_telemetry(ts=(NOW + 3600) * 1000))
    assert err.reason == "timestamp_in_future"
    assert err.detail.startswith(f"ts={(NOW + 3600) * 1000!r} read as ms (")
    assert "3600.000 s ahead" in err.detail


@pytest.mark.parametrize(
    ("sent", "reason", "text"),
    [
        ("2024-05-01T12:00:00", "wrong_type", "has no UTC offset: add Z or +hh:mm"),
        ("yesterday", "wrong_type", "is not ISO-8601"),
        (True, "wrong_type", "is bool, expected epoch seconds/milliseconds or ISO-8601"),
        (float("inf"), "not_finite", "is not a finite number"),
    ],
)
def test_what_is_no_event_time_is_refused_with_what_to_send(sent, reason, text):
    err = _rejected(_telemetry(ts=sent))
    assert err.reason == reason
    assert text in err.detail


def test_event_seconds_rejects_non_finite_numbers():
    with pytest.raises(TimestampError):
        event_seconds(float("nan"))


def test_a_reading_with_two_channels_names_every_missing_field_at_once():
    record = {k: v for k, v in telemetry_dict().items() if k not in {"kurtosis", "crest_factor"}}
    record = {k: v for k, v in record.items() if k not in {"dominant_freq_hz", "ambient_temp_c"}}
    record = {k: v for k, v in record.items() if k not in {"load_pct", "speed_rpm"}}
    err = _rejected(orjson.dumps(record))
    assert err.reason == "missing_field"
    assert [p.detail for p in err.problems] == [
        "kurtosis is missing",
        "crest_factor is missing",
        "dominant_freq_hz is missing",
        "ambient_temp_c is missing",
        "load_pct is missing",
        "speed_rpm is missing",
    ]
    assert err.detail == "; ".join(p.detail for p in err.problems)


def test_problems_of_different_kinds_keep_their_own_codes_in_field_order():
    err = _rejected(_telemetry(asset_id="bad id!", ts="soon", kurtosis="high", load_pct=900.0))
    reasons = [p.reason for p in err.problems]
    assert reasons == ["bad_id", "wrong_type", "wrong_type", "out_of_range"]
    assert err.reason == "bad_id"


def test_a_single_problem_is_reported_as_before():
    err = _rejected(_telemetry(kurtosis="high"))
    assert err.problems == (err,)
    assert err.detail == "kurtosis='high' is str, expected a number"


def test_maintenance_event_names_every_problem():
    record = maintenance_dict(kind="exploded", ts="2024-13-01T00:00:00Z")
    del record["event_id"]
    err = _rejected(orjson.dumps(record), decode_maintenance)
    assert [p.reason for p in err.problems] == ["missing_field", "wrong_type", "bad_enum"]


def test_a_verdict_accepts_iso_episode_times_and_names_every_problem():
    verdict = {
        "verdict_id": "v-1",
        "vehicle_id": "truck-1",
        "ts": "2023-11-14T22:00:00Z",
        "episode_start_ts": "2023-11-14T20:00:00Z",
        "episode_end_ts": (NOW - 7200) * 1000,
        "label": "traffic_detour",
    }
    decoded = decode_verdict(orjson.dumps(verdict), **CLOCK)
    assert decoded.episode_end_ts == NOW - 7200
    bad = {**verdict, "episode_end_ts": "2023-11-14T19:00:00Z", "label": "joyride"}
    err = _rejected(orjson.dumps(bad), decode_verdict)
    assert [p.reason for p in err.problems] == ["out_of_range", "bad_enum"]


def test_a_wearable_reading_names_every_problem_without_revealing_the_worker():
    err = _rejected(orjson.dumps({"worker_id": "alice-smith", "ts": NOW}), decode_wearable)
    assert err.problems[0].detail.startswith("worker_id is not a pseudonym")
    assert "alice" not in err.problems[0].detail
    assert len(err.problems) == 1 + 9, "the pseudonym and the nine required readings"


def test_the_dead_letter_lists_each_problem_machine_readably_and_fits_its_schema():
    err = _rejected(_telemetry(kurtosis=None, speed_rpm=-5))
    letter = DeadLetter.from_rejection(
        b"{}", err, source_topic="t", partition=0, offset=7, key=b"m", received_at=NOW
    )
    wire = orjson.loads(letter.to_json())
    assert wire["reason"] == "wrong_type"
    assert wire["problems"] == [
        {"reason": "wrong_type", "detail": "kurtosis=None is NoneType, expected a number"},
        {"reason": "out_of_range", "detail": "speed_rpm=-5 outside [0, 100000] rpm"},
    ]
    jsonschema.validate(wire, json_schema(DeadLetter))
    assert DeadLetter.from_dict(wire) == letter


def test_the_input_schemas_accept_the_time_forms_the_decoders_accept():
    from schemas.telemetry import MachineTelemetry

    schema = json_schema(MachineTelemetry)
    for ts in (NOW, int(NOW * 1000), "2023-11-14T22:12:20Z"):
        jsonschema.validate(json.loads(_telemetry(ts=ts)), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(_telemetry(ts=True)), schema)
