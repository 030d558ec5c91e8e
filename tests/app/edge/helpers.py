"""Device payload builders shared by the edge tests."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import orjson

FS_HZ = 5_000.0


def waveform(rms: float, seed: int = 0, n: int = 1024) -> dict[str, Any]:
    """A raw vibration block (tone plus noise) whose RMS is about ``rms`` mm/s."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FS_HZ
    x = np.sin(2 * np.pi * 120.0 * t) * np.sqrt(2) * 0.95 + rng.normal(0, 0.3, n)
    x = x / np.sqrt(np.mean((x - x.mean()) ** 2)) * rms
    return {"fs_hz": FS_HZ, "samples": np.round(x, 4).tolist()}


def machine_payload(
    rms: float, seq: int, ts: float | None = None, waveform_n: int = 1024, **extra: Any
) -> bytes:
    """A machine reading with a raw waveform block; ``seq`` travels in an extra field."""
    body: dict[str, Any] = {
        "asset_class": "motor-a",
        "ts": time.time() - 1.0 if ts is None else ts,
        "waveform": waveform(rms, seed=seq, n=waveform_n or 256),
        "bearing_temp_c": 55.0,
        "ambient_temp_c": 21.0,
        "load_pct": 70.0,
        "speed_rpm": 1480.0,
        "seq": seq,
    }
    body.update(extra)
    return orjson.dumps(body)


def wearable_payload(worker: str, man_down: bool = False) -> bytes:
    """A wearable reading with raw biometrics that must not leave the site."""
    return orjson.dumps(
        {
            "kind": "wearable",
            "worker_id": worker,
            "ts": time.time() - 1.0,
            "man_down": man_down,
            "heart_rate_bpm": 92,
            "ecg": [0.1, 0.4, 0.2],
            "x_m": 12.5,
            "y_m": 3.0,
        }
    )
