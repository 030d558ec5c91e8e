"""Vibration features computed at the edge from a raw waveform block."""

from __future__ import annotations

import numpy as np
import pytest

from app.edge.waveform import waveform_features


def test_a_pure_tone_has_its_rms_crest_kurtosis_and_frequency() -> None:
    fs, f0, amp = 10_000.0, 160.0, 3.0
    t = np.arange(4096) / fs
    features = waveform_features(amp * np.sin(2 * np.pi * f0 * t) + 5.0, fs)
    assert features.vibration_rms == pytest.approx(amp / np.sqrt(2), rel=0.01)
    assert features.crest_factor == pytest.approx(np.sqrt(2), rel=0.01)
    assert features.kurtosis == pytest.approx(1.5, rel=0.02)
    assert features.dominant_freq_hz == pytest.approx(f0, abs=fs / 4096)


def test_impacts_raise_kurtosis_and_crest_factor() -> None:
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 1, 8192)
    impacts = noise.copy()
    impacts[::512] += 25.0
    plain, hit = waveform_features(noise, 20_000.0), waveform_features(impacts, 20_000.0)
    assert hit.kurtosis > 3 * plain.kurtosis
    assert hit.crest_factor > plain.crest_factor


def test_a_flat_block_is_refused() -> None:
    with pytest.raises(ValueError, match="flat"):
        waveform_features(np.full(64, 2.0), 1000.0)
