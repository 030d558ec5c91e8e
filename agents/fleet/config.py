"""Tuning of the fleet domain, built once from its settings section.

The engine's thresholds are in event time and metres, so a replay or an accelerated simulation
behaves exactly like live traffic.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.fleet.settings import FleetSettings

__all__ = ["DOMAIN", "RESTRICTED", "UNAUTHORIZED", "FleetConfig"]

DOMAIN = "fleet"
UNAUTHORIZED = "unauthorized_use"
RESTRICTED = "restricted_zone_entry"


@dataclass(frozen=True, slots=True)
class FleetConfig:
    """Every knob of the fleet engine (defaults = the settings' defaults)."""

    cell_m: float = 200.0
    corridor_min_count: int = 2
    corridor_capacity: int = 1200
    warmup_days: int = 3
    route_warmup_days: int = 2
    moving_kmh: float = 5.0
    off_corridor_readings: int = 2
    normal_readings_to_close: int = 2
    long_stop_s: float = 45 * 60.0
    hold_s: float = 3 * 3600.0
    area_cell_m: float = 2000.0
    area_window_s: float = 3 * 3600.0
    area_match_m: float = 1500.0
    max_episode_s: float = 12 * 3600.0
    alert_confidence: float = 0.6
    immobilizer_confidence: float = 0.9
    alert_clear_after_s: float = 15 * 60.0
    learning_rate: float = 0.05
    utc_offset_h: float = 0.0

    @classmethod
    def from_settings(cls, settings: FleetSettings) -> FleetConfig:
        """The fleet configuration of ``settings`` (the ``AIOT_FLEET_*`` block)."""
        return cls(
            cell_m=settings.fleet_cell_m,
            warmup_days=settings.fleet_warmup_days,
            long_stop_s=settings.fleet_long_stop_min * 60.0,
            hold_s=settings.fleet_hold_h * 3600.0,
            area_cell_m=settings.fleet_area_km * 1000.0,
            area_window_s=settings.fleet_area_window_h * 3600.0,
            alert_confidence=settings.fleet_alert_confidence,
            immobilizer_confidence=settings.fleet_immobilizer_confidence,
            learning_rate=settings.fleet_learning_rate,
            utc_offset_h=settings.fleet_utc_offset_h,
        )
