"""Delayed labels: snapshots become positives on a failure or censored negatives on expiry."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.models.labels import SnapshotBuffer


def _filled(n_inputs: int = 2, interval: float = 3.0, cap: float = 72.0) -> SnapshotBuffer:
    """Snapshots at t = 0, 3, ..., 57 (room for all of them) with x = t."""
    buf = SnapshotBuffer(n_inputs, interval, cap, capacity=30)
    for t in range(0, 60):
        buf.offer(float(t), np.full(n_inputs, float(t)))
    return buf


def test_offer_keeps_one_snapshot_per_interval() -> None:
    buf = SnapshotBuffer(1, interval=3.0, cap=72.0)
    taken = [buf.offer(float(t), np.array([t])) for t in range(10)]
    assert taken == [True, False, False, True, False, False, True, False, False, True]
    assert len(buf) == 4


def test_offer_ignores_readings_older_than_the_last_snapshot() -> None:
    buf = SnapshotBuffer(1, interval=1.0, cap=10.0)
    assert buf.offer(5.0, np.array([1.0]))
    assert not buf.offer(2.0, np.array([1.0]))
    assert len(buf) == 1


def test_on_failure_returns_time_to_failure_per_snapshot_and_clears() -> None:
    buf = _filled()
    labels = buf.on_failure(60.0)
    assert [y for _, y in labels] == [60.0 - t for t in range(0, 60, 3)]
    assert [float(x[0]) for x, _ in labels] == [float(t) for t in range(0, 60, 3)]
    assert len(buf) == 0
    assert buf.on_failure(61.0) == []


def test_on_failure_caps_old_snapshots_and_drops_ones_after_the_failure() -> None:
    buf = SnapshotBuffer(1, interval=1.0, cap=5.0, capacity=20)
    for t in range(10):
        buf.offer(float(t), np.array([float(t)]))
    labels = buf.on_failure(7.5)
    assert [y for _, y in labels] == [5.0, 5.0, 5.0, 4.5, 3.5, 2.5, 1.5, 0.5]


def test_expired_pops_snapshots_older_than_cap_as_censored() -> None:
    buf = _filled(cap=30.0)
    censored = buf.expired(59.0)
    assert [float(x[0]) for x, _ in censored] == [float(t) for t in range(0, 29, 3)]
    assert all(y == 30.0 for _, y in censored)
    assert buf.expired(59.0) == []
    assert [y for _, y in buf.on_failure(59.0)] == [59.0 - t for t in range(30, 58, 3)]


def test_every_snapshot_becomes_exactly_one_label() -> None:
    buf = SnapshotBuffer(3, interval=1.0, cap=12.0)
    labels = []
    for t in range(100):
        labels += buf.expired(float(t))
        buf.offer(float(t), np.zeros(3))
    labels += buf.on_failure(99.0)
    assert len(labels) == 100
    assert sorted(y for _, y in labels)[:13] == [float(v) for v in range(13)]


def test_full_buffer_drops_the_oldest_snapshot() -> None:
    buf = SnapshotBuffer(1, interval=1.0, cap=100.0, capacity=3)
    for t in range(5):
        buf.offer(float(t), np.array([float(t)]))
    assert [float(x[0]) for x, _ in buf.on_failure(5.0)] == [2.0, 3.0, 4.0]


def test_bytes_round_trip_is_compact_and_lossless_in_float16() -> None:
    buf = SnapshotBuffer(20, interval=3 * 3600.0, cap=72 * 3600.0)
    rng = np.random.default_rng(1)
    t0 = 1.7e9
    for i in range(40):
        buf.offer(t0 + i * 3 * 3600.0, rng.normal(size=20))
    data = buf.to_bytes()
    assert len(data) <= 1200
    back = SnapshotBuffer.from_bytes(data)
    assert len(back) == len(buf) == 26
    a = buf.on_failure(t0 + 40 * 3 * 3600.0)
    b = back.on_failure(t0 + 40 * 3 * 3600.0)
    assert [y for _, y in a] == [y for _, y in b]
    assert all(np.array_equal(xa, xb) for (xa, _), (xb, _) in zip(a, b, strict=True))
    assert back.offer(t0 + 41 * 3 * 3600.0, np.zeros(20))


def test_invalid_interval_is_rejected() -> None:
    with pytest.raises(ValueError):
        SnapshotBuffer(1, interval=0.0, cap=1.0)
