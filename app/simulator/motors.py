"""A deterministic, seeded fleet of motors with bearing degradation, disturbances and truth.

:class:`MotorFleet` keeps every motor's state in numpy arrays and advances in *ticks* of
``interval_s`` simulated seconds: in tick ``k`` each running motor reads once, at its own
fixed phase inside the tick, so readings are staggered. A tick is computed whole (with a
random stream seeded by ``(seed, k)``) and then handed out in slices, so the readings do not
depend on how callers chunk :meth:`MotorFleet.advance`. Load, noise and disturbance draws
use one stream per tick; re-planning after repairs and after heat waves use streams of their
own, so changing the failure schedule (e.g. ``mtbf_days``) leaves the healthy signals of the
other motors untouched.

Life of a motor: healthy (load cycles, ambient cycles, occasional overloads, inspections and
site heat waves) -> bearing precursor (24-120 h) -> ``failure`` -> down for 4-24 h ->
``repair`` (new bearing, baseline redrawn slightly) -> 24 h warm-up -> healthy again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.simulator.batch import SimBatch
from app.simulator.episodes import BEARING_FAILURE, HEAT_WAVE, OVERLOAD, Episode
from app.simulator.profiles import CLASSES, SITES, class_arrays, site_arrays
from app.simulator.signals import (
    HOUR,
    Precursor,
    Unit,
    ambient_c,
    heat_delta,
    load_pct,
    local_hour,
    sensor_channels,
    shift_factor,
    speed_rpm,
    thermal_target,
)
from app.simulator.wire import SENSOR_FIELDS, ground_truth_event, maintenance_event

__all__ = ["WARMUP_S", "MotorFleet"]

DAY = 86400.0
WARMUP_S = 24 * HOUR
MAX_INTERVAL_S = HOUR
_PRECURSOR_H = (24.0, 120.0)
_REPAIR_H = (4.0, 24.0)
_OVERLOAD_H = (2.0, 6.0)
_OVERLOAD_PCT = (115.0, 135.0)
_OVERLOAD_MEAN_GAP_S = 15 * DAY
_INSPECTION_MEAN_GAP_S = 15 * DAY
_SETPOINT_HOLD_S = 8 * HOUR
_SETPOINT = (0.75, 1.1)
_HEAT_MEAN_GAP_S = 10 * DAY
_HEAT_H = (24.0, 72.0)
_HEAT_C = (6.0, 12.0)
_THERMAL_TAU_S = 45 * 60.0
_DECIMALS = {
    "vibration_rms": 4,
    "kurtosis": 3,
    "crest_factor": 3,
    "dominant_freq_hz": 3,
    "bearing_temp_c": 2,
    "ambient_temp_c": 2,
    "load_pct": 2,
    "speed_rpm": 1,
}


@dataclass(slots=True)
class _Tick:
    """One computed tick: its readings (time-ordered) and events, handed out in slices."""

    end: float
    readings: SimBatch
    maintenance: list[dict[str, Any]]
    ground_truth: list[dict[str, Any]]

    def span(self, lo: float, hi: float) -> SimBatch:
        """Readings and events with ``lo < ts <= hi``."""
        r = self.readings
        i0, i1 = np.searchsorted(r.ts, [lo, hi], side="right")
        return SimBatch(
            asset=r.asset[i0:i1],
            ts=r.ts[i0:i1],
            columns={name: col[i0:i1] for name, col in r.columns.items()},
            asset_ids=r.asset_ids,
            asset_classes=r.asset_classes,
            maintenance=[e for e in self.maintenance if lo < e["ts"] <= hi],
            ground_truth=[e for e in self.ground_truth if lo < e["ts"] <= hi],
        )


class MotorFleet:
    """``n_motors`` simulated motors, vectorised over numpy arrays, fully determined by ``seed``.

    Call :meth:`advance` with increasing simulated times; each call returns the readings,
    maintenance events and ground-truth events due since the previous call. Episodes that
    have started so far are listed in :attr:`ground_truth`.
    """

    def __init__(
        self,
        n_motors: int,
        *,
        seed: int,
        start_ts: float,
        interval_s: float = 600.0,
        mtbf_days: float = 40.0,
    ) -> None:
        if n_motors < 1:
            raise ValueError("n_motors must be at least 1")
        if not 0.0 < interval_s <= MAX_INTERVAL_S:
            raise ValueError(f"interval_s must be in (0, {MAX_INTERVAL_S:.0f}]")
        if mtbf_days <= 0.0:
            raise ValueError("mtbf_days must be positive")
        self.n_motors = n_motors
        self.seed = seed
        self.start_ts = float(start_ts)
        self.interval_s = float(interval_s)
        self.mtbf_s = mtbf_days * DAY
        self._classes = class_arrays()
        self._sites = site_arrays()
        rng = np.random.default_rng([seed, 0])
        self._init_units(rng)
        self._init_episode_arrays()
        self._draw_episodes(np.arange(n_motors), np.full(n_motors, self.start_ts), rng)
        self._init_disturbances(rng)
        self._thermal: np.ndarray | None = None
        self._next_tick = 0
        self._pending: _Tick | None = None
        self._emitted_to = -math.inf
        self._episodes: list[Episode] = []

    # -- state ----------------------------------------------------------------------------

    def _init_units(self, rng: np.random.Generator) -> None:
        """Draw classes, sites, phases and the unit-to-unit differences."""
        n = self.n_motors
        self._cls = rng.choice(len(CLASSES), size=n, p=self._classes["share"])
        self._site = rng.integers(0, len(SITES), size=n)
        self.asset_ids = np.array([f"motor-{i:05d}" for i in range(n)], dtype=object)
        self.asset_classes = np.array([c.name for c in CLASSES], dtype=object)[self._cls]
        self.site_names = np.array([s.name for s in SITES], dtype=object)[self._site]
        self.phase_s = rng.uniform(0.0, self.interval_s, size=n)
        self._order = np.argsort(self.phase_s, kind="stable")
        self._base_vib = self._classes["vibration_mm_s"][self._cls] * rng.lognormal(0.0, 0.2, n)
        self._temp_offset = rng.normal(0.0, 2.0, n)
        self._speed_factor = 1.0 + rng.normal(0.0, 0.002, n)
        self.bpfo_ratio = rng.uniform(3.05, 3.6, n)
        self._kurt_base = np.clip(rng.normal(3.0, 0.12, n), 2.6, 3.4)
        self._crest_base = np.clip(rng.normal(3.1, 0.15, n), 2.6, 3.6)
        self._rise = self._classes["temp_rise_c"][self._cls] * rng.uniform(0.85, 1.15, n)
        self._setpoint = rng.uniform(*_SETPOINT, n)

    def _init_episode_arrays(self) -> None:
        """Allocate the per-motor arrays of the current (or next) bearing episode."""
        n = self.n_motors
        self._prec = np.zeros(n)
        self._fail = np.zeros(n)
        self._repair = np.zeros(n)
        self._shape_k = np.ones(n)
        self._jump_at = np.ones(n)
        self._kurt_peak = np.zeros(n)
        self._crest_gain = np.zeros(n)
        self._vib_gain = np.zeros(n)
        self._creep = np.zeros(n)
        self._episode_no = np.zeros(n, dtype=np.int64)

    def _draw_episodes(self, idx: np.ndarray, anchor: np.ndarray, rng: np.random.Generator) -> None:
        """Plan the next bearing episode of motors ``idx``, counted from ``anchor`` (start/repair).

        The failure comes after the 24 h warm-up plus the longer of the precursor and an
        exponential wait with mean ``mtbf_days``: every precursor starts after a warm-up.
        """
        m = idx.shape[0]
        prec_s = rng.uniform(*_PRECURSOR_H, m) * HOUR
        wait_s = rng.exponential(self.mtbf_s, m)
        fail = anchor + WARMUP_S + np.maximum(prec_s, wait_s)
        self._fail[idx] = fail
        self._prec[idx] = fail - prec_s
        self._repair[idx] = fail + rng.uniform(*_REPAIR_H, m) * HOUR
        self._shape_k[idx] = rng.uniform(1.0, 3.0, m)
        self._jump_at[idx] = rng.uniform(0.35, 0.7, m)
        self._kurt_peak[idx] = rng.uniform(6.0, 15.0, m)
        self._crest_gain[idx] = rng.uniform(1.5, 4.0, m)
        self._vib_gain[idx] = rng.uniform(0.1, 0.8, m)
        self._creep[idx] = np.clip(rng.normal(2.0, 0.4, m), 1.0, 3.0)
        self._episode_no[idx] += 1

    def _renew_bearing(self, idx: np.ndarray, rng: np.random.Generator) -> None:
        """Reset repaired motors: a new bearing, so the baseline is redrawn slightly."""
        m = idx.shape[0]
        self._base_vib[idx] *= rng.uniform(0.9, 1.1, m)
        self._kurt_base[idx] = np.clip(rng.normal(3.0, 0.12, m), 2.6, 3.4)
        self._crest_base[idx] = np.clip(rng.normal(3.1, 0.15, m), 2.6, 3.6)
        self._temp_offset[idx] += rng.normal(0.0, 0.5, m)
        self._draw_episodes(idx, self._repair[idx].copy(), rng)

    def _init_disturbances(self, rng: np.random.Generator) -> None:
        """No overloads at start; schedule each site's first heat wave after the warm-up."""
        n = self.n_motors
        self._ovl_start = np.full(n, -np.inf)
        self._ovl_end = np.full(n, -np.inf)
        self._ovl_level = np.full(n, np.nan)
        n_sites = len(SITES)
        self._heat_start = np.zeros(n_sites)
        self._heat_end = np.zeros(n_sites)
        self._heat_amp = np.zeros(n_sites)
        self._heat_no = np.zeros(n_sites, dtype=np.int64)
        sites = np.arange(n_sites)
        self._schedule_heat(sites, np.full(n_sites, self.start_ts + WARMUP_S), rng)

    def _schedule_heat(
        self, sites: np.ndarray, after: np.ndarray, rng: np.random.Generator
    ) -> None:
        """Plan the next heat wave of ``sites`` an exponential wait after ``after``."""
        m = sites.shape[0]
        start = after + rng.exponential(_HEAT_MEAN_GAP_S, m)
        self._heat_start[sites] = start
        self._heat_end[sites] = start + rng.uniform(*_HEAT_H, m) * HOUR
        self._heat_amp[sites] = rng.uniform(*_HEAT_C, m)
        self._heat_no[sites] += 1

    # -- public API -----------------------------------------------------------------------

    @property
    def sim_ts(self) -> float:
        """Simulated time up to which readings and events have been handed out."""
        return max(self.start_ts, self._emitted_to)

    @property
    def ground_truth(self) -> list[Episode]:
        """Every episode whose start has been handed out so far, in start order."""
        return [e for e in self._episodes if e.start_ts <= self._emitted_to]

    def planned_episode(self, index: int) -> Episode:
        """The current or next bearing-failure episode planned for motor ``index``."""
        return self._bearing_episode(index)

    def advance(self, until_ts: float) -> SimBatch:
        """Return all readings and events with ``previous until_ts < ts <= until_ts``."""
        parts: list[SimBatch] = []
        lo = self._emitted_to
        if until_ts <= lo:
            return SimBatch.concat(parts, self.asset_ids, self.asset_classes)
        while True:
            if self._pending is None:
                if self.start_ts + self._next_tick * self.interval_s > until_ts:
                    break
                self._pending = self._compute_tick(self._next_tick)
                self._next_tick += 1
            tick = self._pending
            parts.append(tick.span(lo, until_ts))
            if tick.end > until_ts:
                break
            self._pending = None
        self._emitted_to = until_ts
        return SimBatch.concat(parts, self.asset_ids, self.asset_classes)

    # -- one tick -------------------------------------------------------------------------

    def _compute_tick(self, k: int) -> _Tick:
        """Compute tick ``k``: events in its window, then every running motor's reading."""
        a = self.start_ts + k * self.interval_s
        b = a + self.interval_s
        rng = np.random.default_rng([self.seed, 1, k])
        n = self.n_motors
        t = a + self.phase_s
        z = rng.standard_normal((8, n))
        u = rng.random((4, n))
        mnt: list[dict[str, Any]] = []
        gt: list[dict[str, Any]] = []

        self._emit_bearing_events(a, b, mnt, gt)
        self._emit_disturbance_ends(a, b, gt)
        down = (t >= self._fail) & (t < self._repair)
        repaired = np.flatnonzero((self._repair >= a) & (self._repair < b))
        if repaired.size:
            self._renew_bearing(repaired, np.random.default_rng([self.seed, 3, k]))
        self._emit_heat_waves(a, b, gt, np.random.default_rng([self.seed, 4, k]))
        healthy = ~down & (t < self._prec)
        self._start_overloads(k, t, healthy, u[0], rng, gt)
        self._inspect(k, t, healthy, u[1], mnt)
        self._redraw_setpoints(u[2], rng)

        values = self._channels(t, down, z, u[3])
        sel = self._order[~down[self._order]]
        readings = SimBatch(
            asset=sel,
            ts=np.round(t[sel], 3),
            columns={f: np.round(values[f][sel], _DECIMALS[f]) for f in SENSOR_FIELDS},
            asset_ids=self.asset_ids,
            asset_classes=self.asset_classes,
        )
        mnt.sort(key=lambda e: e["ts"])
        gt.sort(key=lambda e: e["ts"])
        return _Tick(end=b, readings=readings, maintenance=mnt, ground_truth=gt)

    def _channels(
        self, t: np.ndarray, down: np.ndarray, z: np.ndarray, u: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Physics of one reading per motor at times ``t`` (down motors computed, dropped)."""
        sites, classes, site, cls = self._sites, self._classes, self._site, self._cls
        hour = local_hour(t, sites["utc_offset_h"][site])
        heat = heat_delta(t, self._heat_start[site], self._heat_end[site], self._heat_amp[site])
        ambient = ambient_c(
            hour, sites["ambient_mean_c"][site], sites["ambient_swing_c"][site], heat
        )
        overloaded = (t >= self._ovl_start) & (t < self._ovl_end)
        load = load_pct(
            shift_factor(sites["shift_profile"], site, hour),
            self._setpoint,
            np.where(overloaded, self._ovl_level, np.nan),
            z[6],
        )
        speed = speed_rpm(
            load,
            classes["nominal_rpm"][cls],
            classes["full_load_slip"][cls],
            classes["variable_speed"][cls],
            self._speed_factor,
            z[7],
        )
        target = np.where(down, 0.0, thermal_target(load, self._rise))
        if self._thermal is None:
            self._thermal = target
        else:
            self._thermal = self._thermal + (target - self._thermal) * (
                1.0 - math.exp(-self.interval_s / _THERMAL_TAU_S)
            )
        return sensor_channels(
            unit=Unit(
                self._base_vib,
                self._kurt_base,
                self._crest_base,
                self._temp_offset,
                self.bpfo_ratio,
            ),
            precursor=self._precursor(t),
            load=load,
            speed=speed,
            ambient=ambient,
            thermal_rise=self._thermal,
            z=z,
            u=u,
        )

    def _precursor(self, t: np.ndarray) -> Precursor:
        """Defect progress ``p = x**k`` (``x`` = fraction of the precursor elapsed) at ``t``."""
        active = (t >= self._prec) & (t < self._fail)
        x = np.clip((t - self._prec) / (self._fail - self._prec), 0.0, 1.0)
        return Precursor(
            p=np.where(active, x**self._shape_k, 0.0),
            elapsed_h=np.where(active, (t - self._prec) / HOUR, 0.0),
            jump_at=self._jump_at,
            kurtosis_peak=self._kurt_peak,
            crest_gain=self._crest_gain,
            vibration_gain=self._vib_gain,
            creep_c_per_48h=self._creep,
        )

    # -- events ---------------------------------------------------------------------------

    def _bearing_episode(self, i: int) -> Episode:
        """The planned bearing episode of motor ``i`` as an :class:`Episode`."""
        asset = str(self.asset_ids[i])
        shaft_hz = self._classes["nominal_rpm"][self._cls[i]] / 60.0
        return Episode(
            episode_id=f"{asset}.bearing.{int(self._episode_no[i])}",
            kind=BEARING_FAILURE,
            asset_id=asset,
            site=str(self.site_names[i]),
            start_ts=float(self._prec[i]),
            end_ts=float(self._repair[i]),
            failure_ts=float(self._fail[i]),
            repair_ts=float(self._repair[i]),
            detail={
                "component": "bearing",
                "shape_k": round(float(self._shape_k[i]), 3),
                "kurtosis_peak": round(float(self._kurt_peak[i]), 2),
                "defect_freq_hz": round(float(self.bpfo_ratio[i] * shaft_hz), 2),
            },
        )

    def _gt(
        self, i: int, kind: str, ts: float, episode_id: str, detail: dict[str, Any]
    ) -> dict[str, Any]:
        """A ground-truth record for motor ``i``."""
        return ground_truth_event(
            asset_id=str(self.asset_ids[i]),
            kind=kind,
            ts=ts,
            episode_id=episode_id,
            detail=detail,
        )

    def _mnt(self, i: int, kind: str, ts: float, event_no: int, note: str) -> dict[str, Any]:
        """A maintenance record for motor ``i``; ``event_no`` makes the event id unique."""
        asset = str(self.asset_ids[i])
        return maintenance_event(
            event_id=f"{asset}.{kind}.{event_no}",
            asset_id=asset,
            asset_class=str(self.asset_classes[i]),
            ts=ts,
            kind=kind,
            component="bearing" if kind != "inspection" else None,
            note=note,
        )

    def _emit_bearing_events(
        self, a: float, b: float, mnt: list[dict[str, Any]], gt: list[dict[str, Any]]
    ) -> None:
        """Precursor starts, failures and repairs of the current episodes inside ``[a, b)``."""
        for i in np.flatnonzero((self._prec >= a) & (self._prec < b)).tolist():
            ep = self._bearing_episode(i)
            self._episodes.append(ep)
            detail = {
                "type": "bearing_wear",
                "failure_ts": round(ep.failure_ts or 0.0, 3),
                "precursor_h": round(ep.precursor_h or 0.0, 2),
                **ep.detail,
            }
            gt.append(self._gt(i, "precursor_start", ep.start_ts, ep.episode_id, detail))
        for i in np.flatnonzero((self._fail >= a) & (self._fail < b)).tolist():
            ep_no = int(self._episode_no[i])
            ts = float(self._fail[i])
            mnt.append(self._mnt(i, "failure", ts, ep_no, "bearing failure, motor tripped"))
            detail = {
                "type": "bearing_wear",
                "component": "bearing",
                "precursor_start_ts": round(float(self._prec[i]), 3),
                "repair_ts": round(float(self._repair[i]), 3),
            }
            gt.append(self._gt(i, "failure", ts, f"{self.asset_ids[i]}.bearing.{ep_no}", detail))
        for i in np.flatnonzero((self._repair >= a) & (self._repair < b)).tolist():
            ep_no = int(self._episode_no[i])
            ts = float(self._repair[i])
            mnt.append(self._mnt(i, "repair", ts, ep_no, "bearing replaced"))
            downtime_h = round((ts - float(self._fail[i])) / HOUR, 2)
            detail = {"type": "bearing_wear", "component": "bearing", "downtime_h": downtime_h}
            gt.append(self._gt(i, "repair", ts, f"{self.asset_ids[i]}.bearing.{ep_no}", detail))

    def _emit_disturbance_ends(self, a: float, b: float, gt: list[dict[str, Any]]) -> None:
        """``disturbance_end`` of overloads ending inside ``[a, b)``."""
        for i in np.flatnonzero((self._ovl_end >= a) & (self._ovl_end < b)).tolist():
            start_tick = round((self._ovl_start[i] - self.start_ts) // self.interval_s)
            episode_id = f"{self.asset_ids[i]}.overload.{start_tick}"
            detail = {"type": OVERLOAD}
            gt.append(self._gt(i, "disturbance_end", float(self._ovl_end[i]), episode_id, detail))

    def _start_overloads(
        self,
        k: int,
        t: np.ndarray,
        healthy: np.ndarray,
        u: np.ndarray,
        rng: np.random.Generator,
        gt: list[dict[str, Any]],
    ) -> None:
        """Start a few-hour overload on some healthy motors (not overlapping a precursor)."""
        duration = rng.uniform(*_OVERLOAD_H, self.n_motors) * HOUR
        level = rng.uniform(*_OVERLOAD_PCT, self.n_motors)
        chance = 1.0 - math.exp(-self.interval_s / _OVERLOAD_MEAN_GAP_S)
        free = self._ovl_end < self.start_ts + k * self.interval_s
        starts = np.flatnonzero(healthy & free & (t + duration < self._prec) & (u < chance))
        if not starts.size:
            return
        self._ovl_start[starts] = t[starts]
        self._ovl_end[starts] = t[starts] + duration[starts]
        self._ovl_level[starts] = level[starts]
        for i in starts.tolist():
            asset = str(self.asset_ids[i])
            ep = Episode(
                episode_id=f"{asset}.overload.{k}",
                kind=OVERLOAD,
                asset_id=asset,
                site=str(self.site_names[i]),
                start_ts=float(t[i]),
                end_ts=float(self._ovl_end[i]),
                detail={"load_pct": round(float(level[i]), 1)},
            )
            self._episodes.append(ep)
            detail = {"type": OVERLOAD, "end_ts": round(ep.end_ts, 3), **ep.detail}
            gt.append(self._gt(i, "disturbance_start", ep.start_ts, ep.episode_id, detail))

    def _emit_heat_waves(
        self, a: float, b: float, gt: list[dict[str, Any]], rng: np.random.Generator
    ) -> None:
        """Per-asset ``disturbance_start``/``_end`` of site heat waves in ``[a, b)``."""
        for s in np.flatnonzero((self._heat_start >= a) & (self._heat_start < b)).tolist():
            site = SITES[s].name
            ep = Episode(
                episode_id=f"{site}.heatwave.{int(self._heat_no[s])}",
                kind=HEAT_WAVE,
                asset_id=None,
                site=site,
                start_ts=float(self._heat_start[s]),
                end_ts=float(self._heat_end[s]),
                detail={"delta_c": round(float(self._heat_amp[s]), 2)},
            )
            self._episodes.append(ep)
            detail = {"type": HEAT_WAVE, "site": site, "end_ts": round(ep.end_ts, 3), **ep.detail}
            for i in np.flatnonzero(self._site == s).tolist():
                gt.append(self._gt(i, "disturbance_start", ep.start_ts, ep.episode_id, detail))
        ended = np.flatnonzero((self._heat_end >= a) & (self._heat_end < b))
        for s in ended.tolist():
            site = SITES[s].name
            episode_id = f"{site}.heatwave.{int(self._heat_no[s])}"
            detail = {"type": HEAT_WAVE, "site": site}
            ts = float(self._heat_end[s])
            for i in np.flatnonzero(self._site == s).tolist():
                gt.append(self._gt(i, "disturbance_end", ts, episode_id, detail))
        if ended.size:
            self._schedule_heat(ended, self._heat_end[ended].copy(), rng)

    def _inspect(
        self, k: int, t: np.ndarray, healthy: np.ndarray, u: np.ndarray, mnt: list[dict[str, Any]]
    ) -> None:
        """Occasional routine ``inspection`` events on healthy motors (no finding)."""
        chance = 1.0 - math.exp(-self.interval_s / _INSPECTION_MEAN_GAP_S)
        for i in np.flatnonzero(healthy & (u < chance)).tolist():
            mnt.append(self._mnt(i, "inspection", float(t[i]), k, "routine inspection, no finding"))

    def _redraw_setpoints(self, u: np.ndarray, rng: np.random.Generator) -> None:
        """Random production changes: some motors get a new load setpoint this tick."""
        chance = 1.0 - math.exp(-self.interval_s / _SETPOINT_HOLD_S)
        new = rng.uniform(*_SETPOINT, self.n_motors)
        self._setpoint = np.where(u < chance, new, self._setpoint)
