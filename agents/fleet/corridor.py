"""Per-vehicle learned route corridors: grid cells visited per assigned route.

A corridor is the set of ~200 m cells a vehicle's fixes fell into while driving a route, with a
saturating visit count per cell. A fix is *on* the corridor when a cell within one cell of it
was visited at least ``min_count`` times; the distance off the corridor is found by a ring
search. A route is trusted (``warmed``) once it was driven on ``warmup_days`` distinct days.

Bounded: at most 8 routes per vehicle and ``capacity`` cells in all; past that, rarely visited
cells are pruned and counts halved. Encoded as 5 bytes per cell (row/column offsets from the
route's anchor as int16 and a uint8 count), so a vehicle with two learned routes costs ~3 KB.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from agents.fleet.geo import cell_rowcol, haversine_m, pack_cell, unpack_cell

__all__ = ["Corridor", "RouteCorridor"]

MAX_ROUTES = 8
_ROUTE = struct.Struct("<IHIHii")


class RouteCorridor:
    """The learned cells of one route of one vehicle."""

    __slots__ = ("cells", "days", "last_day", "route_hash")

    def __init__(self, route_hash: int, days: int = 0, last_day: int = -1) -> None:
        self.route_hash = route_hash
        self.days = days
        self.last_day = last_day
        self.cells: dict[int, int] = {}

    def see_day(self, day: int) -> None:
        """Count ``day`` as a day this route was driven (once per day)."""
        if day != self.last_day:
            self.last_day = day
            self.days = min(self.days + 1, 0xFFFF)


class Corridor:
    """The corridors of every route of one vehicle (see the module docstring)."""

    __slots__ = ("capacity", "min_count", "routes")

    def __init__(self, min_count: int = 2, capacity: int = 1200) -> None:
        self.min_count = min_count
        self.capacity = capacity
        self.routes: list[RouteCorridor] = []

    def route(self, route_hash: int, create: bool = True) -> RouteCorridor | None:
        """The corridor of ``route_hash`` (created, evicting the stalest route, if asked)."""
        for rc in self.routes:
            if rc.route_hash == route_hash:
                return rc
        if not create:
            return None
        if len(self.routes) >= MAX_ROUTES:
            self.routes.remove(min(self.routes, key=lambda r: r.last_day))
        rc = RouteCorridor(route_hash)
        self.routes.append(rc)
        return rc

    def learn(self, rc: RouteCorridor, row: int, col: int) -> None:
        """Count one fix of ``rc`` in cell (row, col); prune when over capacity."""
        key = pack_cell(row, col)
        count = rc.cells.get(key, 0)
        rc.cells[key] = min(count + 1, 255)
        if count == 0 and self.size() > self.capacity:
            self._prune()

    def learn_segment(
        self,
        rc: RouteCorridor,
        start: tuple[float, float] | None,
        end: tuple[float, float],
        cell_m: float,
    ) -> None:
        """Count every cell along the straight drive from ``start`` to ``end`` once.

        Fixes a minute apart are ~500 m apart at urban speed, so the cells between them are
        rasterised; the start cell was counted with the previous segment and is skipped.
        """
        end_cell = cell_rowcol(end[0], end[1], cell_m)
        if start is None:
            self.learn(rc, *end_cell)
            return
        start_cell = cell_rowcol(start[0], start[1], cell_m)
        length = haversine_m(start[0], start[1], end[0], end[1])
        steps = max(1, math.ceil(length / (cell_m / 2.0)))
        seen = {start_cell}
        for k in range(1, steps + 1):
            f = k / steps
            cell = cell_rowcol(
                start[0] + (end[0] - start[0]) * f, start[1] + (end[1] - start[1]) * f, cell_m
            )
            if cell not in seen:
                seen.add(cell)
                self.learn(rc, *cell)

    def size(self) -> int:
        """Cells held over all routes."""
        return sum(len(rc.cells) for rc in self.routes)

    def _prune(self) -> None:
        """Drop single-visit cells of the biggest route, else halve every count."""
        biggest = max(self.routes, key=lambda r: len(r.cells))
        rare = [k for k, c in biggest.cells.items() if c <= 1]
        if rare:
            for key in rare:
                del biggest.cells[key]
            return
        for rc in self.routes:
            rc.cells = {k: c // 2 for k, c in rc.cells.items() if c >= 2}

    def near(self, rc: RouteCorridor, row: int, col: int) -> bool:
        """Whether a cell within one cell of (row, col) is part of ``rc``'s corridor."""
        cells = rc.cells
        need = self.min_count
        base = pack_cell(row, col)
        step = pack_cell(row + 1, col) - base  # one row, in packed-key units
        for dr in (-step, 0, step):
            centre = base + dr
            if (
                cells.get(centre - 1, 0) >= need
                or cells.get(centre, 0) >= need
                or cells.get(centre + 1, 0) >= need
            ):
                return True
        return False

    def near_any(self, row: int, col: int, warmed_days: int) -> bool:
        """Whether (row, col) is on the corridor of any route driven ``warmed_days`` days."""
        return any(self.near(rc, row, col) for rc in self.routes if rc.days >= warmed_days)

    def distance_cells(self, rc: RouteCorridor | None, row: int, col: int, max_r: int = 25) -> int:
        """Chebyshev distance in cells to the nearest corridor cell (``max_r`` when none).

        ``rc`` None searches every route's corridor.
        """
        routes = self.routes if rc is None else [rc]
        need = self.min_count
        for r in range(0, max_r):
            for rc_ in routes:
                cells = rc_.cells
                for dr in range(-r, r + 1):
                    edge = abs(dr) == r
                    for dc in range(-r, r + 1) if edge else (-r, r):
                        if cells.get(pack_cell(row + dr, col + dc), 0) >= need:
                            return r
        return max_r

    def to_bytes(self) -> bytes:
        """Encode every route's cells (5 bytes per cell)."""
        parts = [struct.pack("<B", len(self.routes))]
        for rc in self.routes:
            keys = list(rc.cells)
            n = len(keys)
            if n:
                rows_cols = np.array([unpack_cell(k) for k in keys], dtype=np.int64)
                anchor = rows_cols.min(axis=0)
                rel = np.clip(rows_cols - anchor, 0, 0xFFFF).astype("<u2")
                counts = np.fromiter(rc.cells.values(), dtype=np.uint8, count=n)
            else:
                anchor = np.zeros(2, dtype=np.int64)
                rel = np.zeros((0, 2), dtype="<u2")
                counts = np.zeros(0, dtype=np.uint8)
            parts.append(
                _ROUTE.pack(
                    rc.route_hash,
                    rc.days,
                    rc.last_day & 0xFFFFFFFF,
                    n,
                    int(anchor[0]),
                    int(anchor[1]),
                )
            )
            parts.append(rel[:, 0].tobytes() + rel[:, 1].tobytes() + counts.tobytes())
        return b"".join(parts)

    @classmethod
    def from_bytes(
        cls, data: bytes, offset: int, min_count: int, capacity: int
    ) -> tuple[Corridor, int]:
        """Decode a corridor starting at ``offset``; return it and the offset after it."""
        corridor = cls(min_count, capacity)
        (n_routes,) = struct.unpack_from("<B", data, offset)
        offset += 1
        for _ in range(n_routes):
            route_hash, days, last_day, n, row0, col0 = _ROUTE.unpack_from(data, offset)
            offset += _ROUTE.size
            rows = np.frombuffer(data, dtype="<u2", count=n, offset=offset)
            cols = np.frombuffer(data, dtype="<u2", count=n, offset=offset + 2 * n)
            counts = np.frombuffer(data, dtype=np.uint8, count=n, offset=offset + 4 * n)
            offset += 5 * n
            rc = RouteCorridor(route_hash, days, last_day if last_day != 0xFFFFFFFF else -1)
            rc.cells = {
                pack_cell(row0 + int(r), col0 + int(c)): int(k)
                for r, c, k in zip(rows, cols, counts, strict=True)
            }
            corridor.routes.append(rc)
        return corridor, offset
