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
    "neighbourhood",
    "pack_cell",
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


def pack_cell(row: int, col: int) -> int:
    """Pack a (row, column) pair into one non-negative integer key."""
    return ((row + _OFFSET) << _SHIFT) | (col + _OFFSET)


def cell_of(lat: float, lon: float, size_m: float) -> int:
    """The packed key of the cell of side ``size_m`` containing the point."""
    row, col = cell_rowcol(lat, lon, size_m)
    return pack_cell(row, col)


def neighbourhood(row: int, col: int, radius: int) -> list[int]:
    """Packed keys of the cells within Chebyshev distance ``radius`` of (row, column)."""
    return [
        pack_cell(row + dr, col + dc)
        for dr in range(-radius, radius + 1)
        for dc in range(-radius, radius + 1)
    ]
