"""The fleet's world: depots, customers, service stations, restricted zones, routes and shifts.

Every vehicle belongs to a depot and drives one of two routes on alternating working days
(depot -> 7-9 customers of one sector around the depot -> depot), starting at its own shift
hour, with a lunch stop at a fixed place on the way. Restricted zones are placed away from
every route, so a vehicle only enters one when it leaves its route.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from app.simulator.fleet.network import RoadNetwork
from schemas.vehicle import Geofence

__all__ = ["FleetMap", "RoutePlan", "VehiclePlan", "build_fleet"]


@dataclass(frozen=True)
class RoutePlan:
    """One route: its id, customer stops in order, lunch after ``lunch_after`` stops."""

    route_id: str
    stops: tuple[int, ...]
    lunch_node: int
    lunch_after: int


@dataclass(frozen=True)
class VehiclePlan:
    """One vehicle: depot, routes, shift start hour, working weekdays and driving pace."""

    vehicle_id: str
    depot: int
    routes: tuple[RoutePlan, ...]
    shift_start_h: float
    workdays: frozenset[int]
    speed_kmh: float


@dataclass
class FleetMap:
    """The network and its places."""

    network: RoadNetwork
    depots: list[int]
    customers: list[int]
    services: list[int]
    restricted: list[int]

    def geofences(self) -> list[Geofence]:
        """The geofence records of every place (what dispatch would configure)."""
        out = []
        groups = (
            ("depot", self.depots, 150.0),
            ("customer", self.customers, 100.0),
            ("service", self.services, 100.0),
            ("restricted", self.restricted, 200.0),
        )
        for kind, nodes, radius in groups:
            for i, node in enumerate(nodes):
                lat, lon = self.network.point_latlon(self.network.nodes[node])
                out.append(
                    Geofence(
                        geofence_id=f"{kind}-{i:03d}",
                        kind=kind,  # type: ignore[arg-type]
                        lat=lat,
                        lon=lon,
                        radius_m=radius,
                        name=f"{kind} {i}",
                        max_dwell_s=3600.0 if kind == "customer" else None,
                    )
                )
        return out


def _tour(network: RoadNetwork, depot: int, stops: list[int]) -> list[int]:
    """Order ``stops`` by nearest neighbour from the depot."""
    left = list(stops)
    here = network.nodes[depot]
    out = []
    while left:
        nxt = min(left, key=lambda s: float(np.linalg.norm(network.nodes[s] - here)))
        out.append(nxt)
        left.remove(nxt)
        here = network.nodes[nxt]
    return out


def _route_nodes(network: RoadNetwork, depot: int, stops: tuple[int, ...]) -> list[int]:
    """Every node the route's planned path passes."""
    seq = [depot, *stops, depot]
    nodes: list[int] = []
    for a, b in itertools.pairwise(seq):
        nodes.extend(network.path(a, b))
    return nodes


def build_fleet(
    network: RoadNetwork, rng: np.random.Generator, vehicles: int
) -> tuple[FleetMap, list[VehiclePlan]]:
    """Places, routes and shifts of ``vehicles`` trucks on ``network``."""
    n = len(network.nodes)
    centre = network.nodes.mean(axis=0)
    by_centre = np.argsort(np.linalg.norm(network.nodes - centre, axis=1))
    depots = [int(by_centre[3]), int(by_centre[len(by_centre) // 3])]
    free = [k for k in rng.permutation(n).tolist() if k not in depots]
    customers = free[: int(n * 0.45)]
    services = free[int(n * 0.45) : int(n * 0.45) + 4]
    plans = []
    for v in range(vehicles):
        depot = depots[v % len(depots)]
        home = network.nodes[depot]
        angles = {c: math.atan2(*(network.nodes[c] - home)[::-1]) for c in customers if c != depot}
        routes = []
        for r in range(2):
            sector = rng.uniform(-math.pi, math.pi)
            ranked = sorted(
                angles, key=lambda c: abs(math.remainder(angles[c] - sector, 2 * math.pi))
            )
            k = int(rng.integers(7, 10))
            pool = ranked[: k * 2]
            chosen = [pool[i] for i in sorted(rng.choice(len(pool), size=k, replace=False))]
            stops = tuple(_tour(network, depot, chosen))
            lunch_after = k // 2
            leg = network.path(stops[lunch_after - 1], stops[lunch_after])
            inner = [x for x in leg[1:-1] if x not in customers and x not in services]
            lunch = inner[len(inner) // 2] if inner else stops[lunch_after - 1]
            routes.append(RoutePlan(f"r{v:03d}-{r}", stops, lunch, lunch_after))
        workdays = frozenset(range(6) if rng.random() < 0.3 else range(5))
        plans.append(
            VehiclePlan(
                vehicle_id=f"truck-{v:03d}",
                depot=depot,
                routes=tuple(routes),
                shift_start_h=float(rng.uniform(6.0, 8.5)),
                workdays=workdays,
                speed_kmh=float(rng.uniform(28.0, 38.0)),
            )
        )
    used = set()
    for plan in plans:
        for route in plan.routes:
            used.update(_route_nodes(network, plan.depot, route.stops))
    used_xy = network.nodes[sorted(used)]
    far = [
        k
        for k in rng.permutation(n).tolist()
        if k not in customers
        and k not in depots
        and k not in services
        and float(np.min(np.linalg.norm(used_xy - network.nodes[k], axis=1))) >= 700.0
    ]
    restricted = far[:4]
    if len(restricted) < 2:
        candidates = [k for k in range(n) if k not in depots and k not in services]
        scores = [
            float(np.min(np.linalg.norm(used_xy - network.nodes[k], axis=1))) for k in candidates
        ]
        restricted = [candidates[i] for i in np.argsort(scores)[::-1][:2]]
    return FleetMap(network, depots, customers, services, restricted), plans
