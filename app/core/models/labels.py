"""Delayed failure labels from per-asset snapshots of the model inputs.

A failure label arrives long after the readings that announced it: the maintenance event says
"asset A failed at t", and the model should learn what A looked like 3 h, 24 h, 72 h before
``t``. So each asset keeps a small :class:`SnapshotBuffer`: every ``interval`` of event time it
stores the model input vector (as float16) with its timestamp, for at most ``cap`` of time.

- On a failure, :meth:`SnapshotBuffer.on_failure` turns the stored snapshots into labelled
  samples ``(x, min(failure_ts - ts, cap))`` (the positives) and empties the buffer.
- Snapshots that outlive ``cap`` without a failure are popped by :meth:`SnapshotBuffer.expired`
  with target ``cap``: right-censored negatives ("time to failure is at least ``cap``").

Every snapshot thus becomes exactly one label, and the state stays bounded (72 h every 3 h is
26 snapshots; ~1 KB for 20 inputs with :meth:`SnapshotBuffer.to_bytes`). Time units are those
of the timestamps (seconds for telemetry, cycles for C-MAPSS).
"""

from __future__ import annotations

import math
import struct

import numpy as np

__all__ = ["Label", "SnapshotBuffer"]

Label = tuple[np.ndarray, float]
"""A delayed label: the model input vector (float64) and its time to failure (capped)."""

# n_inputs, count, interval, cap, last offered snapshot ts, base ts of the stored offsets.
_HEADER = struct.Struct("<HHdddd")


class SnapshotBuffer:
    """Ring of ``(ts, x)`` snapshots of one asset, turned into delayed labels.

    Parameters:
        n_inputs: length of the input vectors stored.
        interval: minimum event time between two snapshots.
        cap: how long a snapshot is kept; also the target given to censored snapshots.
        capacity: maximum snapshots kept; default ``floor(cap / interval) + 2``, which covers
            ``cap`` when snapshots are at least ``interval`` apart and :meth:`expired` is
            called before each :meth:`offer`. If it is ever exceeded the oldest snapshot is
            dropped (lost, not labelled).

    Per reading: ``model.learn_many(buf.expired(ts))``, then ``buf.offer(ts, x)``; on a
    failure event: ``model.learn_failure(buf.on_failure(failure_ts))``.

    >>> buf = SnapshotBuffer(1, interval=1.0, cap=3.0)
    >>> [buf.offer(float(t), np.array([t])) for t in (0, 0.5, 1, 2, 3)]
    [True, False, True, True, True]
    >>> [(float(x[0]), y) for x, y in buf.expired(4.5)]   # snapshots at 0 and 1 are > 3 old
    [(0.0, 3.0), (1.0, 3.0)]
    >>> [(float(x[0]), y) for x, y in buf.on_failure(5.0)]
    [(2.0, 3.0), (3.0, 2.0)]
    >>> len(buf)
    0
    """

    __slots__ = ("_count", "_last", "_ts", "_x", "cap", "capacity", "interval", "n_inputs")

    def __init__(
        self, n_inputs: int, interval: float, cap: float, capacity: int | None = None
    ) -> None:
        if interval <= 0 or cap <= 0:
            raise ValueError("interval and cap must be positive")
        self.n_inputs = n_inputs
        self.interval = float(interval)
        self.cap = float(cap)
        self.capacity = capacity if capacity is not None else int(cap // interval) + 2
        self._ts = np.zeros(self.capacity, dtype=np.float64)
        self._x = np.zeros((self.capacity, n_inputs), dtype=np.float16)
        self._count = 0
        self._last = math.nan

    def __len__(self) -> int:
        """Snapshots currently held."""
        return self._count

    @property
    def last_ts(self) -> float | None:
        """Event time of the newest snapshot taken (kept across clears), or None."""
        return None if math.isnan(self._last) else self._last

    def offer(self, ts: float, x: np.ndarray) -> bool:
        """Store ``x`` as a snapshot at ``ts`` if ``interval`` has passed since the last one.

        Returns True when a snapshot was taken. Readings older than the last snapshot are
        ignored, so replays cannot insert snapshots out of order.
        """
        last = self._last
        if not math.isnan(last) and ts - last < self.interval:
            return False
        if self._count == self.capacity:
            self._drop(1)
        i = self._count
        self._ts[i] = ts
        self._x[i] = x
        self._count = i + 1
        self._last = ts
        return True

    def on_failure(self, failure_ts: float) -> list[Label]:
        """Label every snapshot taken up to ``failure_ts``, then empty the buffer.

        Each label is ``(x, min(failure_ts - ts, cap))``: those within ``cap`` of the failure
        are the positives; older ones still held (when :meth:`expired` was not called) get
        ``cap``, which is their true capped target. Snapshots stamped after the failure belong
        to the repaired asset and are discarded.
        """
        n = self._count
        ts = self._ts[:n]
        keep = ts <= failure_ts
        ttf = np.minimum(failure_ts - ts[keep], self.cap)
        xs = self._x[:n][keep].astype(np.float64)
        self.clear()
        return [(xs[i], float(ttf[i])) for i in range(len(ttf))]

    def expired(self, now_ts: float) -> list[Label]:
        """Pop the snapshots older than ``cap`` at ``now_ts``, labelled with target ``cap``.

        No failure happened within ``cap`` after them (the caller reports failures first), so
        their time to failure is at least ``cap``: right-censored negatives.
        """
        n = self._count
        k = int(np.searchsorted(self._ts[:n], now_ts - self.cap, side="left"))
        if k == 0:
            return []
        xs = self._x[:k].astype(np.float64)
        self._drop(k)
        return [(xs[i], self.cap) for i in range(k)]

    def clear(self) -> None:
        """Forget all snapshots, e.g. after a preventive repair (their outcome is unknown)."""
        self._count = 0

    def _drop(self, k: int) -> None:
        """Remove the ``k`` oldest snapshots."""
        n = self._count
        self._ts[: n - k] = self._ts[k:n]
        self._x[: n - k] = self._x[k:n]
        self._count = n - k

    def to_bytes(self) -> bytes:
        """Serialise compactly: a 36-byte header, float32 time offsets and float16 inputs."""
        n = self._count
        base = float(self._ts[0]) if n else 0.0
        header = _HEADER.pack(self.n_inputs, n, self.interval, self.cap, self._last, base)
        offsets = (self._ts[:n] - base).astype(np.float32)
        return header + offsets.tobytes() + self._x[:n].tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, capacity: int | None = None) -> SnapshotBuffer:
        """Restore a buffer serialised by :meth:`to_bytes`."""
        n_inputs, n, interval, cap, last, base = _HEADER.unpack_from(data)
        buf = cls(n_inputs, interval, cap, capacity)
        if n > buf.capacity:
            raise ValueError(f"{n} snapshots exceed the capacity {buf.capacity}")
        pos = _HEADER.size
        offsets = np.frombuffer(data, dtype=np.float32, count=n, offset=pos)
        pos += 4 * n
        xs = np.frombuffer(data, dtype=np.float16, count=n * n_inputs, offset=pos)
        buf._ts[:n] = base + offsets.astype(np.float64)
        buf._x[:n] = xs.reshape(n, n_inputs)
        buf._count = n
        buf._last = last
        return buf
