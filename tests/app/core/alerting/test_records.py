"""Alert topic record shape, evidence, deterministic ids and messages."""

from __future__ import annotations

from types import MappingProxyType

import orjson
import pytest

from app.core.alerting import (
    AlertState,
    Evidence,
    FeatureEvidence,
    alert_id,
    evaluate,
    format_duration,
)
from tests.app.core.alerting.support import HOUR, T0, make_evidence, make_policy

RECORD_KEYS = {
    "v",
    "alert_id",
    "domain",
    "alert_type",
    "asset_id",
    "severity",
    "state",
    "ts",
    "first_ts",
    "score",
    "threshold",
    "message",
    "evidence",
}
HANDLING_KEYS = {"transition_id", "by", "note", "shelved_until", "outcome", "level"}
"""Fields of the alarms domain's handling transitions: null on a condition record."""


def raised_after_two_hours() -> dict[str, object]:
    """Record of an alert raised after the score held 2 h (min duration 2 h)."""
    policy, state = make_policy(min_duration_s=2 * HOUR), AlertState()
    for hours in (0.0, 1.0):
        ts = T0 + hours * HOUR
        evaluate(policy, state, asset_id="motor-0007", score=0.72, ts=ts, evidence=make_evidence)
    transition = evaluate(
        policy, state, asset_id="motor-0007", score=0.72, ts=T0 + 2 * HOUR, evidence=make_evidence
    )
    assert transition is not None
    return transition.to_alert().to_dict()


def test_record_has_exactly_the_alert_topic_shape() -> None:
    record = raised_after_two_hours()
    assert set(record) == RECORD_KEYS | HANDLING_KEYS
    assert all(record[key] is None for key in HANDLING_KEYS)
    assert record["v"] == 1
    assert record["domain"] == "maintenance"
    assert record["alert_type"] == "bearing_failure_risk"
    assert record["asset_id"] == "motor-0007"
    assert record["severity"] == "warning" and type(record["severity"]) is str
    assert record["state"] == "raised" and type(record["state"]) is str
    assert record["ts"] == T0 + 2 * HOUR
    assert record["first_ts"] == T0
    assert record["score"] == 0.72
    assert record["threshold"] == 0.6
    assert record["alert_id"] == alert_id("maintenance", "motor-0007", "bearing_failure_risk", T0)
    assert record["evidence"] == {
        "top_features": [{"name": "kurtosis", "value": 7.9, "baseline": 3.1, "z": 6.2}],
        "model_version": "risk-v1",
        "score": 0.72,
        "threshold": 0.6,
    }


def test_record_message_is_the_documented_one_liner() -> None:
    assert raised_after_two_hours()["message"] == (
        "bearing_failure_risk WARNING on motor-0007: score 0.72 >= 0.60 for 2.0 h; "
        "top: kurtosis 7.9 vs 3.1 (z=+6.2)"
    )


def test_record_serialises_to_json() -> None:
    record = raised_after_two_hours()
    assert orjson.loads(orjson.dumps(record)) == record


def test_evidence_extra_keys_are_merged_into_dict() -> None:
    evidence = Evidence(
        top_features=(FeatureEvidence("speed", 12.0, 5.0, 3.5),),
        score=0.9,
        threshold=0.8,
        model_version="rule-1",
        extra=MappingProxyType({"who": ["w1", "w2"], "where": "zone B3"}),
    )
    data = evidence.to_dict()
    assert data["who"] == ["w1", "w2"]
    assert data["where"] == "zone B3"
    assert data["top_features"] == [{"name": "speed", "value": 12.0, "baseline": 5.0, "z": 3.5}]


def test_evidence_rejects_extra_keys_shadowing_core_fields() -> None:
    with pytest.raises(ValueError, match="reserved"):
        Evidence(top_features=(), score=1.0, threshold=0.5, model_version="", extra={"score": 2})


def test_alert_id_is_deterministic_and_rounds_to_the_millisecond() -> None:
    base = alert_id("maintenance", "motor-1", "bearing_failure_risk", T0)
    assert base == alert_id("maintenance", "motor-1", "bearing_failure_risk", T0 + 0.0004)
    assert len(base) == 16
    int(base, 16)
    assert base != alert_id("maintenance", "motor-1", "bearing_failure_risk", T0 + 0.001)
    assert base != alert_id("maintenance", "motor-2", "bearing_failure_risk", T0)
    assert base != alert_id("fleet", "motor-1", "bearing_failure_risk", T0)
    assert base != alert_id("maintenance", "motor-1", "overheat", T0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0 s"), (45.0, "45 s"), (720.0, "12 min"), (7200.0, "2.0 h"), (302400.0, "3.5 d")],
)
def test_format_duration_picks_a_readable_unit(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
