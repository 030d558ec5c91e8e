"""The geofences every fleet worker knows, with a grid index for point lookups.

Geofences come from a compacted topic (key = geofence id, newest record wins, ``active=false``
withdraws one). Every worker reads all of them, so a vehicle on any partition is checked against
every fence. Lookup cost is one dict access plus a distance per fence near the point.
"""

from __future__ import annotations

import math

from agents.fleet.geo import EARTH_M_PER_DEG, cell_of, cell_rowcol, haversine_m, pack_cell
from schemas.vehicle import Geofence

__all__ = ["GeofenceIndex"]

INDEX_CELL_M = 1000.0


class GeofenceIndex:
    """Geofences by id and by ~1 km grid cell."""

    def __init__(self) -> None:
        self._fences: dict[str, Geofence] = {}
        self._cells: dict[int, list[str]] = {}

    def __len__(self) -> int:
        """Active geofences known."""
        return len(self._fences)

    def get(self, geofence_id: str) -> Geofence | None:
        """The geofence ``geofence_id`` if active."""
        return self._fences.get(geofence_id)

    def upsert(self, fence: Geofence) -> None:
        """Add, replace or (``active`` false) withdraw a geofence."""
        self.remove(fence.geofence_id)
        if not fence.active:
            return
        self._fences[fence.geofence_id] = fence
        for key in self._covered_cells(fence):
            self._cells.setdefault(key, []).append(fence.geofence_id)

    def remove(self, geofence_id: str) -> None:
        """Forget a geofence."""
        old = self._fences.pop(geofence_id, None)
        if old is None:
            return
        for key in self._covered_cells(old):
            ids = self._cells.get(key)
            if ids and geofence_id in ids:
                ids.remove(geofence_id)
                if not ids:
                    del self._cells[key]

    def containing(self, lat: float, lon: float) -> list[Geofence]:
        """The geofences whose circle contains the point."""
        ids = self._cells.get(cell_of(lat, lon, INDEX_CELL_M))
        if not ids:
            return []
        fences = self._fences
        return [
            fences[i]
            for i in ids
            if haversine_m(lat, lon, fences[i].lat, fences[i].lon) <= fences[i].radius_m
        ]

    @staticmethod
    def _covered_cells(fence: Geofence) -> list[int]:
        """Index cells overlapping the fence's bounding box.

        Rows are exact (a row is a band of latitude); a cell's column depends on the latitude
        of the point (longitude is scaled by its cosine), so columns keep one cell of margin.
        """
        dlat = fence.radius_m / EARTH_M_PER_DEG
        dlon = dlat / max(math.cos(math.radians(fence.lat)), 0.01)
        r0, c0 = cell_rowcol(fence.lat - dlat, fence.lon - dlon, INDEX_CELL_M)
        r1, _ = cell_rowcol(fence.lat + dlat, fence.lon, INDEX_CELL_M)
        keys: list[int] = []
        for row in range(r0, r1 + 1):
            lat = (row + 0.5) * INDEX_CELL_M / EARTH_M_PER_DEG
            _, lo = cell_rowcol(lat, fence.lon - dlon, INDEX_CELL_M)
            _, hi = cell_rowcol(lat, fence.lon + dlon, INDEX_CELL_M)
            keys.extend(pack_cell(row, col) for col in range(min(lo, c0) - 1, hi + 2))
        return keys
