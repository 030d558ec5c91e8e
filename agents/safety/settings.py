"""Settings of the workforce-safety domain: its topics, site map and detection parameters.

A section of the one settings object (:class:`app.settings.Settings`), declared here so the
domain owns its knobs; each field is read from ``AIOT_<FIELD NAME IN CAPS>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.config import setting

__all__ = ["SafetySettings"]


@dataclass(frozen=True, slots=True)
class SafetySettings:
    """Topics, site map, fatigue, man-down, fall-stage and stationary-group settings of safety."""

    edge_topic_wearables: str = setting(
        "aiot.safety.wearable.v1", "Wearable readings forwarded by the edge (pseudonymised)."
    )
    topic_zone_presence: str = setting(
        "aiot.safety.zone-presence.v1",
        "Workers' zone presence, repartitioned by zone for the safety zone agent (internal).",
    )
    edge_biometric_fields: str = setting(
        "heart_rate_bpm,ecg,ppg,rr_intervals_ms,spo2,skin_temp_c,hrv_ms",
        "Raw biometric fields of wearable readings dropped at the edge (comma-separated).",
    )
    safety_site_map: str = setting(
        "", "Site map TOML (zones, risk levels). Empty: the packaged agents/safety/site_map.toml."
    )
    safety_cluster_min_workers: int = setting(
        3, "K: a group alert needs at least this many workers stationary in a high-risk zone."
    )
    safety_cluster_min_dwell_s: float = setting(
        120.0, "T: event-time seconds each of them must have been stationary."
    )
    safety_man_down_still_s: float = setting(
        30.0, "N: event-time seconds without motion after an impact that make a man-down."
    )
    safety_signal_lost_s: float = setting(
        60.0,
        "Wall-clock seconds of silence after an impact (no motion since) that raise a man-down: "
        "a fall can break the wearable or its radio.",
    )
    safety_impact_g: float = setting(
        2.5, "Acceleration peak (g) of a wearable window counted as an impact (fall, collision)."
    )
    safety_fall_confirm_s: float = setting(
        30.0,
        "Raw-motion wearables: event-time seconds after a suspected fall without recovery "
        "(walking again) that confirm a man-down.",
    )
    safety_fall_model: str = setting(
        "",
        "Fall model weights (JSON from python -m benchmarks.train_fall_model). Empty: the "
        "packaged agents/safety/fall_model.json.",
    )
    safety_fall_threshold: float = setting(
        0.0, "P(fall) from which a fall is suspected. 0: the threshold stored with the model."
    )
    safety_fatigue_raise: float = setting(
        1.2, "Fatigue score (mean one-sided deviation from the worker's baseline) that raises."
    )
    safety_fatigue_min_duration_s: float = setting(
        600.0, "Event-time seconds the fatigue score must stay above the raise level."
    )
