"""Static descriptions of the simulated motor classes and plant sites.

The fleet model in :mod:`simulator.motors` draws every unit from one of these classes and
places it at one of these sites; keeping the numbers here makes the physics code free of
magic constants and lets tests reason about nominal values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CLASSES", "SITES", "MotorClass", "Site", "class_arrays", "site_arrays"]


@dataclass(frozen=True, slots=True)
class MotorClass:
    """One motor size: nominal speed, vibration and thermal behaviour, fleet share."""

    name: str
    share: float
    nominal_rpm: float
    full_load_slip: float
    variable_speed: bool
    vibration_mm_s: float
    temp_rise_c: float


@dataclass(frozen=True, slots=True)
class Site:
    """One plant: local time offset, climate and the shift pattern of its load."""

    name: str
    utc_offset_h: float
    ambient_mean_c: float
    ambient_swing_c: float
    shift_profile: tuple[float, ...]


def _profile(day: float, evening: float, night: float) -> tuple[float, ...]:
    """Hourly load factor of a three-shift plant (06-14 day, 14-22 evening, 22-06 night)."""
    return tuple(day if 6 <= h < 14 else evening if 14 <= h < 22 else night for h in range(24))


CLASSES: tuple[MotorClass, ...] = (
    MotorClass("induction-motor-11kw", 0.4, 3000.0, 0.017, False, 1.1, 22.0),
    MotorClass("induction-motor-75kw", 0.4, 1500.0, 0.012, False, 1.8, 28.0),
    MotorClass("vfd-pump-motor-250kw", 0.2, 990.0, 0.0, True, 2.6, 34.0),
)

SITES: tuple[Site, ...] = (
    Site("site-0", 0.0, 11.0, 5.0, _profile(0.9, 0.85, 0.8)),
    Site("site-1", -5.0, 22.0, 7.0, _profile(0.9, 0.8, 0.3)),
    Site("site-2", 1.0, 15.0, 4.0, _profile(0.95, 0.35, 0.25)),
    Site("site-3", 8.0, 29.0, 6.0, _profile(0.9, 0.9, 0.9)),
)


def class_arrays() -> dict[str, np.ndarray]:
    """Return the numeric class parameters as arrays indexed by class number."""
    return {
        "share": np.array([c.share for c in CLASSES]),
        "nominal_rpm": np.array([c.nominal_rpm for c in CLASSES]),
        "full_load_slip": np.array([c.full_load_slip for c in CLASSES]),
        "variable_speed": np.array([c.variable_speed for c in CLASSES]),
        "vibration_mm_s": np.array([c.vibration_mm_s for c in CLASSES]),
        "temp_rise_c": np.array([c.temp_rise_c for c in CLASSES]),
    }


def site_arrays() -> dict[str, np.ndarray]:
    """Return the numeric site parameters as arrays indexed by site number."""
    return {
        "utc_offset_h": np.array([s.utc_offset_h for s in SITES]),
        "ambient_mean_c": np.array([s.ambient_mean_c for s in SITES]),
        "ambient_swing_c": np.array([s.ambient_swing_c for s in SITES]),
        "shift_profile": np.array([s.shift_profile for s in SITES]),
    }
