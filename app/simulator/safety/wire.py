"""Wire forms of simulated wearable windows: what the device sends and what leaves the edge.

* :func:`device_payload` is what a wearable publishes over MQTT to its site's edge gateway
  (``kind: wearable``, raw worker id, raw heart rate in bpm next to the on-device ratio).
* :func:`cloud_record` is the same window as the edge gateway forwards it to Kafka: worker id
  pseudonymised with the site secret (:func:`edge.privacy.pseudonymise`), the configured raw
  biometric fields dropped (:func:`edge.privacy.scrub`). ``make run`` and the offline
  evaluation publish this form directly, so they see exactly what the cloud would.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from app.edge.privacy import pseudonymise, scrub
from app.simulator.safety.wearable import Window

__all__ = ["cloud_record", "device_payload", "encode_cloud"]


def device_payload(window: Window, *, worker_id: str, ts: float) -> dict[str, Any]:
    """The JSON a wearable publishes for ``window`` (raw id and raw heart rate included)."""
    payload: dict[str, Any] = {
        "kind": "wearable",
        "worker_id": worker_id,
        "ts": round(ts, 3),
        "window_s": window.window_s,
        "x_m": round(window.x, 2),
        "y_m": round(window.y, 2),
        "steps": window.steps,
        "cadence_spm": round(window.cadence, 1),
        "stride_cv": round(window.stride_cv, 4),
        "accel_mean_g": round(window.accel_mean, 3),
        "accel_std_g": round(window.accel_std, 4),
        "accel_peak_g": round(window.accel_peak, 2),
        "tilt_deg": round(window.tilt, 1),
        "heart_rate_bpm": None if window.heart_rate_bpm is None else round(window.heart_rate_bpm),
        "hr_ratio": None if window.hr_ratio is None else round(window.hr_ratio, 3),
    }
    return payload


def cloud_record(
    payload: dict[str, Any],
    *,
    device_id: str,
    site: str,
    secret: bytes,
    biometric_fields: Iterable[str],
) -> dict[str, Any]:
    """``payload`` as the site's edge gateway forwards it (pseudonymised, biometrics dropped)."""
    record = scrub(payload, biometric_fields)
    record.update(
        {
            "v": 1,
            "worker_id": pseudonymise(payload["worker_id"], secret),
            "device_id": device_id,
            "site": site,
        }
    )
    return record


def encode_cloud(record: dict[str, Any]) -> tuple[bytes, bytes]:
    """``(pseudonym key, JSON value)`` of a cloud record."""
    return str(record["worker_id"]).encode(), orjson.dumps(record)
