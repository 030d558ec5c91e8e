"""Settings of the predictive-maintenance domain: its topics, prediction horizon and alerting.

A section of the one settings object (:class:`app.settings.Settings`), declared here so the
domain owns its knobs; each field is read from ``AIOT_<FIELD NAME IN CAPS>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.config import setting

__all__ = ["MaintenanceSettings"]


@dataclass(frozen=True, slots=True)
class MaintenanceSettings:
    """Topics, horizon, baseline, alert and derate settings of the maintenance domain."""

    topic_telemetry: str = setting("aiot.machine.telemetry.v1", "Machine telemetry input.")
    topic_maintenance: str = setting(
        "aiot.machine.maintenance.v1", "Maintenance events (failure, repair, inspection) input."
    )
    topic_predictions: str = setting("aiot.machine.predictions.v1", "Predictions output.")
    topic_models: str = setting(
        "aiot.models.v1", "Compacted topic of shared per-class models (restored on start)."
    )
    horizon_h: float = setting(72.0, "Prediction horizon: P(failure within this many hours).")
    snapshot_interval_h: float = setting(
        3.0, "Event-time spacing of per-asset feature snapshots kept for delayed labels."
    )
    baseline_warmup: int = setting(
        36, "Readings an asset needs before its baseline is trusted and it is scored."
    )
    prediction_every: int = setting(
        6, "Emit a prediction record every N readings of an asset (alerts are evaluated always)."
    )
    risk_alert_threshold: float = setting(
        0.6, "Failure-risk alert raises when the combined risk score reaches this level."
    )
    risk_clear_threshold: float = setting(
        0.35, "Failure-risk alert clears when the risk score falls below this (hysteresis)."
    )
    alert_min_duration_s: float = setting(
        7200.0, "Event-time seconds the score must stay above the threshold before raising."
    )
    alert_cooldown_s: float = setting(
        6 * 3600.0, "Event-time seconds after a clear before the same alert may raise again."
    )
    derate_probability: float = setting(
        0.8, "Maintenance derates a motor whose failure probability reaches this level."
    )
