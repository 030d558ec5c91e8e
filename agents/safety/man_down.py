"""Man-down detection: an impact, then no motion for N seconds.

A window whose acceleration peak reaches ``impact_g`` arms the detector at that window's end
time and position. So does a window that finds the worker lying still right after a gap in
the readings that followed motion: the lost window may have held the impact, and a fall
detector must not hinge on one radio packet. Every later window either shows no motion - no
steps, acceleration std below ``still_std_g``, not upright when the wearable reports its tilt,
still within ``still_radius_m`` of where the impact happened (one isolated positioning jump is
tolerated) - or disarms it (a near-fall: the worker walked on, got up, or simply sat down
heavily and stays upright). When a still window comes ``man_down_still_s`` after the impact the
worker is down; the episode lasts until motion resumes. Timing uses the windows' event times,
measured from the end of the impact window, so the condition is never reported before N
seconds have really passed.

The state is a fixed 35-byte struct.
"""

from __future__ import annotations

import math
import struct
from enum import IntEnum

from agents.safety.config import SafetyConfig
from schemas.wearable import WearableTelemetry

__all__ = ["ManDownDetector", "ManDownStep", "is_still"]

_FORMAT = struct.Struct("<BBBdddd")


class ManDownStep(IntEnum):
    """What a window did to the detector."""

    NOTHING = 0
    ARMED = 1
    DOWN = 2
    RECOVERED = 3


def is_still(reading: WearableTelemetry, config: SafetyConfig) -> bool:
    """No motion in the window: no steps, tiny acceleration std, not upright (if known)."""
    if reading.steps > 1 or reading.accel_std_g >= config.still_std_g:
        return False
    return reading.tilt_deg is None or reading.tilt_deg >= config.lying_tilt_deg


class ManDownDetector:
    """Per-worker man-down state machine (see the module docstring)."""

    __slots__ = ("down", "impact_peak", "impact_ts", "impact_x", "impact_y", "jumped", "moving")

    SIZE = _FORMAT.size

    def __init__(self) -> None:
        self.down = False
        self.jumped = False
        self.moving = False
        self.impact_ts = math.nan
        self.impact_peak = math.nan
        self.impact_x = math.nan
        self.impact_y = math.nan

    @property
    def armed(self) -> bool:
        """An impact happened and no motion has been seen since."""
        return not math.isnan(self.impact_ts)

    def still_for(self, ts: float) -> float:
        """Seconds since the impact window while armed (0 when not armed)."""
        return ts - self.impact_ts if self.armed else 0.0

    def update(
        self, reading: WearableTelemetry, config: SafetyConfig, gap_s: float = 0.0
    ) -> ManDownStep:
        """Advance with one window (``gap_s``: time since the previous window's end, 0 if
        unknown); return what happened."""
        still = is_still(reading, config)
        moving_before, self.moving = self.moving, not still
        lost_window = gap_s > 1.5 * reading.window_s and moving_before
        lying = reading.tilt_deg is not None and reading.tilt_deg >= config.lying_tilt_deg
        if not self.down and (
            reading.accel_peak_g >= config.impact_g or (lost_window and still and lying)
        ):
            self._arm(reading)
            return ManDownStep.ARMED
        if not self.armed:
            return ManDownStep.NOTHING
        moved = math.hypot(reading.x_m - self.impact_x, reading.y_m - self.impact_y)
        jump = still and moved > config.still_radius_m and not self.jumped
        self.jumped = jump
        if not still or (moved > config.still_radius_m and not jump):
            was_down = self.down
            self.disarm()
            return ManDownStep.RECOVERED if was_down else ManDownStep.NOTHING
        if not self.down and reading.ts - self.impact_ts >= config.man_down_still_s:
            self.down = True
            return ManDownStep.DOWN
        return ManDownStep.NOTHING

    def _arm(self, reading: WearableTelemetry) -> None:
        self.arm(reading.ts, reading.accel_peak_g, reading.x_m, reading.y_m)

    def arm(self, ts: float, peak_g: float, x: float, y: float) -> None:
        """Start counting from an impact at event time ``ts`` (peak, position)."""
        self.impact_ts = ts
        self.impact_peak = peak_g
        self.impact_x = x
        self.impact_y = y
        self.jumped = False

    def mark_down(self) -> None:
        """The worker was reported down another way (the wearable went silent after the
        impact): a later still window raises nothing new, motion recovers as usual."""
        if self.armed:
            self.down = True

    def disarm(self) -> None:
        """Forget the impact and any man-down episode."""
        self.down = False
        self.jumped = False
        self.impact_ts = self.impact_peak = self.impact_x = self.impact_y = math.nan

    def to_bytes(self) -> bytes:
        """Fixed-size binary form."""
        return _FORMAT.pack(
            int(self.down),
            int(self.jumped),
            int(self.moving),
            self.impact_ts,
            self.impact_peak,
            self.impact_x,
            self.impact_y,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ManDownDetector:
        """Rebuild from :meth:`to_bytes` output; ``ValueError`` if malformed."""
        if len(data) != _FORMAT.size:
            raise ValueError(f"ManDownDetector needs {_FORMAT.size} bytes, got {len(data)}")
        down, jumped, moving, ts, peak, x, y = _FORMAT.unpack(data)
        detector = cls()
        detector.down, detector.jumped, detector.moving = bool(down), bool(jumped), bool(moving)
        detector.impact_ts, detector.impact_peak = ts, peak
        detector.impact_x, detector.impact_y = x, y
        return detector
