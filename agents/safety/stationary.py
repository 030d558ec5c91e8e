"""Whether a worker is stationary, where, and since when - robust to positioning noise.

A window with at most one step is a still candidate. The first one after movement anchors
the worker at its position and dates the stop to the window's start (the worker took no step
during the whole window, so they stopped at or before it: the dwell is never over-estimated).
Later still windows keep the worker stationary while they stay within ``still_radius_m`` of the
anchor, which follows the mean of the still positions (positioning noise averages out); one
isolated position jump without steps (multipath) is ignored, two in a row re-anchor the
worker (e.g. carried by a hoist). A window with steps ends the stationary spell.

The state is a fixed 46-byte struct.
"""

from __future__ import annotations

import math
import struct

from schemas.wearable import WearableTelemetry

__all__ = ["StationaryTracker"]

_FORMAT = struct.Struct("<BBdddddI")
_MAX_ANCHOR_N = 30


class StationaryTracker:
    """Stationary spell of one worker (see the module docstring)."""

    __slots__ = ("anchor_n", "anchor_x", "anchor_y", "jumped", "since", "stationary", "x", "y")

    SIZE = _FORMAT.size

    def __init__(self) -> None:
        self.stationary = False
        self.jumped = False
        self.since = math.nan
        self.anchor_x = math.nan
        self.anchor_y = math.nan
        self.anchor_n = 0
        self.x = math.nan
        self.y = math.nan

    def position(self) -> tuple[float, float]:
        """The worker's best position: the anchor while stationary, else the last reading."""
        if self.stationary:
            return self.anchor_x, self.anchor_y
        return self.x, self.y

    def dwell(self, ts: float) -> float:
        """Seconds stationary at ``ts`` (0 while moving)."""
        return max(ts - self.since, 0.0) if self.stationary else 0.0

    def update(self, reading: WearableTelemetry, radius_m: float) -> bool:
        """Advance with one window; return whether the worker's state or spell changed."""
        self.x, self.y = reading.x_m, reading.y_m
        if reading.steps > 1:
            changed = self.stationary
            self.stationary = False
            self.jumped = False
            self.since = math.nan
            return changed
        if not self.stationary:
            self._anchor(reading, reading.ts - reading.window_s)
            return True
        distance = math.hypot(reading.x_m - self.anchor_x, reading.y_m - self.anchor_y)
        if distance <= radius_m:
            self.jumped = False
            n = min(self.anchor_n + 1, _MAX_ANCHOR_N)
            self.anchor_x += (reading.x_m - self.anchor_x) / n
            self.anchor_y += (reading.y_m - self.anchor_y) / n
            self.anchor_n = n
            return False
        if not self.jumped:
            self.jumped = True
            return False
        self._anchor(reading, reading.ts)
        return True

    def _anchor(self, reading: WearableTelemetry, since: float) -> None:
        self.stationary = True
        self.jumped = False
        self.since = since
        self.anchor_x, self.anchor_y, self.anchor_n = reading.x_m, reading.y_m, 1

    def to_bytes(self) -> bytes:
        """Fixed-size binary form."""
        return _FORMAT.pack(
            int(self.stationary),
            int(self.jumped),
            self.since,
            self.anchor_x,
            self.anchor_y,
            self.x,
            self.y,
            self.anchor_n,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> StationaryTracker:
        """Rebuild from :meth:`to_bytes` output; ``ValueError`` if malformed."""
        if len(data) != _FORMAT.size:
            raise ValueError(f"StationaryTracker needs {_FORMAT.size} bytes, got {len(data)}")
        stationary, jumped, since, ax, ay, x, y, n = _FORMAT.unpack(data)
        tracker = cls()
        tracker.stationary, tracker.jumped = bool(stationary), bool(jumped)
        tracker.since, tracker.anchor_x, tracker.anchor_y, tracker.anchor_n = since, ax, ay, n
        tracker.x, tracker.y = x, y
        return tracker
