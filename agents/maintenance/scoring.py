"""Score maintenance alerts against the simulator's ground truth (the ``make run`` summary).

An alert *episode* runs from its raise (``first_ts``) to its clear (or on, if never cleared). A
failure counts as *predicted* when an episode of that asset was raised before it and was active
at some time within the horizon before it (raised within the horizon, or raised earlier and
still active - a standing warning); its lead time is the failure time minus the earliest such
raise, in simulated hours. An episode is *false* when it predicts no failure - the ground
truth's full failure schedule is used, so an early warning for a failure that falls after the
run still counts as true. Rates are per motor-month (30 simulated days of one motor).
"""

from __future__ import annotations

import math
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
    episodes: dict[str, dict[str, list[float]]] = defaultdict(dict)
    for alert in alerts:
        if alert.get("alert_type") not in alert_types:
            continue
        span = episodes[str(alert["asset_id"])].setdefault(
            str(alert["alert_id"]), [float(alert["first_ts"]), math.inf]
        )
        if alert.get("state") == "cleared":
            span[1] = float(alert["ts"])

    def predicts(span: list[float], failure_ts: float) -> bool:
        return span[0] <= failure_ts and span[1] >= failure_ts - horizon_s

    leads = []
    for asset, failure_ts in run_failures:
        raised = [s[0] for s in episodes[asset].values() if predicts(s, failure_ts)]
        if raised:
            leads.append((failure_ts - min(raised)) / 3600.0)
    false_alerts = sum(
        1
        for asset, spans in episodes.items()
        for span in spans.values()
        if not any(predicts(span, f) for f in failures_by_asset[asset])
    )
    return MaintenanceScore(
        failures=len(run_failures),
        predicted=len(leads),
        median_lead_hours=statistics.median(leads) if leads else None,
        false_alerts=false_alerts,
        motor_months=motors * max(run_end_ts - run_start_ts, 0.0) / MONTH_S,
    )
