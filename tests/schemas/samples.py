"""Valid sample records of each input type and the fixed clock the decoder tests use."""

from __future__ import annotations

from typing import Any

NOW = 1_700_000_000.0
MIN_EVENT_TIME = 946_684_800.0
MAX_FUTURE_SKEW_S = 300.0
CLOCK = {"now": NOW, "min_event_time": MIN_EVENT_TIME, "max_future_skew_s": MAX_FUTURE_SKEW_S}


def telemetry_dict(**changes: Any) -> dict[str, Any]:
    """Return a valid telemetry wire dict with some fields changed."""
    record: dict[str, Any] = {
        "v": 1,
        "asset_id": "motor-001",
        "asset_class": "ac-motor-7.5kw",
        "ts": NOW - 60.0,
        "vibration_rms": 2.5,
        "kurtosis": 3.1,
        "crest_factor": 3.4,
        "dominant_freq_hz": 49.8,
        "bearing_temp_c": 55.0,
        "ambient_temp_c": 21.0,
        "load_pct": 75.0,
        "speed_rpm": 1480.0,
    }
    record.update(changes)
    return record


def maintenance_dict(**changes: Any) -> dict[str, Any]:
    """Return a valid maintenance wire dict with some fields changed."""
    record: dict[str, Any] = {
        "v": 1,
        "event_id": "evt-42",
        "asset_id": "motor-001",
        "asset_class": "ac-motor-7.5kw",
        "ts": NOW - 3600.0,
        "kind": "failure",
        "component": "bearing",
        "note": "outer race spall",
    }
    record.update(changes)
    return record
