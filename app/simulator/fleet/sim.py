"""The fleet simulation: GPS fixes, ground truth and dispatcher verdicts, one day at a time.

Deterministic for a seed: every vehicle-day draws from its own generator seeded with
(seed, vehicle, day), so rebuilding a day with traffic blocks changes the roads taken and
nothing else. Traffic blocks are chosen where at least three vehicles are due to drive the same
road within two hours, and kept only where at least two of them really leave their route to get
around it, so a detour episode is genuinely shared by several vehicles.

Ground truth: an episode is labelled where an injected event or a detour happened - for the
route-shaped ones (detours, visits, skipped customers) only where the vehicle really went more
than ``OFF_ROUTE_M`` off its planned path (a variation that stays on the route is no episode).
No episode is injected before a vehicle has worked ``warmup_days`` days and driven each of its
routes twice (the engine is learning its habits then).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from app.simulator.fleet.days import DAY, Block, DayPlan, Injection, Segment, build_day
from app.simulator.fleet.network import Edge, build_network
from app.simulator.fleet.plans import FleetMap, VehiclePlan, build_fleet
from schemas.groundtruth import GroundTruthEvent
from schemas.vehicle import DispatcherVerdict, Geofence, VehicleTelemetry

__all__ = ["DayOutput", "FleetSimulation", "point_polyline_distance"]

OFF_ROUTE_M = 500.0
ROUTE_WARMUP_DAYS = 2
OFF_EDGE_M = 250.0
GPS_SIGMA_M = 8.0
DRIVE_INTERVAL_S = 60.0
DWELL_INTERVAL_S = 300.0
PARKED_INTERVAL_S = 1800.0
UNAUTHORIZED_KINDS = (
    ("off_hours", 0.3),
    ("unusual_place", 0.25),
    ("long_stop", 0.2),
    ("restricted", 0.25),
)
NORMAL_KINDS = (("extra_customer", 0.4), ("service_stop", 0.3), ("depot_return", 0.3))


def point_polyline_distance(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance (metres) from each point (n x 2) to the polyline ``line`` (m x 2)."""
    if len(line) == 1:
        return np.linalg.norm(points - line[0], axis=1)
    a = line[:-1][None, :, :]
    ab = (line[1:] - line[:-1])[None, :, :]
    ap = points[:, None, :] - a
    denom = np.maximum((ab**2).sum(axis=2), 1e-9)
    u = np.clip((ap * ab).sum(axis=2) / denom, 0.0, 1.0)
    nearest = a + u[:, :, None] * ab
    return np.asarray(np.sqrt(((points[:, None, :] - nearest) ** 2).sum(axis=2)).min(axis=1))


@dataclass
class DayOutput:
    """One simulated day: fixes in time order, ground-truth episodes and verdicts."""

    day: int
    fixes: list[VehicleTelemetry]
    ground_truth: list[GroundTruthEvent]
    verdicts: list[DispatcherVerdict]
    blocks: list[Block] = field(default_factory=list)


class FleetSimulation:
    """A seeded fleet of ``vehicles`` trucks from ``start_ts`` (a UTC midnight)."""

    def __init__(
        self,
        vehicles: int = 20,
        seed: int = 7,
        start_ts: float = 1_767_225_600.0,
        warmup_days: int = 4,
        unauthorized_rate: float = 0.10,
        normal_rate: float = 0.12,
        skip_rate: float = 0.05,
        late_rate: float = 0.04,
        blocks_per_day: float = 1.3,
        verdict_share: float = 0.5,
    ) -> None:
        self.seed = seed
        self.start_ts = start_ts - start_ts % DAY
        self.warmup_days = warmup_days
        self.unauthorized_rate = unauthorized_rate
        self.normal_rate = normal_rate
        self.skip_rate = skip_rate
        self.late_rate = late_rate
        self.blocks_per_day = blocks_per_day
        self.verdict_share = verdict_share
        rng = np.random.default_rng([seed, 0])
        network = build_network(rng)
        self.map: FleetMap
        self.plans: list[VehiclePlan]
        self.map, self.plans = build_fleet(network, rng, vehicles)
        self._free = [self.start_ts] * vehicles
        self._route_xy: dict[str, np.ndarray] = {}
        self.day = 0
        self.offsets = np.random.default_rng([seed, 1]).uniform(0, DRIVE_INTERVAL_S, vehicles)

    def weekday(self, day: int) -> int:
        """Day of the week of simulated day ``day`` (0 = Monday)."""
        return (int(self.start_ts // DAY) + day + 3) % 7  # 1970-01-01 was a Thursday

    def eligible(self, v: int, day: int) -> bool:
        """Whether vehicle ``v`` is past its learning period on ``day``: it has worked
        ``warmup_days`` days and driven each of its routes twice before (no episode is
        injected earlier)."""
        plan = self.plans[v]
        worked = [d for d in range(day) if self.weekday(d) in plan.workdays]
        per_route = [
            sum(1 for d in worked if d % len(plan.routes) == r) for r in range(len(plan.routes))
        ]
        return len(worked) >= self.warmup_days and min(per_route) >= ROUTE_WARMUP_DAYS

    def evaluated_vehicle_days(self, days: int) -> int:
        """Vehicle-days past the learning period among the first ``days`` days."""
        return sum(1 for v in range(len(self.plans)) for d in range(days) if self.eligible(v, d))

    def geofences(self) -> list[Geofence]:
        """Every geofence of the simulated world."""
        return self.map.geofences()

    # ---- injections ------------------------------------------------------------------------

    def _route_nodes_xy(self, plan: VehiclePlan) -> np.ndarray:
        cached = self._route_xy.get(plan.vehicle_id)
        if cached is None:
            net = self.map.network
            pts = []
            for route in plan.routes:
                seq = [plan.depot, *route.stops, plan.depot]
                for a, b in itertools.pairwise(seq):
                    pts.append(net.polyline(net.path(a, b)))
            cached = self._route_xy[plan.vehicle_id] = np.vstack(pts)
        return cached

    def _far_nodes(self, plan: VehiclePlan, candidates: list[int], min_m: float) -> list[int]:
        route = self._route_nodes_xy(plan)
        xy = self.map.network.nodes[candidates]
        d = point_polyline_distance(xy, route[:: max(1, len(route) // 400)])
        return [c for c, dist in zip(candidates, d, strict=True) if dist >= min_m]

    def _injection(self, v: int, day: int, rng: np.random.Generator) -> Injection:
        plan = self.plans[v]
        weekday = self.weekday(day)
        u = float(rng.random())
        pick = float(rng.random())
        at_stop = int(rng.integers(1, 6))
        dwell_u = float(rng.random())
        start_h = float(rng.uniform(20.5, 23.5))
        if not self.eligible(v, day):
            return Injection("none", "normal")
        fmap = self.map
        special = set(fmap.customers) | set(fmap.services) | set(fmap.depots) | set(fmap.restricted)
        if weekday not in plan.workdays:
            if u < self.unauthorized_rate * 0.6:
                places = self._far_nodes(
                    plan, [k for k in range(len(fmap.network.nodes)) if k not in special], 1200.0
                )
                target = places[int(pick * len(places))]
                return Injection(
                    "off_hours",
                    "unauthorized",
                    target,
                    0,
                    1200 + dwell_u * 4200,
                    float(9 + 11 * dwell_u),
                )
            return Injection("none", "normal")
        kinds: tuple[tuple[str, float], ...]
        if u < self.unauthorized_rate:
            kinds, label = UNAUTHORIZED_KINDS, "unauthorized"
        elif u < self.unauthorized_rate + self.normal_rate:
            kinds, label = NORMAL_KINDS, "normal"
        elif u < self.unauthorized_rate + self.normal_rate + self.skip_rate:
            return Injection("skip_customer", "normal", -1, at_stop)
        elif u < self.unauthorized_rate + self.normal_rate + self.skip_rate + self.late_rate:
            return Injection("late_shift", "normal", -1, -1, 2.5 * 3600 + dwell_u * 5400)
        else:
            return Injection("none", "normal")
        names = [k for k, _ in kinds]
        weights = np.array([w for _, w in kinds])
        kind = names[int(np.searchsorted(np.cumsum(weights) / weights.sum(), pick))]
        sub = float(rng.random())
        if kind in ("off_hours", "unusual_place"):
            places = self._far_nodes(
                plan, [k for k in range(len(fmap.network.nodes)) if k not in special], 1200.0
            )
            target = places[int(sub * len(places))]
            if kind == "off_hours":
                return Injection(kind, label, target, 0, 1200 + dwell_u * 4200, start_h)
            return Injection(kind, label, target, at_stop, 1200 + dwell_u * 2400)
        if kind == "restricted":
            target = fmap.restricted[int(sub * len(fmap.restricted))]
            return Injection(kind, label, target, at_stop, 180 + dwell_u * 720)
        if kind == "long_stop":
            return Injection(kind, label, -1, at_stop, 3600 + dwell_u * 5400)
        if kind == "extra_customer":
            far = self._far_nodes(plan, list(fmap.customers), 1000.0) or list(fmap.customers)
            return Injection(kind, label, far[int(sub * len(far))], at_stop, 600 + dwell_u * 900)
        if kind == "service_stop":
            target = fmap.services[int(sub * len(fmap.services))]
            return Injection(kind, label, target, at_stop, 600 + dwell_u * 600)
        return Injection("depot_return", label, plan.depot, at_stop, 900 + dwell_u * 900)

    # ---- days ------------------------------------------------------------------------------

    def _build(self, day: int, blocks: list[Block]) -> list[DayPlan]:
        day0 = self.start_ts + day * DAY
        weekday = self.weekday(day)
        out = []
        for v, plan in enumerate(self.plans):
            rng = np.random.default_rng([self.seed, 2, v, day])
            injection = self._injection(v, day, rng)
            n_stops = len(plan.routes[day % len(plan.routes)].stops)
            if injection.at_stop >= n_stops - 1:
                injection = Injection(
                    injection.kind,
                    injection.label,
                    injection.target,
                    n_stops - 2,
                    injection.dwell_s,
                    injection.start_h,
                )
            out.append(
                build_day(self.map, plan, day0, self._free[v], weekday, day, injection, blocks, rng)
            )
        return out

    def _choose_blocks(self, day: int, plans: list[DayPlan]) -> list[Block]:
        if day < 2 * self.warmup_days:
            return []
        rng = np.random.default_rng([self.seed, 3, day])
        n_blocks = int(rng.poisson(self.blocks_per_day))
        if n_blocks == 0:
            return []
        net = self.map.network
        passes: dict[Edge, list[tuple[float, int]]] = {}
        for v, dp in enumerate(plans):
            for seg in dp.segments:
                if seg.kind != "drive" or seg.route_id is None or not seg.edges:
                    continue
                span = seg.t1 - seg.t0
                lengths = np.array([net.lengths[e] for e in seg.edges])
                times = seg.t0 + span * (np.cumsum(lengths) - lengths / 2) / lengths.sum()
                for e, t in zip(seg.edges, times, strict=True):
                    passes.setdefault(e, []).append((float(t), v))
        depots = set(self.map.depots)
        candidates = []
        for e, items in passes.items():
            if e[0] in depots or e[1] in depots:
                continue
            items.sort()
            for i, (t, _) in enumerate(items):
                group = {vv for tt, vv in items[i:] if tt <= t + 7200.0}
                if len(group) >= 3:
                    candidates.append((e, t))
                    break
        chosen: list[Block] = []
        for idx in rng.permutation(len(candidates)):
            e, t = candidates[int(idx)]
            mid = (net.nodes[e[0]] + net.nodes[e[1]]) / 2
            if any(
                np.linalg.norm(mid - (net.nodes[b.edge[0]] + net.nodes[b.edge[1]]) / 2) < 3000
                for b in chosen
            ):
                continue
            chosen.append(Block(e, t - 900.0, t + 7200.0))
            if len(chosen) >= n_blocks:
                break
        return chosen

    def _shared_blocks(self, plans: list[DayPlan], blocks: list[Block]) -> list[Block]:
        """The blocks that really make at least two vehicles leave their planned route.

        A block only one vehicle detours around (the others pass before it, or their way
        around stays near the route) is no shared traffic episode; it is lifted.
        """
        detoured: dict[Edge, set[int]] = {}
        for v, dp in enumerate(plans):
            for w in dp.windows:
                if w.kind != "traffic_detour":
                    continue
                legs = [
                    seg.pts
                    for seg in dp.segments
                    if seg.kind == "drive" and seg.t0 >= w.t0 - 1 and seg.t1 <= w.t1 + 1
                ]
                if not legs:
                    continue
                far = point_polyline_distance(np.vstack(legs), dp.planned).max()
                if far >= OFF_ROUTE_M:
                    for edge in w.causes:
                        detoured.setdefault(edge, set()).add(v)
        return [b for b in blocks if len(detoured.get(b.edge, ())) >= 2]

    def _sample(
        self, v: int, plan: VehiclePlan, dp: DayPlan, rng: np.random.Generator
    ) -> tuple[np.ndarray, list[Segment], np.ndarray]:
        """Fix times, their segments and local positions (n x 2) of one vehicle-day."""
        offset = float(self.offsets[v])
        times: list[np.ndarray] = []
        xy: list[np.ndarray] = []
        seg_of: list[Segment] = []
        counts: list[int] = []
        for seg in dp.segments:
            if seg.kind == "drive":
                step = DRIVE_INTERVAL_S
            elif seg.t1 - seg.t0 > 3 * 3600 or (
                seg.route_id is None and seg.shift_id is None and not seg.ignition
            ):
                step = PARKED_INTERVAL_S
            else:
                step = DWELL_INTERVAL_S
            first = offset + step * math.ceil((seg.t0 - offset) / step)
            ts = np.arange(first, seg.t1, step)
            if len(ts) == 0:
                continue
            if seg.kind == "drive":
                pts = seg.pts
                cum = np.concatenate(
                    [[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))]
                )
                s = (ts - seg.t0) / max(seg.t1 - seg.t0, 1e-9) * cum[-1]
                pos = np.column_stack([np.interp(s, cum, pts[:, 0]), np.interp(s, cum, pts[:, 1])])
            else:
                pos = np.repeat(seg.pts[:1], len(ts), axis=0)
            times.append(ts)
            xy.append(pos)
            seg_of.extend([seg])
            counts.append(len(ts))
        all_t = np.concatenate(times) if times else np.zeros(0)
        all_xy = np.vstack(xy) if xy else np.zeros((0, 2))
        index = np.repeat(np.arange(len(seg_of)), counts) if counts else np.zeros(0, dtype=int)
        segs = [seg_of[i] for i in index]
        return all_t, segs, all_xy + rng.normal(0.0, GPS_SIGMA_M, size=all_xy.shape)

    def next_day(self) -> DayOutput:
        """Simulate the next day of the whole fleet."""
        day = self.day
        self.day += 1
        plans = self._build(day, [])
        blocks = self._choose_blocks(day, plans)
        if blocks:
            plans = self._build(day, blocks)
            shared = self._shared_blocks(plans, blocks)
            if len(shared) < len(blocks):
                blocks = shared
                plans = self._build(day, blocks)
        net = self.map.network
        fixes: list[VehicleTelemetry] = []
        truth: list[GroundTruthEvent] = []
        verdicts: list[DispatcherVerdict] = []
        for v, (plan, dp) in enumerate(zip(self.plans, plans, strict=True)):
            self._free[v] = dp.end_ts
            rng = np.random.default_rng([self.seed, 4, v, day])
            ts, segs, xy = self._sample(v, plan, dp, rng)
            if len(ts) == 0:
                continue
            lat, lon = net.to_latlon(xy)
            heading = np.degrees(np.arctan2(np.gradient(xy[:, 0]), np.gradient(xy[:, 1]))) % 360
            jitter = rng.uniform(0.85, 1.15, size=len(ts))
            for i, seg in enumerate(segs):
                speed = max(float(seg.speed_kmh * jitter[i]), 6.0) if seg.kind == "drive" else 0.0
                fixes.append(
                    VehicleTelemetry(
                        plan.vehicle_id,
                        float(ts[i]),
                        round(float(lat[i]), 6),
                        round(float(lon[i]), 6),
                        round(speed, 1),
                        round(float(heading[i]), 1),
                        seg.ignition,
                        seg.route_id,
                        seg.shift_id,
                    )
                )
            for k, w in enumerate(dp.windows):
                inside = (ts >= w.t0) & (ts <= w.t1)
                start, end = w.t0, w.t1
                if w.geometric:
                    if not inside.any():
                        continue
                    d = point_polyline_distance(xy[inside], dp.planned)
                    if d.max() < OFF_ROUTE_M:
                        continue
                    off_t = ts[inside][d > OFF_EDGE_M]
                    start, end = float(off_t.min()), float(off_t.max())
                eid = f"{plan.vehicle_id}-d{day}-{k}"
                truth.append(
                    GroundTruthEvent(
                        "fleet",
                        plan.vehicle_id,
                        "fleet_episode",
                        start,
                        eid,
                        {"label": w.label, "subtype": w.kind, "start_ts": start, "end_ts": end},
                    )
                )
                if rng.random() < self.verdict_share:
                    verdicts.append(
                        DispatcherVerdict(
                            f"verdict-{eid}",
                            plan.vehicle_id,
                            end + float(rng.uniform(3600.0, 6 * 3600.0)),
                            start,
                            end,
                            w.label,  # type: ignore[arg-type]
                        )
                    )
        fixes.sort(key=lambda f: f.ts)
        return DayOutput(day, fixes, truth, verdicts, blocks)

    def days(self, n: int) -> Iterator[DayOutput]:
        """The next ``n`` days."""
        for _ in range(n):
            yield self.next_day()
