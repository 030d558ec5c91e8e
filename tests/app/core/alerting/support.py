"""Shared policy and evidence builders for the alerting tests."""

from __future__ import annotations

from app.core.alerting import AlertPolicy, Evidence, FeatureEvidence, Severity

T0 = 1_700_000_000.0
HOUR = 3600.0


def make_policy(**changes: object) -> AlertPolicy:
    """A maintenance-like policy: raise 0.6, clear 0.35, 1 h min duration, 6 h cooldown."""
    values: dict[str, object] = {
        "alert_type": "bearing_failure_risk",
        "domain": "maintenance",
        "raise_threshold": 0.6,
        "clear_threshold": 0.35,
        "min_duration_s": HOUR,
        "cooldown_s": 6 * HOUR,
        "severities": ((0.6, Severity.WARNING), (0.85, Severity.CRITICAL)),
        "update_min_delta": 0.1,
    }
    values.update(changes)
    return AlertPolicy(**values)  # type: ignore[arg-type]


def make_evidence(score: float = 0.72) -> Evidence:
    """Evidence with one kurtosis feature."""
    return Evidence(
        top_features=(FeatureEvidence("kurtosis", 7.9, 3.1, 6.2),),
        score=score,
        threshold=0.6,
        model_version="risk-v1",
    )
