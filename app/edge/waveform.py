"""Condition features of a raw vibration waveform block, computed at the edge.

A device sends a block of vibration velocity samples (mm/s) at a sampling rate; shipping the
block to the cloud would cost orders of magnitude more bandwidth than its features. The gateway
reduces it to the four features of :class:`schemas.telemetry.MachineTelemetry`:

* RMS of the mean-removed signal (overall vibration severity),
* kurtosis (Pearson, 3 for Gaussian noise; bearing impacts raise it),
* crest factor (peak over RMS; impulsiveness),
* dominant frequency (strongest non-DC peak of the Hann-windowed FFT magnitude, numpy's rfft).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["MAX_SAMPLES", "MIN_SAMPLES", "WaveformFeatures", "waveform_features"]

MIN_SAMPLES = 16
MAX_SAMPLES = 1 << 16


@dataclass(frozen=True, slots=True)
class WaveformFeatures:
    """The features of one waveform block."""

    vibration_rms: float
    kurtosis: float
    crest_factor: float
    dominant_freq_hz: float


def waveform_features(samples: NDArray[np.float64], fs_hz: float) -> WaveformFeatures:
    """Compute the features of ``samples`` (1-D, finite) sampled at ``fs_hz``.

    Raises ``ValueError`` for a flat block (zero variance), whose shape features are undefined.
    """
    x = samples - samples.mean()
    power = float(np.mean(x * x))
    if power <= 0.0:
        raise ValueError("waveform is flat (zero variance): shape features undefined")
    rms = power**0.5
    kurtosis = float(np.mean(x**4)) / (power * power)
    crest = float(np.max(np.abs(x))) / rms
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    spectrum[0] = 0.0
    peak = int(np.argmax(spectrum))
    dominant = peak * fs_hz / x.size
    return WaveformFeatures(rms, kurtosis, crest, dominant)
