"""Builders of wearable readings and presence records for the safety tests."""

from __future__ import annotations

from typing import Any

import orjson

from agents.safety.config import SafetyConfig
from agents.safety.settings import SafetySettings
from agents.safety.site_map import load_site_map
from app.core import OFFLINE, RecordMeta, StreamLimits
from app.edge.privacy import pseudonymise
from schemas.wearable import WearableTelemetry, decode_wearable

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
