"""The JSON wire shapes the simulator emits, encoded with orjson as ``(key, value)`` bytes.

Field names, physical ranges and maintenance kinds come from the ``schemas`` package, the one
place they are declared; the consumer's validation is exercised by the bad records the fault
injector writes on purpose. The key of every message is the asset id as UTF-8.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from schemas.maintenance import MAINTENANCE_KINDS
from schemas.telemetry import FEATURE_FIELDS, TELEMETRY_RANGES

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

SENSOR_FIELDS: tuple[str, ...] = FEATURE_FIELDS

PHYSICAL_RANGES: dict[str, tuple[float, float]] = {
    name: (bounds.low, bounds.high) for name, bounds in TELEMETRY_RANGES.items()
}

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
