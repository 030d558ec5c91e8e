"""Motion features of a wearable's raw IMU samples, computed at the edge on a sliding window.

A wearable may send blocks of raw samples (3-axis accelerometer in g, optional gyroscope, with
their own, possibly irregular, timestamps) instead of summaries. Raw motion never leaves the
site: the gateway keeps a few seconds of each device's samples (:class:`MotionTracker`) and
reduces them to

* a **summary window** every ``summary_s`` seconds - the motion fields of
  :class:`~schemas.wearable.WearableTelemetry`: activity level (mean, standard deviation and
  peak of the acceleration magnitude), steps, cadence and step-interval variability; and
* **impact readings**: when the strongest peak of the last :data:`IMPACT_LOOKBACK_S` seconds
  reaches :data:`IMPACT_GATE_G`, the features of a candidate fall around it
  (:class:`~schemas.wearable.ImpactFeatures`: impact, descent and free fall before it,
  rotation, orientation change, post-impact stillness, activity and periodicity before it), at
  each age of :data:`IMPACT_AGES_S` of that peak. The safety engine's fall model scores them.

Time: outputs are evaluated on a grid of :data:`HOP_S` of event time (multiples of ``HOP_S``
since the epoch), each from the samples at or before its grid time only, so they do not depend
on how the samples were split into blocks. A sample time that steps back (clock jitter, batched
delivery) is held at the newest time seen. Windows are spans of time and their statistics are
over the samples they hold, so irregular or bursty sampling needs no resampling; only the step
detector and the periodicity interpolate the magnitude onto a uniform grid. Plain numpy over
the block, deterministic. The layout of the features is :data:`FEATURES_VERSION`: a fall model
is trained for one version.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from schemas.wearable import IMPACT_RANGES, ImpactFeatures

__all__ = [
    "FEATURES_VERSION",
    "HOP_S",
    "IMPACT_AGES_S",
    "IMPACT_GATE_G",
    "IMPACT_LOOKBACK_S",
    "G",
    "MotionBook",
    "MotionTracker",
    "MotionWindow",
]

FEATURES_VERSION = "motion-1"
G = 9.80665
"""Standard gravity, m/s^2 per g."""
HOP_S = 0.1
"""Step of the evaluation grid, seconds."""
IMPACT_GATE_G = 1.8
"""An acceleration peak from this magnitude is an impact worth a fall check."""
IMPACT_LOOKBACK_S = 3.0
"""The impact of a grid time is the strongest peak of this many seconds before it."""
IMPACT_AGES_S = (0.2, 0.3, 0.5, 0.8, 1.2, 1.8, 2.5)
"""Ages of an impact (seconds after its peak) at which its features are sent."""
HISTORY_S = IMPACT_LOOKBACK_S + 4.5
"""Seconds of samples kept per device: the features reach 4 s before the oldest impact."""
MAX_BACKSTEP_S = 1.0
"""A sample this much older than the device's newest one is not jitter but a replay."""

_FREEFALL_G = 0.6
_BURST_G = 1.6
_BURST_GAP_S = 0.25
_POST_START_S = 0.05
_AFTER_S = 0.4
_STEP_GRID_S = 0.04
_STEP_MIN_G = 1.1
_STEP_MIN_INTERVAL_S = 0.3
_STEP_LAG_S = 0.3
_ACF_GRID_S = 0.02
_ACF_LAGS = np.arange(10, 45, 2)
_MAX_G = IMPACT_RANGES["peak_g"].high


@dataclass(frozen=True, slots=True)
class MotionWindow:
    """One output of the tracker: a summary window, or an impact reading when ``impact`` is set.

    The motion fields always describe the window of ``window_s`` seconds ending at ``ts``.
    """

    ts: float
    window_s: float
    steps: int
    cadence_spm: float
    stride_cv: float
    accel_mean_g: float
    accel_std_g: float
    accel_peak_g: float
    impact: ImpactFeatures | None = None

    def fields(self) -> dict[str, Any]:
        """The wire fields of :class:`~schemas.wearable.WearableTelemetry` this window sets."""
        out: dict[str, Any] = {
            "ts": self.ts,
            "window_s": self.window_s,
            "steps": self.steps,
            "cadence_spm": self.cadence_spm,
            "stride_cv": self.stride_cv,
            "accel_mean_g": self.accel_mean_g,
            "accel_std_g": self.accel_std_g,
            "accel_peak_g": self.accel_peak_g,
            "edge_motion": True,
        }
        if self.impact is not None:
            out["impact"] = self.impact.to_dict()
        return out


class _Series:
    """Samples of one sensor in time order: times and rows of values, trimmed from the front."""

    __slots__ = ("end", "start", "t", "v")

    def __init__(self, width: int, capacity: int = 512) -> None:
        self.t = np.empty(capacity)
        self.v = np.empty((capacity, width))
        self.start = 0
        self.end = 0

    def append(self, t: NDArray[np.float64], v: NDArray[np.float64]) -> None:
        """Add samples at the end (times already in order)."""
        n = len(t)
        if self.end + n > len(self.t):
            live = self.end - self.start
            capacity = max(len(self.t), 2 * (live + n))
            times, values = np.empty(capacity), np.empty((capacity, self.v.shape[1]))
            times[:live] = self.t[self.start : self.end]
            values[:live] = self.v[self.start : self.end]
            self.t, self.v, self.start, self.end = times, values, 0, live
        self.t[self.end : self.end + n] = t
        self.v[self.end : self.end + n] = v
        self.end += n

    def trim(self, before: float) -> None:
        """Forget samples older than ``before``."""
        self.start += int(np.searchsorted(self.t[self.start : self.end], before))

    def clear(self) -> None:
        """Forget every sample."""
        self.start = self.end = 0

    @property
    def size(self) -> int:
        """Samples held."""
        return self.end - self.start

    @property
    def newest(self) -> float:
        """Time of the newest sample (-inf when empty)."""
        return float(self.t[self.end - 1]) if self.end > self.start else -math.inf

    def times(self) -> NDArray[np.float64]:
        """The held sample times (a view)."""
        return self.t[self.start : self.end]

    def values(self) -> NDArray[np.float64]:
        """The held sample rows (a view)."""
        return self.v[self.start : self.end]


def _monotone(t: NDArray[np.float64], newest: float) -> NDArray[np.float64]:
    """Sample times held at or after the newest one seen (never stepping back)."""
    out = np.maximum.accumulate(t)
    return np.maximum(out, newest) if newest > -math.inf else out


def _unit(v: NDArray[np.float64]) -> NDArray[np.float64]:
    """``v`` scaled to length 1 (straight down the z axis when ``v`` is zero)."""
    norm = float(np.sqrt(v @ v))
    return v / norm if norm > 1e-9 else np.array([0.0, 0.0, 1.0])


def _bursts(times: NDArray[np.float64]) -> int:
    """Number of bursts in sorted sample times: runs separated by more than a burst gap."""
    if len(times) == 0:
        return 0
    return 1 + int(np.count_nonzero(np.diff(times) > _BURST_GAP_S))


def _binned(
    t: NDArray[np.float64], x: NDArray[np.float64], edges: NDArray[np.float64], empty: float
) -> tuple[list[float], list[float]]:
    """Mean and minimum of ``x`` in each bin ``[edges[k], edges[k + 1])`` (``empty`` if none)."""
    idx = np.searchsorted(t, edges)
    means, mins = [], []
    for a, b in itertools.pairwise(idx):
        if b > a:
            part = x[a:b]
            means.append(float(part.mean()))
            mins.append(float(part.min()))
        else:
            means.append(empty)
            mins.append(empty)
    return means, mins


def _on_grid(
    t: NDArray[np.float64], x: NDArray[np.float64], start: float, stop: float, step: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``x`` linearly interpolated onto the multiples of ``step`` in ``[start, stop]`` that lie
    within the samples (no extrapolation)."""
    lo = max(start, float(t[0]))
    k0 = math.ceil(lo / step - 1e-9)
    k1 = math.floor(stop / step + 1e-9)
    if k1 < k0:
        empty = np.empty(0)
        return empty, empty
    grid = np.arange(k0, k1 + 1, dtype=np.float64) * step
    return grid, np.interp(grid, t, x)


def _r(value: float, digits: int = 4) -> float:
    """Round for the wire."""
    return round(float(value), digits)


class MotionTracker:
    """The sliding window of one wearable's raw motion and the features due from it."""

    __slots__ = ("_acc", "_emitted", "_gyro", "_next_hop", "_session_start", "clamped", "summary_s")

    def __init__(self, summary_s: float = 5.0) -> None:
        if not HOP_S <= summary_s <= 120.0:
            raise ValueError("summary_s must lie in [0.1, 120] seconds")
        self.summary_s = summary_s
        self._acc = _Series(4)
        self._gyro = _Series(1)
        self._next_hop = 0
        self._session_start = math.nan
        self._emitted: tuple[float, int] = (math.nan, -1)
        self.clamped = 0

    @property
    def newest(self) -> float:
        """Event time of the newest accelerometer sample (-inf before any)."""
        return self._acc.newest

    def push(
        self,
        t: NDArray[np.float64],
        accel_g: NDArray[np.float64],
        gyro_t: NDArray[np.float64] | None = None,
        gyro_dps: NDArray[np.float64] | None = None,
    ) -> list[MotionWindow]:
        """Add a block of samples; return the windows due up to its newest sample, in time order.

        ``t``: sample times (Unix s), ``accel_g``: ``(n, 3)`` acceleration in g; ``gyro_t`` and
        ``gyro_dps``: gyroscope sample times and angular speed magnitudes in deg/s. Raises
        ``ValueError`` for a block stepping back more than :data:`MAX_BACKSTEP_S` (a replay).
        """
        newest = self._acc.newest
        if len(t) and t[0] > newest + HISTORY_S:
            self._restart(float(t[0]))
            newest = -math.inf
        if len(t) and float(t.min()) < newest - MAX_BACKSTEP_S:
            raise ValueError(
                f"samples {newest - float(t.min()):.3f} s older than the device's newest sample "
                f"(more than {MAX_BACKSTEP_S} s): a replayed or reordered block"
            )
        if len(t):
            times = _monotone(t, newest)
            self.clamped += int(np.count_nonzero(times > t))
            rows = np.empty((len(t), 4))
            rows[:, :3] = accel_g
            rows[:, 3] = np.sqrt(np.einsum("ij,ij->i", accel_g, accel_g))
            self._acc.append(times, rows)
        if gyro_t is not None and gyro_dps is not None and len(gyro_t):
            gyro_times = _monotone(gyro_t, self._gyro.newest)
            self._gyro.append(gyro_times, gyro_dps.reshape(-1, 1))
        if self._acc.size == 0:
            return []
        out = self._due()
        horizon = self._acc.newest - HISTORY_S
        self._acc.trim(horizon)
        self._gyro.trim(horizon)
        return out

    def _restart(self, start: float) -> None:
        """A new session after a silence longer than the history: forget everything."""
        self._acc.clear()
        self._gyro.clear()
        self._session_start = start
        self._next_hop = math.ceil(start / HOP_S - 1e-9)
        self._emitted = (math.nan, -1)

    def _due(self) -> list[MotionWindow]:
        """Evaluate every grid time up to the newest sample."""
        t = self._acc.times()
        last = math.floor(float(t[-1]) / HOP_S + 1e-9)
        first = self._next_hop
        if last < first:
            return []
        self._next_hop = last + 1
        m = self._acc.values()[:, 3]
        lo = int(np.searchsorted(t, first * HOP_S - IMPACT_LOOKBACK_S, "right"))
        hi = int(np.searchsorted(t, last * HOP_S - IMPACT_AGES_S[0], "right"))
        impacts = hi > lo and float(m[lo:hi].max()) >= IMPACT_GATE_G
        every = round(self.summary_s / HOP_S)
        out: list[MotionWindow] = []
        for k in range(first, last + 1):
            tau = k * HOP_S
            if k % every == 0:
                summary = self._summary(tau, impact=None)
                if summary is not None:
                    out.append(summary)
            if impacts:
                window = self._impact_window(tau)
                if window is not None:
                    out.append(window)
        return out

    def _impact_window(self, tau: float) -> MotionWindow | None:
        """The impact reading due at grid time ``tau``, if any (one per impact and age)."""
        t = self._acc.times()
        m = self._acc.values()[:, 3]
        lo = int(np.searchsorted(t, tau - IMPACT_LOOKBACK_S, "right"))
        cut = int(np.searchsorted(t, tau - IMPACT_AGES_S[0] + 1e-9, "right"))
        if cut <= lo:
            return None
        i = lo + int(np.argmax(m[lo:cut]))
        if m[i] < IMPACT_GATE_G:
            return None
        peak_t = float(t[i])
        slot = bisect_right(IMPACT_AGES_S, tau - peak_t + 1e-9) - 1
        if slot < 0 or self._emitted == (peak_t, slot):
            return None
        self._emitted = (peak_t, slot)
        return self._summary(tau, impact=self._impact(tau, i))

    def _summary(self, tau: float, impact: ImpactFeatures | None) -> MotionWindow | None:
        """Motion fields of the window ending at ``tau`` (None: under a second of samples)."""
        t = self._acc.times()
        m = self._acc.values()[:, 3]
        span = min(self.summary_s, tau - self._session_start)
        if span < 1.0:
            if impact is None:
                return None
            span = 1.0
        a = int(np.searchsorted(t, tau - span, "right"))
        b = int(np.searchsorted(t, tau, "right"))
        if b - a < 2:
            return None
        part = m[a:b]
        steps, cadence, cv = self._gait(tau, span)
        return MotionWindow(
            ts=_r(tau, 3),
            window_s=_r(span, 3),
            steps=steps,
            cadence_spm=_r(cadence, 2),
            stride_cv=_r(cv),
            accel_mean_g=_r(min(float(part.mean()), _MAX_G)),
            accel_std_g=_r(min(float(part.std()), _MAX_G)),
            accel_peak_g=_r(min(float(part.max()), _MAX_G)),
            impact=impact,
        )

    def _gait(self, tau: float, span: float) -> tuple[int, float, float]:
        """Steps whose peak lies in the window (shifted back by the detector's lag), their
        cadence (steps/min) and the coefficient of variation of their intervals."""
        t = self._acc.times()
        m = self._acc.values()[:, 3]
        grid, x = _on_grid(t, m, tau - span - 1.0, tau, _STEP_GRID_S)
        if len(x) < 5:
            return 0, 0.0, 0.0
        s = np.convolve(x, np.ones(3) / 3.0, "valid")
        g = grid[1:-1]
        mid = s[1:-1]
        peaks = np.flatnonzero((mid > s[:-2]) & (mid >= s[2:]) & (mid > _STEP_MIN_G)) + 1
        kept: list[int] = []
        for p in peaks:
            if kept and g[p] - g[kept[-1]] < _STEP_MIN_INTERVAL_S:
                if s[p] > s[kept[-1]]:
                    kept[-1] = int(p)
                continue
            kept.append(int(p))
        times = g[kept]
        times = times[(times > tau - span - _STEP_LAG_S) & (times <= tau - _STEP_LAG_S)]
        steps = len(times)
        if steps < 3:
            return steps, 0.0, 0.0
        intervals = np.diff(times)
        cadence = min(60.0 / float(np.median(intervals)), 250.0)
        cv = float(intervals.std() / intervals.mean()) if steps >= 4 else 0.0
        return steps, cadence, min(cv, 2.0)

    def _impact(self, tau: float, i: int) -> ImpactFeatures:
        """Features of the candidate fall around the peak at sample ``i``, as seen at ``tau``."""
        t_all = self._acc.times()
        hi = int(np.searchsorted(t_all, tau, "right"))
        t = t_all[:hi]
        rows = self._acc.values()[:hi]
        a = rows[:, :3]
        m = rows[:, 3]
        tp = float(t[i])

        def span(start: float, stop: float) -> tuple[int, int]:
            """Sample index range of ``[start, stop]``."""
            return int(np.searchsorted(t, start)), int(np.searchsorted(t, stop, "right"))

        edges = tp - 1.6 + 0.2 * np.arange(9, dtype=np.float64)
        edges[-1] = tp - _POST_START_S
        descent_mean, descent_min = _binned(t, m, edges, 1.0)
        f0 = int(np.searchsorted(t, tp - 1.0))
        freefall = float(np.sum(np.diff(t[f0 : i + 1]) * (m[f0:i] < _FREEFALL_G)))
        rotation, rotation_deg = self._rotation(tp, tau)
        b0, b1 = span(tp - 2.5, tp - 1.5)
        before = _unit(a[b0:b1].mean(axis=0)) if b1 > b0 else _unit(a[max(f0, 0) : i + 1].mean(0))
        p0 = int(np.searchsorted(t, tp + _POST_START_S))
        q0 = int(np.searchsorted(t, max(tp + _POST_START_S, tau - _AFTER_S)))
        after = _unit(a[q0:].mean(axis=0)) if len(t) > q0 else _unit(a[i])
        angle = math.degrees(math.acos(min(max(float(before @ after), -1.0), 1.0)))
        post = m[p0:]
        r0, r1 = span(tp - 4.0, tp - 1.6)
        z0, z1 = span(tp - 3.0, tp - 0.3)
        activity = m[r0:r1]
        return ImpactFeatures(
            peak_g=_r(min(float(m[i]), _MAX_G)),
            age_s=_r(tau - tp, 3),
            descent_mean_g=tuple(_r(v) for v in descent_mean),
            descent_min_g=tuple(_r(v) for v in descent_min),
            freefall_s=_r(min(freefall, 2.0), 3),
            rotation_dps=rotation,
            rotation_deg=rotation_deg,
            gravity_before=tuple(_r(v) for v in before),
            gravity_after=tuple(_r(v) for v in after),
            orientation_change_deg=_r(angle, 2),
            post_mean_g=_r(min(float(post.mean()), _MAX_G)) if len(post) else 1.0,
            post_std_g=_r(min(float(post.std()), _MAX_G)) if len(post) > 2 else 0.5,
            post_dev_g=_r(min(float(np.abs(post - 1.0).mean()), _MAX_G)) if len(post) else 0.5,
            post_bursts=float(_bursts(t[p0:][post >= _BURST_G])),
            pre_bursts=float(_bursts(t[z0:z1][m[z0:z1] >= _BURST_G])),
            activity_std_g=_r(min(float(activity.std()), _MAX_G)) if len(activity) > 2 else 0.0,
            activity_mean_g=_r(min(float(activity.mean()), _MAX_G)) if len(activity) else 1.0,
            periodicity=_r(self._periodicity(t, m, tp)),
        )

    def _rotation(self, tp: float, tau: float) -> tuple[tuple[float, ...] | None, float | None]:
        """Mean angular speed in 9 bins around the impact and the rotation angle across it;
        None when no gyroscope sample covers them."""
        tg_all = self._gyro.times()
        hi = int(np.searchsorted(tg_all, tau, "right"))
        tg = tg_all[:hi]
        w = self._gyro.values()[:hi, 0]
        edges = tp - 1.6 + 0.2 * np.arange(10, dtype=np.float64)
        idx = np.searchsorted(tg, edges)
        if idx[-1] == idx[0]:
            return None, None
        means, _ = _binned(tg, w, edges, 0.0)
        g0 = int(np.searchsorted(tg, tp - 1.2))
        g1 = int(np.searchsorted(tg, tp + 0.1, "right"))
        angle = float(np.sum(w[g0 : g1 - 1] * np.diff(tg[g0:g1]))) if g1 - g0 > 1 else 0.0
        high = IMPACT_RANGES["rotation_dps"].high
        return tuple(_r(min(v, high), 2) for v in means), _r(min(angle, 10000.0), 2)

    @staticmethod
    def _periodicity(t: NDArray[np.float64], m: NDArray[np.float64], tp: float) -> float:
        """Highest autocorrelation of the magnitude at lags 0.2-0.9 s over 4 s to 0.3 s before
        the impact: repetitive motion (jogging, clapping, hammering) before it."""
        _, x = _on_grid(t, m, tp - 4.0, tp - 0.3, _ACF_GRID_S)
        if len(x) <= _ACF_LAGS[-1] + 15:
            return 0.0
        x = x - x.mean()
        energy = float(x @ x)
        if energy < 1e-6 * len(x):
            return 0.0
        full = np.correlate(x, x, "full")
        centre = len(x) - 1
        return float(min(max(full[centre + _ACF_LAGS].max() / energy, -1.0), 1.0))


class MotionBook:
    """The motion trackers of a gateway's wearables, one per device.

    A device silent for ``idle_s`` seconds of wall clock loses its tracker (its samples are
    too old to continue a window anyway), so departed devices cost no memory.
    """

    def __init__(self, summary_s: float = 5.0, idle_s: float = 60.0) -> None:
        self.summary_s = summary_s
        self.idle_s = idle_s
        self._trackers: dict[str, tuple[MotionTracker, float]] = {}
        self._pruned_at = -math.inf

    def push(
        self,
        device: str,
        now: float,
        t: NDArray[np.float64],
        accel_g: NDArray[np.float64],
        gyro_t: NDArray[np.float64] | None = None,
        gyro_dps: NDArray[np.float64] | None = None,
    ) -> list[MotionWindow]:
        """:meth:`MotionTracker.push` on ``device``'s tracker at wall time ``now``."""
        if now - self._pruned_at >= self.idle_s:
            self._pruned_at = now
            for name, (_, heard) in list(self._trackers.items()):
                if now - heard >= self.idle_s:
                    del self._trackers[name]
        held = self._trackers.get(device)
        tracker = held[0] if held is not None else MotionTracker(self.summary_s)
        self._trackers[device] = (tracker, now)
        return tracker.push(t, accel_g, gyro_t, gyro_dps)

    def __len__(self) -> int:
        """Devices tracked."""
        return len(self._trackers)
