"""Vectorised physics of one reading per motor: load, climate, speed and the sensor channels.

Every function works on whole numpy arrays (one element per motor) so a tick of 100k
motors costs a handful of array operations. Randomness is passed in as pre-drawn standard
normals, which keeps these functions pure and the fleet's random stream in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "HOUR",
    "Precursor",
    "Unit",
    "ambient_c",
    "heat_delta",
    "load_pct",
    "local_hour",
    "sensor_channels",
    "shift_factor",
    "speed_rpm",
    "thermal_target",
]

HOUR = 3600.0
_PEAK_AMBIENT_HOUR = 15.0


def local_hour(ts: np.ndarray, utc_offset_h: np.ndarray) -> np.ndarray:
    """Hour of the local day in [0, 24) for Unix times ``ts`` at the given UTC offsets."""
    return np.mod(ts / HOUR + utc_offset_h, 24.0)


def shift_factor(profiles: np.ndarray, site: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """Load factor of each motor's site shift pattern, linearly interpolated between hours."""
    h0 = np.floor(hour)
    frac = hour - h0
    i0 = h0.astype(np.intp) % 24
    i1 = (i0 + 1) % 24
    return profiles[site, i0] * (1.0 - frac) + profiles[site, i1] * frac


def heat_delta(ts: np.ndarray, start: np.ndarray, end: np.ndarray, amp: np.ndarray) -> np.ndarray:
    """Extra ambient temperature of a heat wave: a half-sine bump between start and end."""
    x = (ts - start) / np.maximum(end - start, 1.0)
    inside = (x >= 0.0) & (x < 1.0)
    return np.where(inside, amp * np.sin(np.pi * np.clip(x, 0.0, 1.0)), 0.0)


def ambient_c(
    hour: np.ndarray, mean_c: np.ndarray, swing_c: np.ndarray, heat_c: np.ndarray
) -> np.ndarray:
    """Site air temperature: daily cosine peaking mid-afternoon plus any heat wave."""
    return mean_c + swing_c * np.cos(2.0 * np.pi * (hour - _PEAK_AMBIENT_HOUR) / 24.0) + heat_c


def load_pct(
    shift: np.ndarray, setpoint: np.ndarray, overload_pct: np.ndarray, noise: np.ndarray
) -> np.ndarray:
    """Motor load in percent: shift pattern times the unit's setpoint, or the overload level."""
    base = 100.0 * shift * setpoint
    level = np.where(np.isnan(overload_pct), base, overload_pct)
    return np.clip(level + 2.0 * noise, 0.0, 160.0)


def speed_rpm(
    load: np.ndarray,
    nominal_rpm: np.ndarray,
    full_load_slip: np.ndarray,
    variable_speed: np.ndarray,
    unit_factor: np.ndarray,
    noise: np.ndarray,
) -> np.ndarray:
    """Shaft speed: induction slip grows with load; drive-fed pumps follow the fan law."""
    fixed = nominal_rpm * (1.0 - full_load_slip * load / 100.0)
    driven = nominal_rpm * np.cbrt(np.clip(load, 10.0, 150.0) / 100.0)
    return np.maximum(np.where(variable_speed, driven, fixed) * unit_factor + 0.5 * noise, 0.0)


def thermal_target(load: np.ndarray, rise_c: np.ndarray) -> np.ndarray:
    """Steady-state bearing temperature rise above ambient at this load."""
    return rise_c * (0.25 + 0.75 * (load / 100.0) ** 1.5)


@dataclass(frozen=True, slots=True)
class Unit:
    """Per-motor constants of the signal model (arrays over the motors)."""

    base_vibration: np.ndarray
    kurtosis_base: np.ndarray
    crest_base: np.ndarray
    temp_offset_c: np.ndarray
    bpfo_ratio: np.ndarray


@dataclass(frozen=True, slots=True)
class Precursor:
    """Bearing-defect state at this reading: progress ``p`` in [0, 1] and episode severity."""

    p: np.ndarray
    elapsed_h: np.ndarray
    jump_at: np.ndarray
    kurtosis_peak: np.ndarray
    crest_gain: np.ndarray
    vibration_gain: np.ndarray
    creep_c_per_48h: np.ndarray


def sensor_channels(
    *,
    unit: Unit,
    precursor: Precursor,
    load: np.ndarray,
    speed: np.ndarray,
    ambient: np.ndarray,
    thermal_rise: np.ndarray,
    z: np.ndarray,
    u: np.ndarray,
) -> dict[str, np.ndarray]:
    """Compute the eight telemetry channels from state, defect progress and noise.

    ``z`` holds six rows of standard normals and ``u`` one row of uniforms. Healthy: the
    dominant line is 1x shaft speed, kurtosis ~3. A growing defect raises kurtosis, crest
    factor, RMS (late) and bearing temperature (slowly), and the defect line (BPFO) shows up
    intermittently, then dominates once progress passes the episode's ``jump_at``.
    """
    p = precursor.p
    load_term = 0.6 + 0.4 * (load / 100.0) ** 1.5
    vibration = (
        unit.base_vibration
        * load_term
        * (1.0 + precursor.vibration_gain * p**2)
        * np.exp(0.05 * z[0])
    )
    kurtosis = (
        unit.kurtosis_base
        + (precursor.kurtosis_peak - unit.kurtosis_base) * p
        + 0.12 * (1.0 + 2.0 * p) * z[1]
    )
    crest = unit.crest_base + precursor.crest_gain * p + 0.08 * (1.0 + p) * z[2]
    shaft_hz = speed / 60.0
    defect_share = np.clip(p / precursor.jump_at, 0.0, 1.0) ** 2
    line_hz = np.where(u < defect_share, unit.bpfo_ratio * shaft_hz, shaft_hz)
    dominant = line_hz * (1.0 + 0.003 * z[3])
    creep = precursor.creep_c_per_48h * precursor.elapsed_h / 48.0
    bearing = ambient + thermal_rise + unit.temp_offset_c + creep + 0.25 * z[4]
    return {
        "vibration_rms": np.clip(vibration, 0.0, 200.0),
        "kurtosis": np.clip(kurtosis, 1.2, 999.0),
        "crest_factor": np.clip(crest, 1.05, 99.0),
        "dominant_freq_hz": np.maximum(dominant, 0.0),
        "bearing_temp_c": bearing,
        "ambient_temp_c": ambient + 0.3 * z[5],
        "load_pct": load,
        "speed_rpm": speed,
    }
