"""What a worker's wearable measures over one summary window, from the worker's plan.

Per window (``window_s`` ending at ``t``): steps and bout cadence, step-interval variability,
acceleration magnitude mean/std/peak (impacts included), trunk tilt, position (positioning
noise, rare multipath jumps) and the heart rate. The heart rate follows the effort of the
activity with a lag of about 45 s and rises with fatigue and, a little, with the afternoon heat;
the device also reports ``hr_ratio`` against its own resting reference, the only heart-rate
figure that leaves the site. Fatigue slows the cadence and makes gait irregular; carrying a
load does the same for a while, and rough ground (excavation, scaffold) a little.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.simulator.safety.plan import KNEEL, LIE, SIT, STAND, WALK, WORK, Segment, WorkerPlan

__all__ = ["WearableSynth", "Window"]

ROUGH_ZONES = {"excavation": 0.97, "scaffold": 0.975}
EFFORT = {WALK: 1.0, WORK: 0.75, STAND: 0.3, SIT: 0.12, LIE: 0.35, KNEEL: 0.5}
"""Activity -> share of the worker's walking heart-rate rise it costs."""
ACC_STD = {
    WALK: (0.28, 0.04),
    WORK: (0.12, 0.04),
    STAND: (0.03, 0.012),
    SIT: (0.03, 0.015),
    LIE: (0.008, 0.004),
    KNEEL: (0.035, 0.015),
}
"""Activity -> (mean, sd) of the acceleration magnitude's standard deviation, g."""
ACC_PEAK = {
    WALK: (1.55, 2.1),
    WORK: (1.3, 1.9),
    STAND: (1.05, 1.25),
    SIT: (1.05, 1.2),
    LIE: (1.01, 1.08),
    KNEEL: (1.1, 1.4),
}
"""Activity -> uniform range of the window's acceleration peak without an impact, g."""
TILT = {
    WALK: (4.0, 12.0),
    WORK: (5.0, 40.0),
    STAND: (2.0, 10.0),
    SIT: (15.0, 35.0),
    LIE: (70.0, 95.0),
    KNEEL: (35.0, 60.0),
}
"""Activity -> uniform range of the trunk tilt from upright, degrees."""
POSITION_NOISE_M = 0.4
JUMP_PROBABILITY = 0.003
HR_MISSING_PROBABILITY = 0.01
RESTING_BPM = (55.0, 75.0)


@dataclass(slots=True)
class Window:
    """One window's measurements (true physics plus sensor noise), before any privacy step."""

    ts: float
    window_s: float
    x: float
    y: float
    steps: float
    cadence: float
    stride_cv: float
    accel_mean: float
    accel_std: float
    accel_peak: float
    tilt: float
    heart_rate_bpm: float | None
    hr_ratio: float | None


class WearableSynth:
    """Synthesises the windows of one worker's wearable, in time order."""

    def __init__(self, plan: WorkerPlan, rng: np.random.Generator, shift_s: float) -> None:
        self.plan = plan
        self.rng = rng
        self.shift_s = shift_s
        self.index = 0
        self.resting_bpm = float(rng.uniform(*RESTING_BPM))
        self.reference_bpm = self.resting_bpm * float(rng.normal(1.0, 0.03))
        self.hr = 1.0
        self.work_dx = 0.0
        self.work_dy = 0.0
        self.last_steps = -math.inf
        self.pace: dict[int, float] = {}

    def _overlapping(self, a: float, b: float) -> list[Segment]:
        segs = self.plan.segments
        while self.index < len(segs) - 1 and segs[self.index].end <= a:
            self.index += 1
        out = []
        i = self.index
        while i < len(segs) and segs[i].start < b:
            if segs[i].end > a:
                out.append(segs[i])
            i += 1
        return out

    def window(self, t: float, window_s: float) -> Window | None:
        """The window ending at ``t`` (shift seconds); None outside the plan."""
        rng = self.rng
        a = t - window_s
        segs = self._overlapping(a, t)
        if not segs:
            return None
        fatigue = self.plan.fatigue(t, self.shift_s)
        profile = self.plan.profile
        steps = 0.0
        cad_sum = 0.0
        cv_sum = 0.0
        walk_s = 0.0
        effort = 0.0
        std_sq = 0.0
        peak = 1.0
        last = segs[-1]
        for seg in segs:
            span = min(seg.end, t) - max(seg.start, a)
            if span <= 0:
                continue
            share = span / window_s
            kind = seg.kind
            mu, sd = ACC_STD[kind]
            std_sq += share * max(rng.normal(mu, sd), 0.003) ** 2
            peak = max(peak, float(rng.uniform(*ACC_PEAK[kind])))
            load = 1.25 if seg.carry else 1.0
            effort += share * EFFORT[kind] * load
            if kind == WALK:
                cadence = self._walk_cadence(seg, fatigue)
                n = cadence * span / 60.0
                steps += n
                cad_sum += cadence * n
                cv = profile.stride_cv * (1.0 + 0.8 * fatigue) * (1.15 if seg.carry else 1.0)
                cv_sum += cv * n
                walk_s += span
            elif kind == WORK and (rng.random() < span / 30.0 or t - self.last_steps >= 50.0):
                n = float(rng.integers(3, 9))
                steps += n
                cad_sum += 75.0 * n
                cv_sum += 0.12 * n
                angle = float(rng.uniform(0, 2 * math.pi))
                self.work_dx = float(np.clip(self.work_dx + 1.5 * math.cos(angle), -3.0, 3.0))
                self.work_dy = float(np.clip(self.work_dy + 1.5 * math.sin(angle), -3.0, 3.0))
        for impact in self.plan.impacts:
            if a < impact.ts <= t:
                peak = max(peak, impact.peak_g * float(rng.normal(1.0, 0.05)))
        steps = float(round(steps))
        if steps > 0:
            self.last_steps = t
        cadence = 0.0
        stride_cv = 0.0
        if steps > 0:
            cadence = max(cad_sum / max(steps, 1e-9) + float(rng.normal(0.0, 2.5)), 20.0)
        if steps >= 6:
            stride_cv = cv_sum / steps * float(rng.lognormal(0.0, 0.2))
        x, y = last.position(t)
        if last.kind == WORK:
            x, y = x + self.work_dx, y + self.work_dy
        else:
            self.work_dx = self.work_dy = 0.0
        x += float(rng.normal(0.0, POSITION_NOISE_M))
        y += float(rng.normal(0.0, POSITION_NOISE_M))
        if rng.random() < JUMP_PROBABILITY:
            angle = float(rng.uniform(0, 2 * math.pi))
            distance = float(rng.uniform(5.0, 12.0))
            x, y = x + distance * math.cos(angle), y + distance * math.sin(angle)
        heat = 1.0 + 0.025 * min(max((t / self.shift_s - 0.5) * 2.0, 0.0), 1.0)
        target = (1.0 + (profile.hr_walk - 1.0) * effort) * (1.0 + 0.12 * fatigue) * heat
        self.hr += (target - self.hr) * (1.0 - math.exp(-window_s / 45.0))
        bpm = self.resting_bpm * self.hr * float(rng.normal(1.0, 0.02))
        if rng.random() < HR_MISSING_PROBABILITY:
            bpm_out: float | None = None
            ratio: float | None = None
        else:
            bpm_out = bpm
            ratio = bpm / self.reference_bpm
        tilt = float(rng.uniform(*TILT[last.kind]))
        accel_std = math.sqrt(std_sq)
        return Window(
            ts=t,
            window_s=window_s,
            x=x,
            y=y,
            steps=steps,
            cadence=cadence,
            stride_cv=stride_cv,
            accel_mean=1.0 + 0.15 * accel_std + float(rng.normal(0.0, 0.005)),
            accel_std=accel_std,
            accel_peak=peak,
            tilt=tilt,
            heart_rate_bpm=bpm_out,
            hr_ratio=ratio,
        )

    def _walk_cadence(self, seg: Segment, fatigue: float) -> float:
        """Bout cadence of a walk segment: the worker's pace for it, fatigue, load, ground."""
        key = id(seg)
        pace = self.pace.get(key)
        if pace is None:
            pace = self.pace[key] = float(self.rng.normal(1.0, 0.03))
            if len(self.pace) > 64:
                self.pace.pop(next(iter(self.pace)))
        zone_factor = 1.0
        if seg.tag in ROUGH_ZONES:
            zone_factor = ROUGH_ZONES[seg.tag]
        carry = 0.94 if seg.carry else 1.0
        return self.plan.profile.cadence * pace * (1.0 - 0.10 * fatigue) * carry * zone_factor
