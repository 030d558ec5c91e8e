"""The vehicle's home depot, learned online, and its short stops there during a shift.

A truck that drives back to its own depot in the middle of a shift (to load, swap a trailer,
...) leaves its route and comes back to it further on without stopping anywhere else: the trip
looks like a detour, and near a real traffic block another vehicle's detour would turn it into
one. What tells it apart is the depot: the vehicle parks (ignition off) at the depot where it
spends its nights and drives off again soon after. The home depot is learned from the parks
that last :data:`OVERNIGHT_S` or more; only stops there count, since trucks also call at other
depots during a shift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["OVERNIGHT_S", "SHORT_STOP_S", "HomeDepot"]

OVERNIGHT_S = 4 * 3600.0
"""A park at a depot this long makes it the vehicle's home depot."""

SHORT_STOP_S = 2 * 3600.0
"""A park at the home depot shorter than this is a stop during the shift."""


@dataclass(slots=True)
class HomeDepot:
    """Home depot and the park in progress (a few dozen bytes of vehicle state)."""

    home: str | None = None
    park_id: str | None = None
    park_start: float = 0.0
    left_ts: float | None = None

    def observe(self, ts: float, ignition: bool, depots: Sequence[str]) -> float | None:
        """Follow one fix; ``depots`` are the depot geofences containing it.

        Returns the start of a short stop at the home depot that this fix ends (the vehicle
        drives off again), else None; :attr:`left_ts` then holds the time it left.
        """
        if not ignition and depots:
            here = self.park_id if self.park_id in depots else depots[0]
            if here != self.park_id:
                self.park_id, self.park_start = here, ts
            if ts - self.park_start >= OVERNIGHT_S:
                self.home = here
            return None
        if self.park_id is None:
            return None
        parked, start = self.park_id, self.park_start
        self.park_id = None
        if parked == self.home and ts - start < SHORT_STOP_S:
            self.left_ts = ts
            return start
        return None

    def parked_at_home(self) -> bool:
        """Whether the vehicle is parked at its (known) home depot now."""
        return self.home is not None and self.park_id == self.home

    def left_recently(self, ts: float, within_s: float) -> bool:
        """Whether the vehicle drove off after a short home stop at most ``within_s`` before."""
        return self.left_ts is not None and 0.0 <= ts - self.left_ts <= within_s

    def to_list(self) -> list[Any]:
        """Plain data for the state codec."""
        return [self.home, self.park_id, self.park_start, self.left_ts]

    @classmethod
    def from_list(cls, data: Sequence[Any] | None) -> HomeDepot:
        """Rebuild from :meth:`to_list` output (a fresh one for ``None``)."""
        if not data:
            return cls()
        home, park_id, park_start, left_ts = data
        return cls(
            None if home is None else str(home),
            None if park_id is None else str(park_id),
            float(park_start),
            None if left_ts is None else float(left_ts),
        )
