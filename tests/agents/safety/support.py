"""Builders of wearable readings and presence records for the safety tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from agents.safety.config import SafetyConfig
from agents.safety.fall_model import FallModel, TrainingConfig, impact_inputs, inputs_matrix
from agents.safety.settings import SafetySettings
from agents.safety.site_map import load_site_map
from app.core import OFFLINE, RecordMeta, StreamLimits
from app.edge.privacy import pseudonymise
from schemas.wearable import ImpactFeatures, WearableTelemetry, decode_wearable

NOW = 1_800_000_000.0
START = NOW - 86400.0
SECRET = b"test-site"
WORKER = pseudonymise("W-0001", SECRET)
CRANE = (140.0, 20.0)
"""A spot inside the high-risk crane-lift zone of the packaged site map."""
YARD = (200.0, 125.0)
"""A spot of the default (low-risk) zone."""


def config(**changes: Any) -> SafetyConfig:
    """The safety config of the default settings (packaged site map) with some changes."""
    base = SafetyConfig.from_settings(SafetySettings(), load_site_map())
    values = {name: getattr(base, name) for name in base.__dataclass_fields__ if name != "policies"}
    values.update(changes)
    return SafetyConfig(**values)


def limits() -> StreamLimits:
    """Validation bounds that accept the test times."""
    return StreamLimits()


def reading(ts: float, *, worker: str = WORKER, **changes: Any) -> dict[str, Any]:
    """A wire dict of a walking window at the yard spot, with some fields changed."""
    record: dict[str, Any] = {
        "v": 1,
        "worker_id": worker,
        "ts": ts,
        "window_s": 10.0,
        "x_m": YARD[0],
        "y_m": YARD[1],
        "steps": 18.0,
        "cadence_spm": 108.0,
        "stride_cv": 0.04,
        "accel_mean_g": 1.04,
        "accel_std_g": 0.28,
        "accel_peak_g": 1.8,
        "tilt_deg": 8.0,
        "hr_ratio": 1.45,
        "device_id": "wb-0001",
        "site": "site-1",
    }
    record.update(changes)
    return record


def still(ts: float, *, at: tuple[float, float] = YARD, **changes: Any) -> dict[str, Any]:
    """A window of standing still at ``at`` (no steps)."""
    fields = {
        "x_m": at[0],
        "y_m": at[1],
        "steps": 0.0,
        "cadence_spm": 0.0,
        "stride_cv": 0.0,
        "accel_std_g": 0.03,
        "accel_peak_g": 1.1,
        "tilt_deg": 5.0,
    }
    fields.update(changes)
    return reading(ts, **fields)


def lying(ts: float, **changes: Any) -> dict[str, Any]:
    """A window of lying still on the ground (no steps, no motion, horizontal)."""
    fields = {"accel_std_g": 0.008, "accel_peak_g": 1.03, "tilt_deg": 85.0}
    fields.update(changes)
    return still(ts, **fields)


def raw(record: dict[str, Any]) -> bytes:
    """Wire bytes of a record."""
    return orjson.dumps(record)


def parsed(record: dict[str, Any]) -> WearableTelemetry:
    """A record through the validating decoder."""
    return decode_wearable(raw(record), now=NOW, min_event_time=0.0, max_future_skew_s=300.0)


def meta(key: str = WORKER, input: str = "wearables") -> RecordMeta:
    """Kafka metadata of a test record of logical input ``input``."""
    return RecordMeta(input, input, 0, OFFLINE, key.encode())


def clock() -> float:
    """The fixed wall clock of the engine tests."""
    return NOW


def impact(peak_g: float = 4.8, age_s: float = 0.3, **changes: Any) -> dict[str, Any]:
    """Wire dict of an impact's features: by default a hard fall (free fall, then flat)."""
    features: dict[str, Any] = {
        "peak_g": peak_g,
        "age_s": age_s,
        "descent_mean_g": [1.1, 1.0, 1.2, 0.9, 0.7, 0.4, 0.3, 0.5],
        "descent_min_g": [0.9, 0.8, 0.9, 0.6, 0.4, 0.2, 0.1, 0.3],
        "freefall_s": 0.4,
        "rotation_dps": [20.0, 30.0, 40.0, 120.0, 200.0, 250.0, 280.0, 300.0, 100.0],
        "rotation_deg": 210.0,
        "gravity_before": [-1.0, 0.0, 0.0],
        "gravity_after": [0.0, 0.0, 1.0],
        "orientation_change_deg": 90.0,
        "post_mean_g": 1.02,
        "post_std_g": 0.04,
        "post_dev_g": 0.05,
        "post_bursts": 0.0,
        "pre_bursts": 0.0,
        "activity_std_g": 0.2,
        "activity_mean_g": 1.05,
        "periodicity": 0.3,
    }
    features.update(changes)
    return features


def edge_window(ts: float, **changes: Any) -> dict[str, Any]:
    """A summary window an edge computed from raw motion (no tilt from a wrist)."""
    fields: dict[str, Any] = {"edge_motion": True, "tilt_deg": None, "window_s": 5.0}
    fields.update(changes)
    return reading(ts, **fields)


def edge_still(ts: float, **changes: Any) -> dict[str, Any]:
    """An edge-motion window of lying or sitting still (no steps)."""
    fields: dict[str, Any] = {
        "steps": 0.0,
        "cadence_spm": 0.0,
        "stride_cv": 0.0,
        "accel_std_g": 0.01,
        "accel_peak_g": 1.05,
    }
    fields.update(changes)
    return edge_window(ts, **fields)


def impact_reading(ts: float, **features: Any) -> dict[str, Any]:
    """An edge impact reading at ``ts`` with :func:`impact` features."""
    return edge_window(ts, accel_peak_g=5.0, impact=impact(**features))


def clap(**changes: Any) -> dict[str, Any]:
    """Wire dict of an impact that is no fall: clapping (repetitive, upright, no free fall)."""
    features = impact(
        peak_g=2.6,
        descent_mean_g=[1.3, 1.1, 1.4, 1.2, 1.3, 1.1, 1.4, 1.2],
        descent_min_g=[0.9, 0.9, 1.0, 0.9, 0.9, 0.9, 1.0, 0.9],
        freefall_s=0.0,
        rotation_deg=40.0,
        gravity_after=[-1.0, 0.0, 0.0],
        orientation_change_deg=4.0,
        post_std_g=0.4,
        post_bursts=2.0,
        pre_bursts=4.0,
        periodicity=0.8,
    )
    features.update(changes)
    return features


def fall_model() -> FallModel:
    """A real fall model, trained here on jittered falls (:func:`impact`) against claps
    (:func:`clap`), threshold 0.5: it tells the two apart with certainty."""
    rng = np.random.default_rng(7)
    rows, labels = [], []
    for label, base in ((1.0, impact()), (0.0, clap())):
        inputs = impact_inputs(decode_impact(base))
        for _ in range(200):
            rows.append({k: v * float(rng.normal(1.0, 0.05)) for k, v in inputs.items()})
            labels.append(label)
    model = FallModel(threshold=0.5)
    return model.fit(inputs_matrix(rows), np.array(labels), None, TrainingConfig(epochs=20))


def decode_impact(features: dict[str, Any]) -> ImpactFeatures:
    """Impact features through the validating decoder."""
    reading_ = parsed(reading(NOW, impact=features))
    assert reading_.impact is not None
    return reading_.impact
