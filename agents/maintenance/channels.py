"""The channels the maintenance models follow, derived from one telemetry reading.

Raw sensor values mix the machine's condition with its operating point, so two of the
channels are ratios/differences that cancel the operating point out:

- ``freq_ratio``: dominant vibration frequency over the shaft frequency (speed / 60). A healthy
  machine shows its running speed (ratio ~1); a bearing defect moves the dominant line toward
  its defect frequency (ratio ~3-5), whatever the speed.
- ``temp_rise``: bearing temperature minus ambient, so the daily ambient cycle and heat waves
  do not look like bearing heat.
"""

from __future__ import annotations

import numpy as np

from schemas.telemetry import MachineTelemetry

__all__ = ["CHANNELS", "CONDITION_WEIGHTS", "channel_values"]

CHANNELS: tuple[str, ...] = (
    "vibration_rms",
    "kurtosis",
    "crest_factor",
    "freq_ratio",
    "temp_rise",
    "load_pct",
)


CONDITION_WEIGHTS: tuple[float, ...] = (0.5, 1.0, 1.0, 1.0, 0.5, 0.0)
"""How specific a rise of each channel is to a bearing fault (cold-start deviation score):
kurtosis, crest factor and the frequency ratio move with a defect; vibration level and
temperature rise also move with load, so they count half; load itself is context only."""


def channel_values(reading: MachineTelemetry) -> np.ndarray:
    """Return the :data:`CHANNELS` of ``reading`` as a float64 array."""
    shaft_hz = reading.speed_rpm / 60.0
    ratio = reading.dominant_freq_hz / shaft_hz if shaft_hz > 0.5 else 0.0
    return np.array(
        (
            reading.vibration_rms,
            reading.kurtosis,
            reading.crest_factor,
            ratio,
            reading.bearing_temp_c - reading.ambient_temp_c,
            reading.load_pct,
        ),
        dtype=np.float64,
    )
