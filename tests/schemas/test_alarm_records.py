"""Operator actions on alarms and alert records are validated with precise reasons."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from schemas import AlarmAction, ValidationError, decode_alarm_action, decode_alert
from schemas.jsonschema import json_schema
from tests.schemas.samples import CLOCK, NOW
from tests.schemas.test_records import ALERT

jsonschema = pytest.importorskip("jsonschema")


def action(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "v": 1,
        "ack_id": "ack-1",
        "alert_id": "0123456789abcdef",
        "asset_id": "motor-001",
        "action": "acknowledge",
        "by": "Alice Operator",
        "ts": NOW - 1.0,
    }
    record.update(changes)
    return record


def reject(record: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        decode_alarm_action(orjson.dumps(record), **CLOCK)
    return info.value


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"action": "shelve", "shelve_s": 3600},
        {"action": "unshelve"},
        {"action": "note", "note": "crew informed"},
        {"action": "outcome", "outcome": "fault_confirmed", "note": "outer race spalling"},
        {"action": "outcome", "outcome": "no_fault_found"},
    ],
)
def test_every_action_round_trips_and_validates_against_its_schema(changes):
    decoded = decode_alarm_action(orjson.dumps(action(**changes)), **CLOCK)
    assert isinstance(decoded, AlarmAction)
    assert decode_alarm_action(decoded.to_json(), **CLOCK) == decoded
    jsonschema.Draft202012Validator(json_schema(AlarmAction)).validate(decoded.to_dict())


@pytest.mark.parametrize(
    ("changes", "reason", "detail"),
    [
        ({"action": "ack"}, "bad_enum", "action='ack'"),
        ({"action": "shelve"}, "missing_field", "shelve_s"),
        ({"action": "shelve", "shelve_s": 0}, "out_of_range", "shelve_s"),
        ({"action": "shelve", "shelve_s": 8 * 86400}, "out_of_range", "shelve_s"),
        ({"action": "note"}, "missing_field", "note"),
        ({"action": "note", "note": "   "}, "missing_field", "note"),
        ({"action": "note", "note": "x" * 2001}, "out_of_range", "2001"),
        ({"action": "outcome"}, "missing_field", "outcome"),
        ({"action": "outcome", "outcome": "maybe"}, "bad_enum", "outcome"),
        ({"by": ""}, "out_of_range", "by"),
        ({"by": "x" * 129}, "out_of_range", "by"),
        ({"by": "bob\n"}, "out_of_range", "by"),
        ({"by": 7}, "wrong_type", "by"),
        ({"alert_id": "no spaces"}, "bad_id", "alert_id"),
        ({"ts": NOW + 3600}, "timestamp_in_future", "ts"),
    ],
)
def test_bad_actions_are_rejected_with_reason_and_field(changes, reason, detail):
    error = reject(action(**changes))
    assert error.reason == reason
    assert detail in error.detail


def test_decode_alert_reads_condition_and_alarm_records_and_refuses_broken_ones():
    assert decode_alert(ALERT.to_json()) == ALERT
    handled = {
        **ALERT.to_dict(),
        "state": "escalated",
        "transition_id": "00ff00ff00ff00ff",
        "by": "aiot",
        "level": 2,
    }
    assert decode_alert(orjson.dumps(handled)).level == 2
    for broken, reason in (
        ({**ALERT.to_dict(), "state": "exploded"}, "bad_enum"),
        ({**ALERT.to_dict(), "evidence": []}, "wrong_type"),
        ({**ALERT.to_dict(), "level": 0}, "wrong_type"),
        ({k: v for k, v in ALERT.to_dict().items() if k != "message"}, "missing_field"),
    ):
        with pytest.raises(ValidationError) as info:
            decode_alert(orjson.dumps(broken))
        assert info.value.reason == reason


def test_maintenance_outcome_only_on_inspections():
    from schemas import decode_maintenance
    from tests.schemas.samples import maintenance_dict

    ok = decode_maintenance(
        orjson.dumps(maintenance_dict(kind="inspection", outcome="no_fault_found")), **CLOCK
    )
    assert ok.outcome == "no_fault_found"
    with pytest.raises(ValidationError, match="needs kind 'inspection'"):
        decode_maintenance(
            orjson.dumps(maintenance_dict(kind="failure", outcome="fault_confirmed")), **CLOCK
        )
