"""Per-asset rolling features against the asset's own baseline, in a few hundred bytes.

A :class:`FeatureTracker` follows the raw channels of one asset (e.g. vibration RMS, kurtosis,
bearing-minus-ambient temperature) in event time and derives, per channel:

- ``z_fast``: a short-horizon exponentially weighted level, as a z-score against the asset's
  baseline (how far the asset is from *its own* normal, not a population threshold);
- ``z_slow``: the same at a longer horizon (persistent shifts, not spikes);
- ``slope``: the exponentially weighted least-squares trend of the channel, in baseline
  standard deviations per day (e.g. the 48 h temperature creep of a failing bearing).

The baseline is learned with Welford's algorithm over the first ``warmup`` readings, then
follows the asset very slowly (``baseline_tau``) so load seasons and ageing are absorbed but a
precursor lasting days is not. Time constants are in the unit of ``ts`` (seconds for
telemetry, cycles for C-MAPSS), and weights use ``1 - exp(-dt / tau)`` so irregular sampling is
handled. All state lives in one float64 array, so :meth:`FeatureTracker.to_bytes` is a single
``tobytes`` call and the tracker costs ``8 * (6 * channels + 5)`` bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["FEATURE_KINDS", "FeatureConfig", "FeatureTracker", "feature_names"]

FEATURE_KINDS = ("z_fast", "z_slow", "slope")

# Scalar slots at the start of the state vector.
_COUNT, _LAST_TS, _T_REF, _EW_T, _EW_TT = range(5)
_N_SCALARS = 5
# Per-channel blocks after the scalars.
_MEAN, _M2, _FAST, _SLOW, _EW_X, _EW_TX = range(6)
_N_BLOCKS = 6


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """Time constants of a :class:`FeatureTracker`, in the unit of the timestamps.

    Attributes:
        fast_tau: time constant of the short level (spikes average out over it).
        slow_tau: time constant of the long level.
        trend_tau: time constant (memory) of the weighted trend regression.
        baseline_tau: time constant with which the baseline follows after warm-up.
        warmup: readings over which the baseline is learned exactly before it is trusted.
        min_std_fraction: floor of a channel's baseline std, as a fraction of its |mean|
            (plus ``min_std_abs``), so a flat-lined channel does not give infinite z-scores.
        min_std_abs: absolute floor of a channel's baseline std.
        trend_unit: length of time the slope is expressed per (86400 s = per day).
    """

    fast_tau: float = 3600.0
    slow_tau: float = 6 * 3600.0
    trend_tau: float = 24 * 3600.0
    baseline_tau: float = 14 * 86400.0
    warmup: int = 36
    min_std_fraction: float = 0.01
    min_std_abs: float = 1e-6
    trend_unit: float = 86400.0


def feature_names(channels: Sequence[str]) -> tuple[str, ...]:
    """Return the output feature names for ``channels``: ``<channel>.<kind>`` per kind."""
    return tuple(f"{c}.{k}" for c in channels for k in FEATURE_KINDS)


class FeatureTracker:
    """Rolling per-asset features of ``n`` channels; see the module docstring.

    >>> t = FeatureTracker(2, FeatureConfig(fast_tau=2, slow_tau=10, trend_tau=10, warmup=5))
    >>> for i in range(20):
    ...     _ = t.update(np.array([1.0 + 0.01 * (i % 2), 5.0]), float(i))
    >>> f = t.update(np.array([3.0, 5.0]), 20.0)
    >>> bool(f[0] > 10)   # channel 0 jumped far from its baseline
    True
    """

    __slots__ = ("_blocks", "config", "n", "state")

    def __init__(
        self, n_channels: int, config: FeatureConfig, state: np.ndarray | None = None
    ) -> None:
        self.n = n_channels
        self.config = config
        size = _N_SCALARS + _N_BLOCKS * n_channels
        if state is None:
            state = np.zeros(size, dtype=np.float64)
            state[_LAST_TS] = math.nan
        elif state.shape != (size,):
            raise ValueError(f"state has shape {state.shape}, expected ({size},)")
        self.state = state
        self._blocks = state[_N_SCALARS:].reshape(_N_BLOCKS, n_channels)

    @property
    def count(self) -> int:
        """Readings seen since the last reset."""
        return int(self.state[_COUNT])

    @property
    def warmed_up(self) -> bool:
        """True once the baseline has seen ``warmup`` readings."""
        return self.state[_COUNT] >= self.config.warmup

    @property
    def last_ts(self) -> float | None:
        """Event time of the newest reading, or None before the first."""
        value = float(self.state[_LAST_TS])
        return None if math.isnan(value) else value

    @property
    def age(self) -> float:
        """Event time since the first reading (install, or the last :meth:`reset`)."""
        last = float(self.state[_LAST_TS])
        return 0.0 if math.isnan(last) else last - float(self.state[_T_REF])

    def baseline(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the baseline ``(mean, std)`` arrays, std floored (see :class:`FeatureConfig`)."""
        mean = self._blocks[_MEAN]
        count = max(self.state[_COUNT], 2.0)
        var = self._blocks[_M2] / (min(count, self.config.warmup) - 1.0)
        floor = self.config.min_std_fraction * np.abs(mean) + self.config.min_std_abs
        return mean, np.maximum(np.sqrt(np.maximum(var, 0.0)), floor)

    def level(self) -> np.ndarray:
        """The short-horizon level of each channel, in raw units (the evidence 'value')."""
        return self._blocks[_FAST]

    def reset(self) -> None:
        """Forget everything, e.g. after a repair replaced the part the baseline described."""
        self.state[:] = 0.0
        self.state[_LAST_TS] = math.nan

    def update(self, x: np.ndarray, ts: float) -> np.ndarray:
        """Learn reading ``x`` at event time ``ts`` and return the features, flattened.

        The result has ``3 * n`` values ordered as :func:`feature_names` (channel-major). Readings
        older than the newest one are folded in with zero elapsed time, so replays and
        out-of-order arrivals cannot move the clock backwards.
        """
        cfg = self.config
        s = self.state
        b = self._blocks
        count = s[_COUNT] + 1.0
        s[_COUNT] = count
        last = s[_LAST_TS]
        if math.isnan(last):
            s[_T_REF] = ts
            s[_LAST_TS] = ts
            b[_FAST] = x
            b[_SLOW] = x
            b[_EW_X] = x
            s[_EW_T] = 0.0
            s[_EW_TT] = 0.0
            b[_EW_TX] = 0.0
        else:
            dt = max(ts - last, 0.0)
            s[_LAST_TS] = max(ts, last)
            a_fast = 1.0 - math.exp(-dt / cfg.fast_tau)
            a_slow = 1.0 - math.exp(-dt / cfg.slow_tau)
            b[_FAST] += a_fast * (x - b[_FAST])
            b[_SLOW] += a_slow * (x - b[_SLOW])
            # Weighted regression of x on t, with t relative to the first reading in trend units.
            a_tr = max(1.0 - math.exp(-dt / cfg.trend_tau), 1.0 / count)
            t = (s[_LAST_TS] - s[_T_REF]) / cfg.trend_unit
            s[_EW_T] += a_tr * (t - s[_EW_T])
            s[_EW_TT] += a_tr * (t * t - s[_EW_TT])
            b[_EW_X] += a_tr * (x - b[_EW_X])
            b[_EW_TX] += a_tr * (t * x - b[_EW_TX])
        if count <= cfg.warmup:
            delta = x - b[_MEAN]
            b[_MEAN] += delta / count
            b[_M2] += delta * (x - b[_MEAN])
        elif not math.isnan(last):
            a_base = 1.0 - math.exp(-max(ts - last, 0.0) / cfg.baseline_tau)
            mean, std = self.baseline()
            # Winsorised at 3 std so a developing fault cannot drag its own baseline along.
            resid = np.clip(x - mean, -3.0 * std, 3.0 * std)
            b[_MEAN] += a_base * resid
            # Keep M2 as (warmup - 1) * var so baseline() reads the followed variance; only
            # readings within 3 std update it, so a sustained shift cannot inflate it.
            inlier = np.abs(x - mean) < 3.0 * std
            b[_M2] += inlier * (a_base * ((resid * resid) * (cfg.warmup - 1.0) - b[_M2]))
        return self.features()

    def features(self) -> np.ndarray:
        """Return the current features (see :meth:`update`) without learning anything."""
        s = self.state
        b = self._blocks
        mean, std = self.baseline()
        var_t = s[_EW_TT] - s[_EW_T] * s[_EW_T]
        slope = (b[_EW_TX] - s[_EW_T] * b[_EW_X]) / var_t if var_t > 1e-12 else np.zeros(self.n)
        out = np.empty((self.n, 3), dtype=np.float64)
        out[:, 0] = (b[_FAST] - mean) / std
        out[:, 1] = (b[_SLOW] - mean) / std
        out[:, 2] = slope / std
        return out.reshape(-1)

    def to_bytes(self) -> bytes:
        """Serialise the whole state (float64, native layout of :attr:`state`)."""
        return self.state.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, n_channels: int, config: FeatureConfig) -> FeatureTracker:
        """Restore a tracker serialised by :meth:`to_bytes`."""
        return cls(n_channels, config, np.frombuffer(data, dtype=np.float64).copy())
