"""Configuration of the safety domain: detection parameters and alert policies, from its settings.

Thresholds and durations are in event time, so an accelerated simulation or a replay raises
exactly the alerts a real-time run would. K, T and N of the issue are
``cluster_min_workers``, ``cluster_min_dwell_s`` and ``man_down_still_s``. Wearables whose motion
the edge computes from raw IMU samples get a two-stage man-down instead: ``fall_suspected``
from the fall model, ``man_down`` when no recovery follows within ``fall_confirm_s``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.safety.settings import SafetySettings
from agents.safety.site_map import SiteMap, load_site_map
from app.core.alerting import AlertPolicy, Severity

__all__ = [
    "DOMAIN",
    "FALL_SUSPECTED",
    "FATIGUE",
    "MAN_DOWN",
    "STATIONARY_CLUSTER",
    "SafetyConfig",
]

DOMAIN = "safety"
FATIGUE = "worker_fatigue"
MAN_DOWN = "man_down"
FALL_SUSPECTED = "fall_suspected"
STATIONARY_CLUSTER = "stationary_cluster"


BIOMETRIC_FIELDS = (
    "heart_rate_bpm",
    "ecg",
    "ppg",
    "rr_intervals_ms",
    "spo2",
    "skin_temp_c",
    "hrv_ms",
)
"""Raw biometric fields of wearable readings, never kept or forwarded (dead letters redact them)."""


@dataclass(frozen=True, slots=True)
class SafetyConfig:
    """Detection parameters of the worker and zone agents.

    Attributes:
        site_map: zones and their risk levels.
        cluster_min_workers: K, workers stationary at once in a high-risk zone for an alert.
        cluster_min_dwell_s: T, seconds each of them must have been stationary.
        man_down_still_s: N, seconds without motion after an impact that make a man-down.
        signal_lost_s: wall-clock seconds of silence from a wearable whose detector is armed
            (an impact, no motion since) after which the worker is reported down.
        impact_g: acceleration peak counted as an impact (wearables sending summaries).
        fall_confirm_s: seconds after a suspected fall's impact without recovery (walking
            again, or an upright posture when reported) that confirm a man-down.
        fall_model: file of the fall model's weights; empty: the packaged ones.
        fall_threshold: P(fall) from which a fall is suspected; 0: the model's own threshold.
        still_std_g: acceleration std below which a window shows no motion (lying still).
        lying_tilt_deg: trunk tilt from which a posture is not upright (when reported).
        still_radius_m: displacement from the anchor within which a worker stays stationary.
        walking_min_steps_per_s: step rate from which a window counts as walking (gait windows).
        fatigue_raise / fatigue_clear: fatigue alert levels (mean one-sided deviation from the
            worker's own baseline, in baseline standard deviations).
        fatigue_min_duration_s: event time the fatigue score must stay at the raise level.
        fatigue_alpha: weight of one walking window in the smoothed gait/heart-rate levels.
        baseline_warmup: walking windows before a worker's baseline is trusted.
        fresh_window_s: seconds from a shift's start during which the baseline learns.
        fresh_window_max_s: the learning goes on past ``fresh_window_s`` until the baseline is
            trusted, but not beyond this (a worker who hardly walked early in the shift).
        shift_gap_s: an event-time gap this long starts a new shift.
        presence_heartbeat_s: a worker's presence is re-sent at least this often.
        presence_stale_s: a zone forgets a worker not heard of for this long.
        biometric_fields: raw biometric fields redacted from dead letters.
    """

    site_map: SiteMap
    cluster_min_workers: int = 3
    cluster_min_dwell_s: float = 120.0
    man_down_still_s: float = 30.0
    signal_lost_s: float = 60.0
    impact_g: float = 2.5
    fall_confirm_s: float = 30.0
    fall_model: str = ""
    fall_threshold: float = 0.0
    still_std_g: float = 0.05
    lying_tilt_deg: float = 45.0
    still_radius_m: float = 3.0
    walking_min_steps_per_s: float = 1.0
    fatigue_raise: float = 1.2
    fatigue_clear: float = 0.6
    fatigue_min_duration_s: float = 600.0
    fatigue_alpha: float = 0.03
    baseline_warmup: int = 30
    fresh_window_s: float = 5400.0
    fresh_window_max_s: float = 7200.0
    shift_gap_s: float = 4 * 3600.0
    presence_heartbeat_s: float = 60.0
    presence_stale_s: float = 180.0
    biometric_fields: tuple[str, ...] = BIOMETRIC_FIELDS
    policies: dict[str, AlertPolicy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Build the alert policies from the parameters."""
        if self.cluster_min_workers < 2:
            raise ValueError("cluster_min_workers (K) must be >= 2")
        if self.cluster_min_dwell_s <= 0 or self.man_down_still_s <= 0:
            raise ValueError("cluster_min_dwell_s (T) and man_down_still_s (N) must be > 0")
        if self.fall_confirm_s <= 0 or not 0.0 <= self.fall_threshold < 1.0:
            raise ValueError("fall_confirm_s must be > 0 and fall_threshold in [0, 1)")
        self.policies.update(
            {
                FATIGUE: AlertPolicy(
                    alert_type=FATIGUE,
                    domain=DOMAIN,
                    raise_threshold=self.fatigue_raise,
                    clear_threshold=self.fatigue_clear,
                    min_duration_s=self.fatigue_min_duration_s,
                    cooldown_s=3600.0,
                    severities=(
                        (0.0, Severity.WARNING),
                        (2 * self.fatigue_raise, Severity.CRITICAL),
                    ),
                    update_min_delta=0.5,
                ),
                MAN_DOWN: AlertPolicy(
                    alert_type=MAN_DOWN,
                    domain=DOMAIN,
                    raise_threshold=1.0,
                    clear_threshold=0.5,
                    min_duration_s=0.0,
                    cooldown_s=0.0,
                    severities=((0.0, Severity.CRITICAL),),
                ),
                FALL_SUSPECTED: AlertPolicy(
                    alert_type=FALL_SUSPECTED,
                    domain=DOMAIN,
                    raise_threshold=1.0,
                    clear_threshold=0.5,
                    min_duration_s=0.0,
                    cooldown_s=0.0,
                    severities=((0.0, Severity.WARNING),),
                ),
                STATIONARY_CLUSTER: AlertPolicy(
                    alert_type=STATIONARY_CLUSTER,
                    domain=DOMAIN,
                    raise_threshold=float(self.cluster_min_workers),
                    clear_threshold=float(self.cluster_min_workers) - 0.5,
                    min_duration_s=0.0,
                    cooldown_s=0.0,
                    severities=(
                        (0.0, Severity.WARNING),
                        (self.cluster_min_workers + 2.0, Severity.CRITICAL),
                    ),
                    update_min_delta=1.0,
                ),
            }
        )

    @classmethod
    def from_settings(
        cls, settings: SafetySettings, site_map: SiteMap | None = None
    ) -> SafetyConfig:
        """Build the configuration from the ``safety_*`` settings."""
        return cls(
            site_map=site_map if site_map is not None else load_site_map(settings.safety_site_map),
            cluster_min_workers=settings.safety_cluster_min_workers,
            cluster_min_dwell_s=settings.safety_cluster_min_dwell_s,
            man_down_still_s=settings.safety_man_down_still_s,
            signal_lost_s=settings.safety_signal_lost_s,
            impact_g=settings.safety_impact_g,
            fall_confirm_s=settings.safety_fall_confirm_s,
            fall_model=settings.safety_fall_model,
            fall_threshold=settings.safety_fall_threshold,
            fatigue_raise=settings.safety_fatigue_raise,
            fatigue_clear=settings.safety_fatigue_raise / 2.0,
            fatigue_min_duration_s=settings.safety_fatigue_min_duration_s,
            biometric_fields=tuple(
                n.strip() for n in settings.edge_biometric_fields.split(",") if n.strip()
            ),
        )
