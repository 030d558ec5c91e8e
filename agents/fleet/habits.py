"""Per-vehicle habits learned online: driving hours of the day and usual stop places.

* :class:`HourActivity`: moving fixes per hour of the day (24 saturating uint16 counters,
  all halved when one saturates). An hour is *usual* when it or a neighbouring hour has a
  meaningful share of the vehicle's driving.
* :class:`StopPlaces`: up to 16 places (cells) where the vehicle stops outside known
  geofences - lunch spots, a regular fuel station - with how many days it stopped there.
"""

from __future__ import annotations

import struct

import numpy as np

from agents.fleet.geo import pack_cell

__all__ = ["HourActivity", "StopPlaces"]

_PLACE = struct.Struct("<QHi")
MAX_PLACES = 16


class HourActivity:
    """Driving activity per hour of the day (see the module docstring)."""

    __slots__ = ("counts",)

    SIZE = 48

    def __init__(self, counts: np.ndarray | None = None) -> None:
        self.counts = np.zeros(24, dtype=np.int64) if counts is None else counts

    def learn(self, hour: int) -> None:
        """Count one moving fix in ``hour`` (0..23)."""
        counts = self.counts
        counts[hour] += 1
        if counts[hour] >= 0xFFFF:
            counts //= 2

    def usual(self, hour: int, min_share: float = 0.01) -> bool:
        """Whether ``hour`` or an adjacent hour holds at least ``min_share`` of the driving."""
        counts = self.counts
        total = int(counts.sum())
        if total == 0:
            return True
        floor = max(min_share * total, 3.0)
        return any(counts[(hour + d) % 24] >= floor for d in (-1, 0, 1))

    def to_bytes(self) -> bytes:
        """24 little-endian uint16 counters."""
        return np.clip(self.counts, 0, 0xFFFF).astype("<u2").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, offset: int) -> tuple[HourActivity, int]:
        """Decode from ``offset``; return the activity and the offset after it."""
        counts = np.frombuffer(data, dtype="<u2", count=24, offset=offset).astype(np.int64)
        return cls(counts), offset + cls.SIZE


class StopPlaces:
    """Usual stop places of one vehicle (see the module docstring)."""

    __slots__ = ("places",)

    def __init__(self) -> None:
        self.places: list[list[int]] = []  # [cell key, days, last day]

    def learn(self, row: int, col: int, day: int) -> None:
        """Record a stop in cell (row, col) on ``day`` (counted once per day)."""
        key = pack_cell(row, col)
        for place in self.places:
            if place[0] == key:
                if place[2] != day:
                    place[1] = min(place[1] + 1, 0xFFFF)
                    place[2] = day
                return
        if len(self.places) >= MAX_PLACES:
            self.places.remove(min(self.places, key=lambda p: (p[1], p[2])))
        self.places.append([key, 1, day])

    def usual(self, row: int, col: int, min_days: int = 2) -> bool:
        """Whether the vehicle stopped within one cell of (row, col) on ``min_days`` days."""
        wanted = {pack_cell(row + dr, col + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)}
        return any(p[0] in wanted and p[1] >= min_days for p in self.places)

    def to_bytes(self) -> bytes:
        """Count byte then 14 bytes per place."""
        return bytes([len(self.places)]) + b"".join(_PLACE.pack(*p) for p in self.places)

    @classmethod
    def from_bytes(cls, data: bytes, offset: int) -> tuple[StopPlaces, int]:
        """Decode from ``offset``; return the places and the offset after it."""
        places = cls()
        n = data[offset]
        offset += 1
        for _ in range(n):
            places.places.append(list(_PLACE.unpack_from(data, offset)))
            offset += _PLACE.size
        return places, offset
