"""Records of every followed topic, as the workers (or clients) write them, for console tests."""

from __future__ import annotations

from typing import Any

import orjson

T0 = 1_790_000_000.0
WORKER = "p-0123456789abcdef0123"


def alert(
    alert_id: str = "a1",
    state: str = "raised",
    *,
    domain: str = "safety",
    alert_type: str = "man_down",
    asset_id: str = WORKER,
    severity: str = "critical",
    ts: float = T0,
    evidence: dict[str, Any] | None = None,
    **extra: Any,
) -> bytes:
    """An alerts-topic record (condition transition unless ``extra`` makes it a handling one)."""
    record: dict[str, Any] = {
        "v": 1,
        "alert_id": alert_id,
        "domain": domain,
        "alert_type": alert_type,
        "asset_id": asset_id,
        "severity": severity,
        "state": state,
        "ts": ts,
        "first_ts": T0,
        "score": 1.0,
        "threshold": 1.0,
        "message": f"{alert_type} {state} on {asset_id}",
        "evidence": evidence
        if evidence is not None
        else {"top_features": [], "model_version": "m", "x_m": 130.0, "y_m": 20.0},
    }
    record.update(extra)
    return orjson.dumps(record)


def prediction(asset: str, ts: float, risk: float, **extra: Any) -> bytes:
    """A maintenance prediction."""
    record = {
        "v": 1,
        "domain": "maintenance",
        "asset_id": asset,
        "asset_class": "motor-x",
        "ts": ts,
        "emitted_at": ts,
        "anomaly_score": risk / 2,
        "failure_probability": 0.0,
        "horizon_h": 72.0,
        "time_to_failure_h": None,
        "top_features": [{"name": "kurtosis", "value": 7.9, "baseline": 3.1, "z": 6.2}],
        "model_version": "deviation",
        "risk_score": risk,
    }
    record.update(extra)
    return orjson.dumps(record)


def episode(eid: str = "ep-1", vehicle: str = "truck-1", revision: int = 1, **extra: Any) -> bytes:
    """A fleet episode."""
    record = {
        "v": 1,
        "episode_id": eid,
        "vehicle_id": vehicle,
        "start_ts": T0 - 600.0,
        "end_ts": None,
        "status": "ongoing",
        "label": "unauthorized",
        "confidence": 0.9,
        "probabilities": {"normal": 0.05, "traffic_detour": 0.05, "unauthorized": 0.9},
        "reasons": ["drove without an assigned route"],
        "features": {},
        "max_off_corridor_m": 1200.0,
        "area_id": None,
        "route_id": None,
        "revision": revision,
        "model_version": "m",
    }
    record.update(extra)
    return orjson.dumps(record)


def fix(vehicle: str, ts: float, lat: float = 52.5, lon: float = 13.4) -> bytes:
    """A vehicle GPS fix."""
    return orjson.dumps(
        {
            "v": 1,
            "vehicle_id": vehicle,
            "ts": ts,
            "lat": lat,
            "lon": lon,
            "speed_kmh": 40.0,
            "heading_deg": 90.0,
            "ignition": True,
        }
    )


def presence(
    worker: str = WORKER, zone: str = "crane-lift", state: str = "moving", **extra: Any
) -> bytes:
    """A zone-presence record."""
    record = {
        "v": 1,
        "zone_id": zone,
        "worker_id": worker,
        "ts": T0,
        "state": state,
        "since": T0,
        "x_m": 130.0,
        "y_m": 20.0,
    }
    record.update(extra)
    return orjson.dumps(record)
