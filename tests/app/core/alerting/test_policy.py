"""AlertPolicy validation, severity mapping and Severity ordering."""

from __future__ import annotations

import pytest

from app.core.alerting import Severity
from tests.app.core.alerting.support import make_policy


@pytest.mark.parametrize("clear", [0.6, 0.7])
def test_policy_rejects_clear_threshold_not_below_raise(clear: float) -> None:
    with pytest.raises(ValueError, match="hysteresis"):
        make_policy(clear_threshold=clear)


@pytest.mark.parametrize(
    "changes",
    [
        {"severities": ()},
        {"severities": ((0.85, Severity.CRITICAL), (0.6, Severity.WARNING))},
        {"severities": ((0.6, Severity.WARNING), (0.6, Severity.CRITICAL))},
        {"min_duration_s": -1.0},
        {"cooldown_s": -1.0},
        {"update_min_delta": 0.0},
        {"raise_threshold": float("nan")},
        {"alert_type": ""},
    ],
)
def test_policy_rejects_inconsistent_configuration(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_policy(**changes)


def test_policy_accepts_valid_configuration_and_normalises_severities() -> None:
    policy = make_policy(severities=[(0.6, "warning"), (0.85, "critical")])
    assert policy.severities == ((0.6, Severity.WARNING), (0.85, Severity.CRITICAL))


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0.4, Severity.WARNING),
        (0.6, Severity.WARNING),
        (0.849, Severity.WARNING),
        (0.85, Severity.CRITICAL),
        (1.0, Severity.CRITICAL),
    ],
)
def test_severity_for_takes_highest_level_reached_else_lowest(
    score: float, expected: Severity
) -> None:
    assert make_policy().severity_for(score) is expected


def test_severity_orders_by_urgency_not_alphabetically() -> None:
    assert Severity.INFO < Severity.WARNING < Severity.CRITICAL
    assert Severity.CRITICAL > Severity.INFO
    assert max(Severity.CRITICAL, Severity.WARNING, Severity.INFO) is Severity.CRITICAL
    assert sorted([Severity.CRITICAL, Severity.INFO, Severity.WARNING]) == [
        Severity.INFO,
        Severity.WARNING,
        Severity.CRITICAL,
    ]
    assert Severity.WARNING == "warning"
