"""Small geodesy for fleet logic: distances, a local metric frame and grid cells.

Cells are squares of about ``size_m`` metres on a lat/lon grid whose column width is scaled by
the cosine of the row's latitude, so a cell is roughly square anywhere but near the poles.
A cell key packs (row, column) into one non-negative integer so sets and hashes stay cheap.
"""

from __future__ import annotations

import math

__all__ = [
    "EARTH_M_PER_DEG",
    "cell_of",
    "cell_rowcol",
    "haversine_m",
    "pack_cell",
    "segment_distance_m",
    "unpack_cell",
]

EARTH_M_PER_DEG = 111_320.0
"""Metres per degree of latitude (and of longitude at the equator)."""

_OFFSET = 1 << 22  # rows and columns are shifted positive before packing
_SHIFT = 24


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(a)))


def cell_rowcol(lat: float, lon: float, size_m: float) -> tuple[int, int]:
    """Row and column of the cell of side ``size_m`` containing the point."""
    row = math.floor(lat * EARTH_M_PER_DEG / size_m)
    row_lat = (row + 0.5) * size_m / EARTH_M_PER_DEG
    scale = max(math.cos(math.radians(row_lat)), 0.01)
    col = math.floor(lon * EARTH_M_PER_DEG * scale / size_m)
    return row, col


def unpack_cell(key: int) -> tuple[int, int]:
    """Row and column of a key made by :func:`pack_cell`."""
    return (key >> _SHIFT) - _OFFSET, (key & ((1 << _SHIFT) - 1)) - _OFFSET


def pack_cell(row: int, col: int) -> int:
    """Pack a (row, column) pair into one non-negative integer key."""
    return ((row + _OFFSET) << _SHIFT) | (col + _OFFSET)


def cell_of(lat: float, lon: float, size_m: float) -> int:
    """The packed key of the cell of side ``size_m`` containing the point."""
    row, col = cell_rowcol(lat, lon, size_m)
    return pack_cell(row, col)


def _seg_point(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """Planar distance from point p to segment ab."""
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    u = 0.0 if length2 <= 0.0 else min(1.0, max(0.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + u * dx), py - (ay + u * dy))


def segment_distance_m(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> float:
    """Metres between two short segments ``(lat1, lon1, lat2, lon2)`` (0 when they cross).

    Uses a local equirectangular frame around the first point: exact enough for the few
    kilometres of a skipped stretch of route.
    """
    lat0, lon0 = a[0], a[1]
    kx = EARTH_M_PER_DEG * max(math.cos(math.radians(lat0)), 0.01)
    ky = EARTH_M_PER_DEG
    ax1, ay1 = 0.0, 0.0
    ax2, ay2 = (a[3] - lon0) * kx, (a[2] - lat0) * ky
    bx1, by1 = (b[1] - lon0) * kx, (b[0] - lat0) * ky
    bx2, by2 = (b[3] - lon0) * kx, (b[2] - lat0) * ky

    def side(px: float, py: float, qx: float, qy: float, rx: float, ry: float) -> float:
        return (qx - px) * (ry - py) - (qy - py) * (rx - px)

    d1 = side(ax1, ay1, ax2, ay2, bx1, by1)
    d2 = side(ax1, ay1, ax2, ay2, bx2, by2)
    d3 = side(bx1, by1, bx2, by2, ax1, ay1)
    d4 = side(bx1, by1, bx2, by2, ax2, ay2)
    if d1 * d2 < 0 and d3 * d4 < 0:
        return 0.0
    return min(
        _seg_point(ax1, ay1, bx1, by1, bx2, by2),
        _seg_point(ax2, ay2, bx1, by1, bx2, by2),
        _seg_point(bx1, by1, ax1, ay1, ax2, ay2),
        _seg_point(bx2, by2, ax1, ay1, ax2, ay2),
    )
