"""The gateway takes raw IMU blocks from wearables; raw motion and identities stay on site."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from app.edge.config import EdgeConfig
from app.edge.processor import EdgeProcessor, Outcome
from app.settings import Settings
from schemas.wearable import decode_wearable
from tests.app.edge.motion_signals import fall, to_ms2, walking

SITE = "site-9"
TOPIC = f"site/{SITE}/device/band-4/telemetry"
NOW = time.time()
T0 = float(int(NOW - 120.0) // 10 * 10)  # on the 5 s summary grid


@pytest.fixture()
def processor(tmp_path: Path) -> EdgeProcessor:
    settings = Settings(edge_data_dir=str(tmp_path))
    return EdgeProcessor(EdgeConfig.from_settings(settings, SITE), b"secret", clock=lambda: NOW)


def block(t: np.ndarray, accel_g: np.ndarray, gyro: np.ndarray | None, **extra: Any) -> bytes:
    """A wearable payload carrying one raw IMU block (m/s^2, rad/s, times after ts)."""
    imu: dict[str, Any] = {"accel": to_ms2(accel_g).round(4).tolist(), "t": (t - t[0]).tolist()}
    if gyro is not None:
        imu["gyro"] = gyro.round(4).tolist()
    body = {
        "kind": "wearable",
        "worker_id": "anna.k",
        "ts": float(t[0]),
        "x_m": 4.0,
        "y_m": 2.5,
        "heart_rate_bpm": 97,
        "hr_ratio": 1.2,
        "imu": imu,
        **extra,
    }
    return orjson.dumps(body)


def stream(processor: EdgeProcessor, signal: tuple[np.ndarray, ...], size: int) -> list[Outcome]:
    """Send ``signal`` in blocks of ``size`` samples."""
    t, accel, gyro = signal
    return [
        processor.handle(TOPIC, block(t[i : i + size], accel[i : i + size], gyro[i : i + size]))
        for i in range(0, len(t), size)
    ]


def records(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """Forwarded wearable records, decoded."""
    return [
        orjson.loads(r.value)
        for o in outcomes
        for r in o.outbound
        if r.topic == "aiot.safety.wearable.v1"
    ]


def test_raw_blocks_become_motion_records_without_raw_samples_or_identity(
    processor: EdgeProcessor,
) -> None:
    outcomes = stream(processor, fall(T0), 50)
    assert all(o.rejected is None for o in outcomes)
    forwarded = records(outcomes)
    summaries = [r for r in forwarded if "impact" not in r]
    impacts = [r for r in forwarded if "impact" in r]
    assert len(summaries) == 2 and len(impacts) == 7
    for record in forwarded:
        assert "imu" not in record and "heart_rate_bpm" not in record
        assert record["worker_id"].startswith("p-") and record["edge_motion"] is True
        assert record["hr_ratio"] == 1.2 and record["x_m"] == 4.0
        reading = decode_wearable(
            orjson.dumps(record), now=NOW, min_event_time=0.0, max_future_skew_s=300.0
        )
        assert reading.edge_motion
    assert impacts[0]["impact"]["peak_g"] == pytest.approx(4.6, abs=0.1)
    assert all(b"anna" not in r.value for o in outcomes for r in o.outbound)


def test_the_records_do_not_depend_on_the_block_size(
    processor: EdgeProcessor, tmp_path: Path
) -> None:
    other = EdgeProcessor(
        EdgeConfig.from_settings(Settings(edge_data_dir=str(tmp_path)), SITE),
        b"secret",
        clock=lambda: NOW,
    )
    assert records(stream(processor, walking(12.0, T0), 7)) == records(
        stream(other, walking(12.0, T0), 50)
    )


def test_a_block_without_gyroscope_is_accepted(processor: EdgeProcessor) -> None:
    t, accel, _ = walking(6.0, T0)
    out = processor.handle(TOPIC, block(t, accel, None))
    assert out.rejected is None
    [summary] = records([out])
    assert summary["steps"] > 5


def test_sample_times_from_the_nominal_rate(processor: EdgeProcessor) -> None:
    t, accel, _ = walking(6.0, T0)
    body = orjson.loads(block(t, accel, None))
    del body["imu"]["t"]
    body["imu"]["fs_hz"] = 50
    out = processor.handle(TOPIC, orjson.dumps(body))
    assert out.rejected is None and len(records([out])) == 1


def _bad(**imu: Any) -> bytes:
    body = {"kind": "wearable", "worker_id": "anna.k", "ts": T0, "x_m": 0, "y_m": 0, "imu": imu}
    return orjson.dumps(body)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (_bad(t=[0.0]), "missing_field"),
        (_bad(accel=[[0, 0, 9.8]]), "missing_field"),
        (_bad(accel=[[0, 9.8]], t=[0.0]), "wrong_type"),
        (_bad(accel=[["a", 0, 9.8]], t=[0.0]), "wrong_type"),
        (_bad(accel=[], t=[]), "wrong_type"),
        (_bad(accel=[[0, 0, 9.8]] * 6001, fs_hz=50), "out_of_range"),
        (_bad(accel=[[0, 0, 9.8]], fs_hz=0), "out_of_range"),
        (_bad(accel=[[0, 0, 9.8]], fs_hz="50"), "wrong_type"),
        (_bad(accel=[[0, 0, 9.8]] * 2, t=[0.0]), "wrong_type"),
        (_bad(accel=[[0, 0, 9.8]], t=[-1.0]), "out_of_range"),
        (_bad(accel=[[0, 0, 900.0]], t=[0.0]), "out_of_range"),
        (_bad(accel=[[0, 0, 1.0]], t=[0.0], accel_unit="mg"), "bad_enum"),
        (_bad(accel=[[0, 0, 9.8]], t=[0.0], gyro=[[0, 0, 0]] * 2), "wrong_type"),
        (_bad(accel=[[0, 0, 9.8]], t=[0.0], gyro=[[0, 0, 200.0]]), "out_of_range"),
        (
            orjson.dumps({"kind": "wearable", "worker_id": "anna.k", "ts": T0, "imu": [1]}),
            "wrong_type",
        ),
    ],
)
def test_bad_imu_blocks_become_dead_letters_with_their_reason(
    processor: EdgeProcessor, payload: bytes, reason: str
) -> None:
    out = processor.handle(TOPIC, payload)
    assert out.rejected == reason
    [letter] = out.outbound
    assert letter.topic == "aiot.deadletter.v1"
    assert orjson.loads(letter.value)["reason"] == reason


def test_a_nan_sample_is_not_finite(processor: EdgeProcessor) -> None:
    raw = _bad(accel=[[0, 0, 9.8]], t=[0.0]).replace(b"9.8", b"NaN")
    assert processor.handle(TOPIC, raw).rejected == "not_finite"


def test_a_replayed_block_is_a_dead_letter(processor: EdgeProcessor) -> None:
    t, accel, gyro = walking(6.0, T0)
    assert processor.handle(TOPIC, block(t[200:], accel[200:], gyro[200:])).rejected is None
    out = processor.handle(TOPIC, block(t[:50], accel[:50], gyro[:50]))
    assert out.rejected == "timestamp_too_old"


def test_dead_letters_of_raw_blocks_hold_no_samples_no_identity_no_biometrics(
    processor: EdgeProcessor,
) -> None:
    t, accel, gyro = walking(2.0, T0)
    payload = block(t, accel, gyro, man_down="yes")
    out = processor.handle(TOPIC, payload)
    assert out.rejected == "wrong_type"
    kept = orjson.loads(base64.b64decode(orjson.loads(out.outbound[0].value)["original_b64"]))
    assert kept["imu"] == f"<{len(t)} raw samples withheld>"
    assert kept["worker_id"].startswith("p-")
    assert "heart_rate_bpm" not in kept
