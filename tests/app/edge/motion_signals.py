"""Synthetic wrist IMU signals for the motion tests: a fall, walking, clapping, jitter.

Each builder returns ``(t, accel, gyro)``: sample times (s, starting at ``t0``), acceleration
``(n, 3)`` in g and gyroscope ``(n, 3)`` in rad/s, at ``fs`` Hz with a little seeded noise.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Signal = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


def _noise(n: int, seed: int, scale: float) -> NDArray[np.float64]:
    """Seeded Gaussian noise of shape ``(n, 3)``."""
    return np.random.default_rng(seed).normal(0.0, scale, (n, 3))


def standing(seconds: float, t0: float = 0.0, fs: float = 50.0, seed: int = 0) -> Signal:
    """Standing still, the wrist hanging: gravity along -x."""
    n = int(seconds * fs)
    t = t0 + np.arange(n) / fs
    accel = np.tile([-1.0, 0.0, 0.0], (n, 1)) + _noise(n, seed, 0.01)
    return t, accel, _noise(n, seed + 1, 0.02)


def walking(
    seconds: float, t0: float = 0.0, fs: float = 50.0, cadence_spm: float = 110.0, seed: int = 0
) -> Signal:
    """Walking: one magnitude bump of about 0.35 g per step at ``cadence_spm``."""
    n = int(seconds * fs)
    t = t0 + np.arange(n) / fs
    phase = 2 * np.pi * cadence_spm / 60.0 * (t - t0)
    bump = 0.35 * np.maximum(np.sin(phase), 0.0) ** 2
    accel = np.zeros((n, 3))
    accel[:, 0] = -(1.0 + bump)
    accel[:, 1] = 0.15 * np.sin(phase / 2)
    accel += _noise(n, seed, 0.02)
    gyro = np.zeros((n, 3))
    gyro[:, 2] = 1.2 * np.sin(phase / 2)
    return t, accel, gyro + _noise(n, seed + 1, 0.05)


def fall(t0: float = 0.0, fs: float = 50.0, seed: int = 0, peak_g: float = 4.5) -> Signal:
    """Walking 5 s, a fall (0.5 s of free fall, an impact of ``peak_g``), then lying still
    for 6 s with the wrist flat (gravity along +z)."""
    tw, aw, gw = walking(5.0, t0, fs, seed=seed)
    n = int(7.0 * fs)
    t = t0 + 5.0 + np.arange(n) / fs
    accel = np.zeros((n, 3))
    gyro = np.zeros((n, 3))
    s = t - t0 - 5.0
    drop = (s >= 0.2) & (s < 0.7)
    accel[:, 2] = 1.0
    accel[s < 0.2, 0] = -1.0
    accel[s < 0.2, 2] = 0.0
    accel[drop] = [0.0, 0.0, 0.15]
    gyro[(s >= 0.0) & (s < 0.75), 1] = 5.0
    hit = int(np.argmin(np.abs(s - 0.72)))
    accel[hit] = [0.8, 0.5, peak_g]
    accel[hit + 1] = [0.3, 0.2, 2.2]
    accel += _noise(n, seed + 2, 0.01)
    gyro += _noise(n, seed + 3, 0.02)
    return np.concatenate([tw, t]), np.vstack([aw, accel]), np.vstack([gw, gyro])


def clapping(seconds: float, t0: float = 0.0, fs: float = 50.0, seed: int = 0) -> Signal:
    """Clapping twice a second: a 3 g spike at each clap, the wrist upright."""
    t, accel, gyro = standing(seconds, t0, fs, seed)
    every = int(fs / 2)
    accel[every // 2 :: every] = [-1.0, 2.8, 0.5]
    return t, accel, gyro


def to_ms2(accel_g: NDArray[np.float64]) -> NDArray[np.float64]:
    """Acceleration in m/s^2 (what devices send by default)."""
    return accel_g * 9.80665
