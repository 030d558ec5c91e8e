"""A road-like network: a jittered street grid with gently curved roads and a few gaps.

Coordinates are local metres (x east, y north) around an origin; :meth:`RoadNetwork.to_latlon`
converts to WGS84. Shortest paths (Dijkstra on road length) can avoid blocked roads, which is
how traffic detours are simulated.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Edge", "RoadNetwork", "build_network"]

M_PER_DEG = 111_320.0

Edge = tuple[int, int]
"""An undirected road between two nodes, smaller node first."""


def edge(a: int, b: int) -> Edge:
    """The undirected edge key of nodes ``a`` and ``b``."""
    return (a, b) if a < b else (b, a)


@dataclass
class RoadNetwork:
    """Nodes (local metres), adjacency and road polylines."""

    lat0: float
    lon0: float
    nodes: np.ndarray
    adjacency: dict[int, list[int]]
    shapes: dict[Edge, np.ndarray]
    lengths: dict[Edge, float]
    _paths: dict[tuple[int, int, frozenset[Edge]], list[int]] = field(default_factory=dict)

    def to_latlon(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 latitudes and longitudes of local points ``xy`` (n x 2)."""
        lat = self.lat0 + xy[:, 1] / M_PER_DEG
        lon = self.lon0 + xy[:, 0] / (M_PER_DEG * math.cos(math.radians(self.lat0)))
        return lat, lon

    def point_latlon(self, xy: np.ndarray) -> tuple[float, float]:
        """WGS84 position of one local point."""
        lat, lon = self.to_latlon(xy.reshape(1, 2))
        return float(lat[0]), float(lon[0])

    def path(self, a: int, b: int, blocked: Iterable[Edge] = ()) -> list[int]:
        """Node sequence of the shortest road path from ``a`` to ``b`` avoiding ``blocked``."""
        avoid = frozenset(blocked)
        key = (a, b, avoid)
        cached = self._paths.get(key)
        if cached is not None:
            return cached
        dist = {a: 0.0}
        prev: dict[int, int] = {}
        heap = [(0.0, a)]
        while heap:
            d, u = heapq.heappop(heap)
            if u == b:
                break
            if d > dist.get(u, math.inf):
                continue
            for v in self.adjacency[u]:
                e = edge(u, v)
                if e in avoid:
                    continue
                nd = d + self.lengths[e]
                if nd < dist.get(v, math.inf):
                    dist[v] = nd
                    prev[v] = u
                    heapq.heappush(heap, (nd, v))
        if b not in dist:
            raise ValueError(f"no road from {a} to {b}")
        out = [b]
        while out[-1] != a:
            out.append(prev[out[-1]])
        out.reverse()
        self._paths[key] = out
        return out

    def polyline(self, path: list[int]) -> np.ndarray:
        """The road geometry (n x 2 local metres) along a node path."""
        if len(path) == 1:
            return self.nodes[path[0]].reshape(1, 2).copy()
        parts = []
        for u, v in itertools.pairwise(path):
            shape = self.shapes[edge(u, v)]
            parts.append(shape if u < v else shape[::-1])
        pts = np.vstack([parts[0]] + [p[1:] for p in parts[1:]])
        return np.asarray(pts)

    def edges_of(self, path: list[int]) -> list[Edge]:
        """The edges a node path drives over."""
        return [edge(u, v) for u, v in itertools.pairwise(path)]


def _connected(n: int, adjacency: dict[int, list[int]]) -> bool:
    seen = {0}
    todo = [0]
    while todo:
        u = todo.pop()
        for v in adjacency[u]:
            if v not in seen:
                seen.add(v)
                todo.append(v)
    return len(seen) == n


def build_network(
    rng: np.random.Generator,
    size: int = 16,
    spacing_m: float = 800.0,
    lat0: float = 45.05,
    lon0: float = 7.65,
    gap_share: float = 0.08,
) -> RoadNetwork:
    """A ``size`` x ``size`` jittered grid of streets ``spacing_m`` apart with a few gaps."""
    n = size * size
    ii, jj = np.divmod(np.arange(n), size)
    nodes = np.column_stack([jj * spacing_m, ii * spacing_m]).astype(np.float64)
    nodes += rng.normal(0.0, spacing_m * 0.08, size=nodes.shape)
    candidates = []
    for k in range(n):
        i, j = divmod(k, size)
        if j + 1 < size:
            candidates.append((k, k + 1))
        if i + 1 < size:
            candidates.append((k, k + size))
    adjacency: dict[int, list[int]] = {k: [] for k in range(n)}
    for a, b in candidates:
        adjacency[a].append(b)
        adjacency[b].append(a)
    for idx in rng.permutation(len(candidates))[: int(gap_share * len(candidates))]:
        a, b = candidates[idx]
        adjacency[a].remove(b)
        adjacency[b].remove(a)
        if not _connected(n, adjacency):
            adjacency[a].append(b)
            adjacency[b].append(a)
    shapes: dict[Edge, np.ndarray] = {}
    lengths: dict[Edge, float] = {}
    for a in range(n):
        for b in adjacency[a]:
            if b < a:
                continue
            pa, pb = nodes[a], nodes[b]
            direction = pb - pa
            normal = np.array([-direction[1], direction[0]]) / max(np.linalg.norm(direction), 1.0)
            bend = rng.normal(0.0, 25.0)
            mids = [
                pa + direction * f + normal * bend * math.sin(math.pi * f) for f in (1 / 3, 2 / 3)
            ]
            shape = np.vstack([pa, *mids, pb])
            shapes[(a, b)] = shape
            lengths[(a, b)] = float(np.linalg.norm(np.diff(shape, axis=0), axis=1).sum())
    return RoadNetwork(lat0, lon0, nodes, adjacency, shapes, lengths)
