"""The JSON wire shapes the simulator emits, encoded with orjson as ``(key, value)`` bytes.

The simulator deliberately does not import the ``schemas`` package: it is an independent
producer that must write exactly the documented shapes, so the consumer's validation is
actually exercised. The key of every message is the asset id as UTF-8.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

__all__ = [
    "GROUND_TRUTH_KINDS",
    "MAINTENANCE_KINDS",
    "PHYSICAL_RANGES",
    "SENSOR_FIELDS",
    "WIRE_VERSION",
    "encode",
    "ground_truth_event",
    "maintenance_event",
]

WIRE_VERSION = 1

SENSOR_FIELDS: tuple[str, ...] = (
    "vibration_rms",
    "kurtosis",
    "crest_factor",
    "dominant_freq_hz",
    "bearing_temp_c",
    "ambient_temp_c",
    "load_pct",
    "speed_rpm",
)

PHYSICAL_RANGES: dict[str, tuple[float, float]] = {
    "vibration_rms": (0.0, 200.0),
    "kurtosis": (1.0, 1000.0),
    "crest_factor": (1.0, 100.0),
    "dominant_freq_hz": (0.0, 50000.0),
    "bearing_temp_c": (-50.0, 250.0),
    "ambient_temp_c": (-60.0, 70.0),
    "load_pct": (0.0, 200.0),
    "speed_rpm": (0.0, 100000.0),
}

MAINTENANCE_KINDS = ("failure", "repair", "inspection")
GROUND_TRUTH_KINDS = (
    "precursor_start",
    "failure",
    "repair",
    "disturbance_start",
    "disturbance_end",
)


def encode(record: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """Encode one wire record as ``(asset_id UTF-8 key, orjson value)``."""
    return str(record["asset_id"]).encode(), orjson.dumps(record)


def maintenance_event(
    *,
    event_id: str,
    asset_id: str,
    asset_class: str,
    ts: float,
    kind: str,
    component: str | None,
    note: str | None,
) -> dict[str, Any]:
    """Build a maintenance record (``failure``, ``repair`` or ``inspection``)."""
    return {
        "v": WIRE_VERSION,
        "event_id": event_id,
        "asset_id": asset_id,
        "asset_class": asset_class,
        "ts": round(ts, 3),
        "kind": kind,
        "component": component,
        "note": note,
    }


def ground_truth_event(
    *, asset_id: str, kind: str, ts: float, episode_id: str, detail: Mapping[str, Any]
) -> dict[str, Any]:
    """Build a ground-truth record of the maintenance domain."""
    return {
        "v": WIRE_VERSION,
        "domain": "maintenance",
        "asset_id": asset_id,
        "kind": kind,
        "ts": round(ts, 3),
        "episode_id": episode_id,
        "detail": dict(detail),
    }
