"""The maintenance domain's model, alert and derate configuration, from its settings section.

One place builds every per-asset component with the same parameters, so the engine, the state
codec and the tests cannot disagree about channel counts or time constants.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.maintenance.channels import CHANNELS, CONDITION_WEIGHTS
from agents.maintenance.settings import MaintenanceSettings
from app.core.alerting import AlertPolicy, Severity
from app.core.models.anomaly import AnomalyConfig, AnomalyDetector
from app.core.models.deviation import DeviationScorer
from app.core.models.failure import FailureHorizonModel, FailureModelConfig, n_failure_inputs
from app.core.models.features import FeatureConfig, FeatureTracker
from app.core.models.labels import SnapshotBuffer

__all__ = ["ALERT_TYPE", "DOMAIN", "MaintenanceConfig"]

DOMAIN = "maintenance"
ALERT_TYPE = "bearing_failure_risk"
HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class MaintenanceConfig:
    """Parameters of every maintenance model component (event-time units: seconds)."""

    horizon_s: float
    snapshot_interval_s: float
    features: FeatureConfig
    anomaly: AnomalyConfig = field(default_factory=AnomalyConfig)
    alert_policy: AlertPolicy = field(
        default_factory=lambda: AlertPolicy(
            alert_type=ALERT_TYPE,
            domain=DOMAIN,
            raise_threshold=0.6,
            clear_threshold=0.35,
            min_duration_s=HOUR,
            cooldown_s=6 * HOUR,
            severities=((0.6, Severity.WARNING), (0.85, Severity.CRITICAL)),
        )
    )
    prediction_every: int = 6
    derate_probability: float = 0.8
    channels: tuple[str, ...] = CHANNELS
    deviation: DeviationScorer = field(default_factory=lambda: DeviationScorer(CONDITION_WEIGHTS))

    @classmethod
    def from_settings(cls, settings: MaintenanceSettings) -> MaintenanceConfig:
        """Build the configuration the worker runs with."""
        policy = AlertPolicy(
            alert_type=ALERT_TYPE,
            domain=DOMAIN,
            raise_threshold=settings.risk_alert_threshold,
            clear_threshold=settings.risk_clear_threshold,
            min_duration_s=settings.alert_min_duration_s,
            cooldown_s=settings.alert_cooldown_s,
            severities=(
                (settings.risk_alert_threshold, Severity.WARNING),
                (max(0.85, settings.risk_alert_threshold), Severity.CRITICAL),
            ),
        )
        return cls(
            horizon_s=settings.horizon_h * HOUR,
            snapshot_interval_s=settings.snapshot_interval_h * HOUR,
            features=FeatureConfig(warmup=settings.baseline_warmup),
            alert_policy=policy,
            prediction_every=settings.prediction_every,
            derate_probability=settings.derate_probability,
        )

    @property
    def n_channels(self) -> int:
        """Number of raw channels per asset."""
        return len(self.channels)

    def new_tracker(self) -> FeatureTracker:
        """A fresh per-asset feature tracker."""
        return FeatureTracker(self.n_channels, self.features)

    def new_detector(self) -> AnomalyDetector:
        """A fresh per-asset anomaly detector."""
        return AnomalyDetector(self.channels, self.anomaly)

    def new_snapshots(self) -> SnapshotBuffer:
        """A fresh per-asset buffer of snapshots awaiting labels."""
        return SnapshotBuffer(self.n_inputs, interval=self.snapshot_interval_s, cap=self.horizon_s)

    def snapshots_from_bytes(self, data: bytes) -> SnapshotBuffer:
        """Restore a snapshot buffer from its table bytes."""
        return SnapshotBuffer.from_bytes(data)

    @property
    def n_inputs(self) -> int:
        """Length of the failure model's input vector."""
        return n_failure_inputs(self.n_channels)

    def new_failure_model(self) -> FailureHorizonModel:
        """A fresh shared failure-horizon model for one asset class."""
        return FailureHorizonModel(
            self.n_inputs, FailureModelConfig(horizon=self.horizon_s, cap=self.horizon_s)
        )
