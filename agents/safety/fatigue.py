"""Fatigue against the worker's own history: online gait/heart-rate baseline and a score.

Only walking windows count (gait is comparable only while walking). Three channels: bout
cadence (fatigue slows it), step-interval variability ``stride_cv`` (fatigue makes gait
irregular) and ``hr_ratio`` (the wearable's heart rate over its own resting reference; the
same effort costs a tired worker more beats).

* Baseline: per channel an exponentially weighted mean and variance, learned only in the first
  ``fresh_window_s`` of each shift (a worker is fresh then) with weight ``max(1/n, 1/200)``:
  the plain mean of the first shift's windows, then a slow update shift after shift, winsorised
  at 4 standard deviations once trusted. A naturally slow walker or a worker with a high
  heart rate has a baseline of their own, so no population threshold is involved.
* Level: an EWMA (``fatigue_alpha`` per walking window) of each channel, reset to the baseline
  at each shift start.
* Score: the mean of the one-sided deviations of the levels from the baseline in baseline
  standard deviations (slower, more irregular, higher heart rate), each clipped to [0, 4]. A
  short carrying bout moves the slow level only a little; sustained fatigue moves all three.

The state is a fixed 84-byte struct (:meth:`FatigueTracker.to_bytes`).
"""

from __future__ import annotations

import math
import struct

import numpy as np

__all__ = ["CHANNELS", "FatigueTracker"]

CHANNELS: tuple[str, ...] = ("cadence_spm", "stride_cv", "hr_ratio")
"""The gait and heart-rate channels, in state order."""

_DIRECTION = (-1.0, 1.0, 1.0)
"""Sign of a fatigued deviation per channel: cadence down, variability up, heart rate up."""

_MIN_WEIGHT = 1.0 / 200.0
_WINSOR_Z = 4.0
_MAX_Z = 4.0
_FORMAT = struct.Struct("<3I3d3d3d")
_MIN_STD = (1.0, 0.004, 0.01)
"""Floors of the baseline standard deviations (sensor resolution), per channel."""


class FatigueTracker:
    """Baseline, smoothed levels and score of one worker (see the module docstring)."""

    __slots__ = ("level", "mean", "n", "var")

    SIZE = _FORMAT.size

    def __init__(self) -> None:
        self.n = [0, 0, 0]
        self.mean = [0.0, 0.0, 0.0]
        self.var = [0.0, 0.0, 0.0]
        self.level = [math.nan, math.nan, math.nan]

    def trusted(self, channel: int, warmup: int) -> bool:
        """Whether ``channel``'s baseline has seen ``warmup`` walking windows."""
        return self.n[channel] >= warmup

    def std(self, channel: int) -> float:
        """Baseline standard deviation of ``channel`` (floored at the sensor resolution)."""
        return max(math.sqrt(max(self.var[channel], 0.0)), _MIN_STD[channel])

    def new_shift(self) -> None:
        """Reset the smoothed levels to the baseline at a shift start (rest resets fatigue)."""
        self.level = [math.nan, math.nan, math.nan]

    def learn(self, values: tuple[float | None, ...], warmup: int) -> None:
        """Fold one fresh walking window into the baseline (None: channel not measured)."""
        for i, x in enumerate(values):
            if x is None:
                continue
            n = self.n[i] + 1
            mean = self.mean[i]
            if n > warmup:
                bound = _WINSOR_Z * self.std(i)
                x = min(max(x, mean - bound), mean + bound)
            w = max(1.0 / n, _MIN_WEIGHT)
            d = x - mean
            self.mean[i] = mean + w * d
            self.var[i] = (1.0 - w) * (self.var[i] + w * d * d)
            self.n[i] = n

    def observe(self, values: tuple[float | None, ...], alpha: float, warmup: int) -> float | None:
        """Fold a walking window into the levels; return the fatigue score (None: untrusted)."""
        for i, x in enumerate(values):
            if x is None or self.n[i] < warmup:
                continue
            level = self.level[i]
            self.level[i] = self.mean[i] if math.isnan(level) else level
            self.level[i] += alpha * (x - self.level[i])
        return self.score(warmup)

    def deviations(self, warmup: int) -> list[float | None]:
        """One-sided fatigued deviation per channel in baseline stds (None: untrusted)."""
        out: list[float | None] = []
        for i in range(len(CHANNELS)):
            level = self.level[i]
            if self.n[i] < warmup or math.isnan(level):
                out.append(None)
                continue
            z = _DIRECTION[i] * (level - self.mean[i]) / self.std(i)
            out.append(float(np.clip(z, 0.0, _MAX_Z)))
        return out

    def score(self, warmup: int) -> float | None:
        """Mean fatigued deviation of the trusted channels; None until cadence is trusted."""
        devs = self.deviations(warmup)
        if devs[0] is None:
            return None
        known = [d for d in devs if d is not None]
        return sum(known) / len(known)

    def to_bytes(self) -> bytes:
        """Fixed-size binary form."""
        return _FORMAT.pack(*self.n, *self.mean, *self.var, *self.level)

    @classmethod
    def from_bytes(cls, data: bytes) -> FatigueTracker:
        """Rebuild from :meth:`to_bytes` output; ``ValueError`` if malformed."""
        if len(data) != _FORMAT.size:
            raise ValueError(f"FatigueTracker needs {_FORMAT.size} bytes, got {len(data)}")
        values = _FORMAT.unpack(data)
        tracker = cls()
        tracker.n = list(values[0:3])
        tracker.mean = list(values[3:6])
        tracker.var = list(values[6:9])
        tracker.level = list(values[9:12])
        return tracker
