"""Simulated workers: each with their own gait, heart-rate level and fatigue susceptibility.

The population is deliberately heterogeneous so that a fixed threshold cannot tell fatigue from
a person's normal: some walk naturally slowly, some have a high working heart rate, some an
irregular gait (an old injury), and only some tire markedly during a shift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["WorkerProfile", "draw_profiles"]


@dataclass(frozen=True, slots=True)
class WorkerProfile:
    """A simulated worker's constants (raw id and device: they never leave the site raw).

    ``hr_walk`` is the heart-rate ratio (over the device's resting reference) of steady walking;
    ``susceptible`` workers build real fatigue in a shift, the others only a trace of it.
    """

    worker_id: str
    device_id: str
    cadence: float
    stride_cv: float
    hr_walk: float
    step_m: float
    susceptible: bool


def draw_profiles(
    rng: np.random.Generator, workers: int, susceptible_share: float = 0.3
) -> list[WorkerProfile]:
    """Draw ``workers`` profiles; about ``susceptible_share`` of them tire markedly and about
    15 % each (at least one of each on a crew-sized site) walk naturally slowly or have a high
    working heart rate."""
    special = max(1, round(0.15 * workers)) if workers >= 4 else 0
    order = rng.permutation(workers)
    slow = {int(w) for w in order[:special]}
    high_hr = {int(w) for w in order[special : 2 * special]}
    profiles = []
    for i in range(workers):
        cadence = float(np.clip(rng.normal(110.0, 6.0), 96.0, 126.0))
        if i in slow:
            cadence = float(rng.uniform(84.0, 94.0))
        hr_walk = float(np.clip(rng.normal(1.42, 0.07), 1.25, 1.58))
        if i in high_hr:
            hr_walk = float(rng.uniform(1.65, 1.85))
        stride_cv = float(rng.uniform(0.028, 0.05))
        if rng.random() < 0.1:
            stride_cv = float(rng.uniform(0.065, 0.085))  # irregular gait of their own
        profiles.append(
            WorkerProfile(
                worker_id=f"W-{i + 1:04d}",
                device_id=f"wb-{i + 1:04d}",
                cadence=cadence,
                stride_cv=stride_cv,
                hr_walk=hr_walk,
                step_m=float(rng.uniform(0.62, 0.78)),
                susceptible=bool(rng.random() < susceptible_share),
            )
        )
    return profiles
