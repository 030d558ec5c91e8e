"""Score maintenance alerts against the simulator's ground truth (the ``make run`` summary).

A failure counts as *predicted* when the asset had an alert raised within the horizon before
it; its lead time is the failure time minus the earliest such raise, in simulated hours. An
alert raise counts as *false* when no failure of that asset follows within the horizon - the
ground truth's full failure schedule is used, so an early warning for a failure that falls
after the run still counts as true. Rates are per motor-month (30 simulated days of one motor).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MaintenanceScore", "score_maintenance"]

MONTH_S = 30 * 86400.0


@dataclass(frozen=True, slots=True)
class MaintenanceScore:
    """The maintenance part of the run summary."""

    failures: int
    predicted: int
    median_lead_hours: float | None
    false_alerts: int
    motor_months: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of the summary's ``maintenance`` object."""
        return {
            "failures": self.failures,
            "predicted": self.predicted,
            "median_lead_hours": None
            if self.median_lead_hours is None
            else round(self.median_lead_hours, 1),
            "false_alerts": self.false_alerts,
            "motor_months": round(self.motor_months, 2),
        }


def score_maintenance(
    ground_truth: Iterable[Mapping[str, Any]],
    alerts: Iterable[Mapping[str, Any]],
    *,
    horizon_s: float,
    run_start_ts: float,
    run_end_ts: float,
    motors: int,
    alert_types: frozenset[str] = frozenset({"bearing_failure_risk"}),
) -> MaintenanceScore:
    """Score raised maintenance ``alerts`` against simulator ``ground_truth`` events.

    ``ground_truth`` holds dicts with ``asset_id``, ``kind`` and ``ts``; a ``precursor_start``
    may carry ``detail.failure_ts`` (a failure scheduled after the run). Only failures whose
    time lies in ``[run_start_ts, run_end_ts]`` count as failures of the run.
    """
    failures_by_asset: dict[str, list[float]] = defaultdict(list)
    run_failures: list[tuple[str, float]] = []
    for event in ground_truth:
        asset = str(event["asset_id"])
        if event["kind"] == "failure":
            ts = float(event["ts"])
            failures_by_asset[asset].append(ts)
            if run_start_ts <= ts <= run_end_ts:
                run_failures.append((asset, ts))
        elif event["kind"] == "precursor_start":
            scheduled = (event.get("detail") or {}).get("failure_ts")
            if scheduled is not None:
                failures_by_asset[asset].append(float(scheduled))
    raises: dict[str, list[float]] = defaultdict(list)
    for alert in alerts:
        if alert.get("state") == "raised" and alert.get("alert_type") in alert_types:
            raises[str(alert["asset_id"])].append(float(alert["first_ts"]))
    leads = []
    for asset, failure_ts in run_failures:
        window = [t for t in raises[asset] if failure_ts - horizon_s <= t <= failure_ts]
        if window:
            leads.append((failure_ts - min(window)) / 3600.0)
    false_alerts = 0
    for asset, times in raises.items():
        for t in times:
            if not any(t <= f <= t + horizon_s for f in failures_by_asset[asset]):
                false_alerts += 1
    return MaintenanceScore(
        failures=len(run_failures),
        predicted=len(leads),
        median_lead_hours=statistics.median(leads) if leads else None,
        false_alerts=false_alerts,
        motor_months=motors * max(run_end_ts - run_start_ts, 0.0) / MONTH_S,
    )
