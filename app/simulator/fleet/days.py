"""One vehicle-day of movement: drives and dwells, with injected episodes and variations.

A day is a list of :class:`Segment` (drive along a road polyline, or dwell at a point) built
from the vehicle's plan and the day's :class:`Injection`, if any. Legitimate variations are
always present: start time and pace jitter, dwell times, a skipped customer now and then.
Traffic blocks (road, time window) make every leg that would use a blocked road take the
shortest way around it, more slowly.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from app.simulator.fleet.network import Edge, RoadNetwork
from app.simulator.fleet.plans import FleetMap, VehiclePlan

__all__ = ["Block", "DayPlan", "Injection", "Segment", "Window", "build_day"]

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Block:
    """A road closed for a time window (traffic)."""

    edge: Edge
    t0: float
    t1: float


@dataclass(frozen=True, slots=True)
class Injection:
    """What happens to a vehicle on a day beyond its routine.

    ``kind``: off_hours, unusual_place, restricted, long_stop (unauthorized), extra_customer,
    service_stop, depot_return, skip_customer (normal), late_shift (a legitimate shift starting
    hours late: no episode, but driving at hours the vehicle does not usually drive) or none.
    """

    kind: str
    label: str
    target: int = -1
    at_stop: int = 1
    dwell_s: float = 0.0
    start_h: float = 22.0


@dataclass(slots=True)
class Segment:
    """A drive along ``pts`` or a dwell at ``pts[0]`` between ``t0`` and ``t1``."""

    kind: str
    t0: float
    t1: float
    pts: np.ndarray
    speed_kmh: float
    ignition: bool
    route_id: str | None
    shift_id: str | None
    edges: list[Edge] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Window:
    """Where the ground truth of an episode is to be looked for, and its class."""

    kind: str
    label: str
    t0: float
    t1: float
    geometric: bool
    causes: tuple[Edge, ...] = ()


@dataclass
class DayPlan:
    """A vehicle-day: its segments, the planned path (for ground truth) and episode windows."""

    segments: list[Segment]
    planned: np.ndarray
    windows: list[Window]
    end_ts: float


class _Builder:
    """Accumulates segments along the day's clock."""

    def __init__(
        self, network: RoadNetwork, blocks: list[Block], speed: float, closed: frozenset[int]
    ) -> None:
        self.network = network
        self.closed = closed
        self.blocks = blocks
        self.speed = speed
        self.segments: list[Segment] = []
        self.rerouted: list[tuple[float, float, tuple[Edge, ...]]] = []

    def dwell(
        self,
        t: float,
        until: float,
        node_xy: np.ndarray,
        ignition: bool,
        route: str | None,
        shift: str | None,
    ) -> float:
        if until > t:
            self.segments.append(
                Segment("dwell", t, until, node_xy.reshape(1, 2), 0.0, ignition, route, shift)
            )
        return max(t, until)

    def drive(
        self,
        t: float,
        a: int,
        b: int,
        route: str | None,
        shift: str | None,
        speed_factor: float = 1.0,
    ) -> float:
        if a == b:
            return t
        network = self.network
        avoid = {(min(n, m), max(n, m)) for n in self.closed - {a, b} for m in network.adjacency[n]}
        try:
            path = network.path(a, b, avoid)
        except ValueError:  # only reachable through a closed zone
            avoid = set()
            path = network.path(a, b)
        speed = self.speed * speed_factor
        length = sum(network.lengths[e] for e in network.edges_of(path))
        t_end = t + length / (speed / 3.6)
        active = {
            blk.edge
            for blk in self.blocks
            if blk.t0 <= t_end and blk.t1 >= t and blk.edge in set(network.edges_of(path))
        }
        if active:
            try:
                path = network.path(a, b, active | avoid)
            except ValueError:
                active = set()
            else:
                speed *= 0.7
                length = sum(network.lengths[e] for e in network.edges_of(path))
                t_end = t + length / (speed / 3.6)
                self.rerouted.append((t, t_end, tuple(sorted(active))))
        pts = network.polyline(path)
        self.segments.append(
            Segment("drive", t, t_end, pts, speed, True, route, shift, network.edges_of(path))
        )
        return t_end

    def split_last(
        self, dwell_s: float, route: str | None, shift: str | None, places: np.ndarray
    ) -> Window:
        """Stop part-way along the last drive for ``dwell_s`` (an unplanned stop), at the
        first of a few candidate points that is away from every known place (``places``)."""
        last = self.segments.pop()
        pts = last.pts
        cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
        for share in (0.5, 0.3, 0.7, 0.15, 0.85):
            at = cum[-1] * share
            k = max(int(np.searchsorted(cum, at)), 1)
            f = (at - cum[k - 1]) / max(cum[k] - cum[k - 1], 1e-9)
            mid = pts[k - 1] + f * (pts[k] - pts[k - 1])
            if np.linalg.norm(places - mid, axis=1).min() >= 250.0:
                break
        t_mid = last.t0 + (last.t1 - last.t0) * share
        first = np.vstack([pts[:k], mid])
        second = np.vstack([mid, pts[k:]])
        self.segments.append(
            Segment("drive", last.t0, t_mid, first, last.speed_kmh, True, route, shift, last.edges)
        )
        self.segments.append(
            Segment("dwell", t_mid, t_mid + dwell_s, mid.reshape(1, 2), 0.0, False, route, shift)
        )
        self.segments.append(
            Segment(
                "drive",
                t_mid + dwell_s,
                last.t1 + dwell_s,
                second,
                last.speed_kmh,
                True,
                route,
                shift,
                last.edges,
            )
        )
        return Window("long_stop", "unauthorized", t_mid, t_mid + dwell_s, False)


def build_day(
    fmap: FleetMap,
    plan: VehiclePlan,
    day0: float,
    start_free: float,
    weekday: int,
    day_index: int,
    injection: Injection,
    blocks: list[Block],
    rng: np.random.Generator,
) -> DayPlan:
    """The segments of ``plan``'s vehicle on the day starting at ``day0``."""
    network = fmap.network
    depot_xy = network.nodes[plan.depot]
    pace = plan.speed_kmh * float(rng.uniform(0.92, 1.08))
    b = _Builder(network, blocks, pace, frozenset(fmap.restricted))
    places = network.nodes[fmap.customers + fmap.services + fmap.depots + fmap.restricted]
    windows: list[Window] = []
    t = start_free
    working = weekday in plan.workdays
    planned = np.zeros((0, 2))
    if working:
        route = plan.routes[day_index % len(plan.routes)]
        rid = route.route_id
        shift = f"s-{plan.vehicle_id}-{day_index}"
        depart = day0 + plan.shift_start_h * 3600.0 + float(rng.normal(0.0, 600.0))
        if injection.kind == "late_shift":
            depart += injection.dwell_s
        t = b.dwell(t, depart, depot_xy, False, None, None)
        stops = list(route.stops)
        planned_seq = [plan.depot, *stops, plan.depot]
        planned = np.vstack(
            [network.polyline(network.path(x, y)) for x, y in itertools.pairwise(planned_seq)]
        )
        dwell_draws = rng.uniform(8 * 60.0, 25 * 60.0, size=len(stops))
        lunch_s = float(rng.uniform(28 * 60.0, 40 * 60.0))
        skip = -1
        if injection.kind == "skip_customer":
            skip = injection.at_stop
        here = plan.depot
        for i, stop in enumerate(stops):
            if i == skip:
                continue
            if i == route.lunch_after:
                t = b.drive(t, here, route.lunch_node, rid, shift)
                here = route.lunch_node
                t = b.dwell(t, t + lunch_s, network.nodes[here], False, rid, shift)
            if i == injection.at_stop and injection.kind in (
                "unusual_place",
                "restricted",
                "extra_customer",
                "service_stop",
                "depot_return",
            ):
                w0 = t
                t = b.drive(t, here, injection.target, rid, shift)
                t = b.dwell(
                    t,
                    t + injection.dwell_s,
                    network.nodes[injection.target],
                    injection.kind == "restricted",
                    rid,
                    shift,
                )
                here = injection.target
                t_next = b.drive(t, here, stop, rid, shift)
                windows.append(Window(injection.kind, injection.label, w0, t_next, True))
                t = t_next
            elif injection.kind == "skip_customer" and i == skip + 1:
                w0 = t
                t = b.drive(t, here, stop, rid, shift)
                windows.append(Window(injection.kind, injection.label, w0, t, True))
            elif injection.kind == "long_stop" and i == injection.at_stop and here != stop:
                b.drive(t, here, stop, rid, shift)
                windows.append(b.split_last(injection.dwell_s, rid, shift, places))
                t = b.segments[-1].t1
            else:
                t = b.drive(t, here, stop, rid, shift)
            here = stop
            t = b.dwell(t, t + float(dwell_draws[i]), network.nodes[here], False, rid, shift)
        t = b.drive(t, here, plan.depot, rid, shift)
        injected = list(windows)
        for r0, r1, causes in b.rerouted:
            if not any(w.t0 <= r1 and r0 <= w.t1 for w in injected):
                windows.append(Window("traffic_detour", "traffic_detour", r0, r1, True, causes))
    if injection.kind == "off_hours":
        start = max(t + 3600.0, day0 + injection.start_h * 3600.0)
        t = b.dwell(t, start, depot_xy, False, None, None)
        w0 = t
        t = b.drive(t, plan.depot, injection.target, None, None)
        t = b.dwell(t, t + injection.dwell_s, network.nodes[injection.target], False, None, None)
        t = b.drive(t, injection.target, plan.depot, None, None)
        windows.append(Window("off_hours", "unauthorized", w0, t, False))
    end = max(t, day0 + DAY)
    b.dwell(t, end, depot_xy, False, None, None)
    return DayPlan(b.segments, planned, windows, end)
