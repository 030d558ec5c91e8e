"""A shift's plan: for every worker a contiguous list of activity segments and impacts.

Crews of 4-6 work in a few zones each: they walk to work spots and work there (a few steps
every 15-50 s, so working is not standing still), take the morning, lunch and afternoon breaks
together in the welfare area, and now and then stand together: toolbox talks in low-risk zones,
brief huddles or groups of K-1 in high-risk zones (all normal), and groups of K or more that
stay still in a high-risk zone for longer than T (the condition to detect). Falls come in three
kinds: stumbles while walking (impact, walk on, sometimes a short kneel), falls with a quick
recovery (lying still well under N seconds) and falls after which the worker stays down until
rescued (the man-down condition). Some break sit-downs are heavy enough to read as an impact,
but the worker then sits upright.

All times are seconds from the shift start; positions are site metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from agents.safety.site_map import SiteMap, Zone
from app.simulator.safety.profiles import WorkerProfile

__all__ = ["Impact", "Segment", "ShiftPlan", "WorkerPlan", "plan_shift"]

WALK, WORK, STAND, SIT, LIE, KNEEL = "walk", "work", "stand", "sit", "lie", "kneel"
STATIONARY_KINDS = frozenset({STAND, SIT, LIE})
"""Segment kinds in which a worker is truly stationary (no steps, no displacement)."""

WORK_ZONES = ("laydown", "core", "crane-lift", "excavation", "scaffold", "gate", "yard")
BREAK_ZONE = "welfare"
LOW_RISK_GATHERING = ("gate", "laydown", "core", "yard")
EDGE_MARGIN_M = 4.0


@dataclass(slots=True)
class Segment:
    """One activity from ``start`` to ``end`` (walks go from (x0, y0) to (x1, y1))."""

    kind: str
    start: float
    end: float
    x0: float
    y0: float
    x1: float
    y1: float
    carry: bool = False
    tag: str = ""

    def position(self, t: float) -> tuple[float, float]:
        """Where the worker is at ``t`` inside the segment."""
        if self.kind != WALK or self.end <= self.start:
            return self.x0, self.y0
        u = min(max((t - self.start) / (self.end - self.start), 0.0), 1.0)
        return self.x0 + u * (self.x1 - self.x0), self.y0 + u * (self.y1 - self.y0)


@dataclass(frozen=True, slots=True)
class Impact:
    """An acceleration peak at ``ts``: a fall, a stumble or a heavy sit-down."""

    ts: float
    peak_g: float
    kind: str


@dataclass(slots=True)
class WorkerPlan:
    """The plan of one worker: segments covering the shift, impacts, fatigue curve."""

    profile: WorkerProfile
    crew: int
    segments: list[Segment] = field(default_factory=list)
    impacts: list[Impact] = field(default_factory=list)
    fatigue_onset: float = math.inf
    fatigue_ramp: float = 3600.0
    fatigue_max: float = 0.0
    mild_fatigue: float = 0.1

    def fatigue(self, t: float, shift_s: float) -> float:
        """Fatigue level in [0, 1] at ``t``: a trace for everyone, a ramp for the susceptible."""
        level = self.mild_fatigue * min(max(t / shift_s, 0.0), 1.0)
        if t > self.fatigue_onset:
            level += self.fatigue_max * min((t - self.fatigue_onset) / self.fatigue_ramp, 1.0)
        return min(level, 1.0)


@dataclass(slots=True)
class ShiftPlan:
    """Plans of all workers plus the planned man-down falls and group events."""

    shift_s: float
    workers: list[WorkerPlan]
    man_down_falls: list[tuple[int, float, float]] = field(default_factory=list)
    """(worker index, fall time, lying duration) of falls where the worker stays down."""
    groups: list[tuple[str, str, list[int], float]] = field(default_factory=list)
    """(kind, zone, worker indices, planned start) of group stands."""


@dataclass(slots=True)
class _Commitment:
    start: float
    end: float
    kind: str
    x: float
    y: float
    tag: str
    lie_s: float = 0.0


def _spot(rng: np.random.Generator, zone: Zone, extent: tuple[float, ...]) -> tuple[float, float]:
    """A random point at least ``EDGE_MARGIN_M`` inside the zone (or the site for the default)."""
    x0, y0, x1, y1 = zone.rect if zone.rect is not None else extent
    m = EDGE_MARGIN_M
    return float(rng.uniform(x0 + m, x1 - m)), float(rng.uniform(y0 + m, y1 - m))


def _yard_spot(rng: np.random.Generator, site: SiteMap) -> tuple[float, float]:
    """A point of the default zone (inside the site, outside every zone, away from borders)."""
    for _ in range(200):
        x, y = _spot(rng, site.default, site.extent)
        if all(
            not z.contains(x + dx, y + dy)
            for z in site.zones
            for dx in (-EDGE_MARGIN_M, 0, EDGE_MARGIN_M)
            for dy in (-EDGE_MARGIN_M, 0, EDGE_MARGIN_M)
        ):
            return x, y
    raise ValueError("site map leaves no room in the default zone")


def _zone_spot(rng: np.random.Generator, site: SiteMap, zone_id: str) -> tuple[float, float]:
    zone = site.zone(zone_id)
    if zone is None:
        raise ValueError(f"the simulated site map lacks zone {zone_id!r}")
    if zone.rect is None:
        return _yard_spot(rng, site)
    return _spot(rng, zone, site.extent)


def _free(commitments: list[_Commitment], start: float, end: float, margin: float) -> bool:
    return all(c.end + margin <= start or end + margin <= c.start for c in commitments)


def plan_shift(
    rng: np.random.Generator,
    profiles: list[WorkerProfile],
    site: SiteMap,
    *,
    shift_s: float,
    cluster_min_workers: int,
    cluster_min_dwell_s: float,
    man_down_still_s: float,
) -> ShiftPlan:
    """Plan one shift of ``profiles`` on ``site`` (see the module docstring)."""
    n = len(profiles)
    order = rng.permutation(n)
    crews: list[list[int]] = []
    i = 0
    while i < n:
        size = int(rng.integers(4, 7))
        crews.append([int(w) for w in order[i : i + size]])
        i += size
    if len(crews) > 1 and len(crews[-1]) < cluster_min_workers:
        crews[-2].extend(crews.pop())
    high = [z.id for z in site.high_risk_zones()]
    plans = [WorkerPlan(profile=p, crew=0) for p in profiles]
    crew_zones: list[list[str]] = []
    for c, members in enumerate(crews):
        zones = list(rng.choice(WORK_ZONES, size=3, replace=False))
        if not set(zones) & set(high):
            zones[0] = str(rng.choice(high))
        crew_zones.append([str(z) for z in zones])
        for w in members:
            plans[w].crew = c
    commitments: list[list[_Commitment]] = [[] for _ in range(n)]
    _plan_breaks(rng, site, crews, commitments, shift_s)
    shift = ShiftPlan(shift_s=shift_s, workers=plans)
    k, t_dwell = cluster_min_workers, cluster_min_dwell_s
    group_specs = (
        ("cluster", max(1, round(0.15 * n))),
        ("huddle", max(1, round(0.12 * n))),
        ("small_group", max(1, round(0.08 * n))),
        ("toolbox_talk", max(1, round(0.08 * n))),
    )
    for kind, count in group_specs:
        for _ in range(count):
            _plan_group(rng, site, crews, crew_zones, commitments, shift, kind, k, t_dwell)
    for _ in range(max(1, round(0.12 * n))):
        _plan_fall(rng, site, crew_zones, plans, commitments, shift, "man_down", man_down_still_s)
    for _ in range(max(1, round(0.12 * n))):
        _plan_fall(rng, site, crew_zones, plans, commitments, shift, "recovered", man_down_still_s)
    for w, plan in enumerate(plans):
        _fatigue(rng, plan, shift_s)
        _fill(rng, site, plan, crew_zones[plan.crew], commitments[w], shift_s, man_down_still_s)
    return shift


def _plan_breaks(
    rng: np.random.Generator,
    site: SiteMap,
    crews: list[list[int]],
    commitments: list[list[_Commitment]],
    shift_s: float,
) -> None:
    scale = shift_s / 28800.0
    for members in crews:
        for centre, length in ((2.0, 900.0), (4.0, 1800.0), (6.0, 900.0)):
            start = (centre * 3600.0 + float(rng.uniform(-900, 900))) * scale
            length *= max(scale, 0.5)
            for w in members:
                x, y = _zone_spot(rng, site, BREAK_ZONE)
                leave = start + length + float(rng.uniform(0, 60))
                commitments[w].append(_Commitment(start, leave, SIT, x, y, "break"))


def _plan_group(
    rng: np.random.Generator,
    site: SiteMap,
    crews: list[list[int]],
    crew_zones: list[list[str]],
    commitments: list[list[_Commitment]],
    shift: ShiftPlan,
    kind: str,
    k: int,
    t_dwell: float,
) -> None:
    high = [z.id for z in site.high_risk_zones()]
    for _attempt in range(60):
        c = int(rng.integers(len(crews)))
        members = crews[c]
        if kind == "small_group":
            size = k - 1
        elif kind == "cluster":
            size = int(rng.integers(k, min(k + 2, len(members)) + 1))
        else:
            size = int(rng.integers(k, len(members) + 1))
        if size > len(members) or size < 1:
            continue
        if kind == "cluster":
            duration = t_dwell + float(rng.uniform(90.0, 480.0))
        elif kind == "huddle":
            duration = float(rng.uniform(0.25, 0.55)) * t_dwell
        else:
            duration = float(rng.uniform(180.0, 600.0))
        start = float(rng.uniform(0.1 * shift.shift_s, shift.shift_s - duration - 900.0))
        chosen = [int(w) for w in rng.choice(members, size=size, replace=False)]
        if not all(_free(commitments[w], start - 600, start + duration + 600, 0) for w in chosen):
            continue
        if kind == "toolbox_talk":
            zone = str(rng.choice(LOW_RISK_GATHERING))
        else:
            zone = str(rng.choice([z for z in crew_zones[c] if z in high] or high))
        cx, cy = _zone_spot(rng, site, zone)
        for w in chosen:
            arrive = start + float(rng.uniform(0.0, 40.0))
            leave = start + duration + float(rng.uniform(0.0, 20.0))
            x = cx + float(rng.uniform(-1.5, 1.5))
            y = cy + float(rng.uniform(-1.5, 1.5))
            commitments[w].append(_Commitment(arrive, leave, STAND, x, y, kind))
        shift.groups.append((kind, zone, chosen, start))
        return


def _plan_fall(
    rng: np.random.Generator,
    site: SiteMap,
    crew_zones: list[list[str]],
    plans: list[WorkerPlan],
    commitments: list[list[_Commitment]],
    shift: ShiftPlan,
    kind: str,
    still_s: float,
) -> None:
    for _attempt in range(60):
        w = int(rng.integers(len(plans)))
        start = float(rng.uniform(0.1 * shift.shift_s, shift.shift_s - 1800.0))
        if kind == "man_down":
            lie = float(rng.uniform(3.0, 10.0)) * still_s
            attended = float(rng.uniform(300.0, 600.0))
        else:
            lie = float(rng.uniform(0.1, 0.4)) * still_s
            attended = 0.0
        end = start + lie + attended
        if not _free(commitments[w], start - 600, end + 600, 0):
            continue
        zone = str(rng.choice(crew_zones[plans[w].crew]))
        x, y = _zone_spot(rng, site, zone)
        commitments[w].append(_Commitment(start, end, LIE, x, y, kind, lie_s=lie))
        if kind == "man_down":
            shift.man_down_falls.append((w, start, lie))
        return


def _fatigue(rng: np.random.Generator, plan: WorkerPlan, shift_s: float) -> None:
    """Fatigue builds after 2.5-5 h of work over 30-60 min (absolute hours: a short shift may
    end before a susceptible worker tires, and then there is no episode)."""
    plan.mild_fatigue = float(rng.uniform(0.0, 0.12))
    onset = float(rng.uniform(2.5, 5.0)) * 3600.0
    ramp = float(rng.uniform(0.5, 1.0)) * 3600.0
    peak = float(rng.uniform(0.65, 1.0))
    if plan.profile.susceptible and onset + ramp * 0.5 / peak <= shift_s - 2700.0:
        plan.fatigue_onset, plan.fatigue_ramp, plan.fatigue_max = onset, ramp, peak


def _walk(
    plan: WorkerPlan,
    t: float,
    x: float,
    y: float,
    x1: float,
    y1: float,
    carry: bool,
    zone: str = "",
) -> float:
    """Append a walk from (x, y) to (x1, y1) in ``zone`` from ``t``; return the arrival time."""
    speed = plan.profile.cadence * plan.profile.step_m / 60.0
    duration = max(math.hypot(x1 - x, y1 - y) / speed, 1.0)
    plan.segments.append(Segment(WALK, t, t + duration, x, y, x1, y1, carry=carry, tag=zone))
    return t + duration


def _fill(
    rng: np.random.Generator,
    site: SiteMap,
    plan: WorkerPlan,
    zones: list[str],
    commitments: list[_Commitment],
    shift_s: float,
    still_s: float,
) -> None:
    """Turn the worker's commitments into contiguous segments, filling gaps with work."""
    commitments.sort(key=lambda c: c.start)
    t = 0.0
    x, y = _zone_spot(rng, site, BREAK_ZONE)
    speed = plan.profile.cadence * plan.profile.step_m / 60.0
    for nxt in [*commitments, None]:
        target_t = shift_s if nxt is None else nxt.start
        tx, ty = (x, y) if nxt is None else (nxt.x, nxt.y)
        while True:
            zone = str(rng.choice(zones))
            sx, sy = _zone_spot(rng, site, zone)
            work = float(rng.uniform(240.0, 900.0))
            there = math.hypot(sx - x, sy - y) / speed
            back = math.hypot(tx - sx, ty - sy) / speed
            if t + there + work + back + 30.0 > target_t:
                break
            t = _walk(plan, t, x, y, sx, sy, carry=bool(rng.random() < 0.2), zone=zone)
            plan.segments.append(Segment(WORK, t, t + work, sx, sy, sx, sy))
            t += work
            x, y = sx, sy
        if nxt is None:
            if t < shift_s:
                plan.segments.append(Segment(WORK, t, shift_s, x, y, x, y))
            break
        walk_s = max(math.hypot(tx - x, ty - y) / speed, 1.0)
        if target_t - walk_s > t:
            plan.segments.append(Segment(WORK, t, target_t - walk_s, x, y, x, y))
            t = target_t - walk_s
        t = _walk(plan, t, x, y, tx, ty, carry=False)
        start = max(t, nxt.start)
        if start > t:
            plan.segments.append(Segment(STAND, t, start, tx, ty, tx, ty, tag="waiting"))
        if nxt.kind == LIE:
            t = _fall(rng, plan, nxt, start, tx, ty)
        else:
            end = max(nxt.end, start + 1.0)
            plan.segments.append(Segment(nxt.kind, start, end, tx, ty, tx, ty, tag=nxt.tag))
            if nxt.kind == SIT and rng.random() < 0.3:
                plan.impacts.append(Impact(start + 1.0, float(rng.uniform(2.4, 3.4)), "heavy_sit"))
            t = end
        x, y = tx, ty
    _stumbles(rng, plan)


def _fall(
    rng: np.random.Generator, plan: WorkerPlan, c: _Commitment, start: float, x: float, y: float
) -> float:
    """Segments of a fall at ``start``: impact, lying, then attended (sitting) or up again."""
    plan.impacts.append(Impact(start, float(rng.uniform(3.0, 7.0)), "fall_" + c.tag))
    lie_end = start + c.lie_s
    plan.segments.append(Segment(LIE, start, lie_end, x, y, x, y, tag=c.tag))
    if c.tag == "man_down" and c.end > lie_end:
        plan.segments.append(Segment(SIT, lie_end, c.end, x, y, x, y, tag="attended"))
        return c.end
    return lie_end


def _stumbles(rng: np.random.Generator, plan: WorkerPlan) -> None:
    """Near-falls during walks: an impact, sometimes a short kneel, then walking on."""
    walks = [s for s in plan.segments if s.kind == WALK and s.end - s.start > 20.0]
    for _ in range(int(rng.poisson(0.5))):
        if not walks:
            return
        seg = walks[int(rng.integers(len(walks)))]
        ts = float(rng.uniform(seg.start + 5.0, seg.end - 5.0))
        plan.impacts.append(Impact(ts, float(rng.uniform(2.6, 4.5)), "stumble"))
        index = plan.segments.index(seg)
        after = plan.segments[index + 1] if index + 1 < len(plan.segments) else None
        length = float(rng.uniform(5.0, 15.0))
        if rng.random() < 0.4 and after is not None and after.kind == WORK:
            if after.end - after.start > length + 1.0:
                _insert_kneel(plan, seg, ts, length)
            walks = [s for s in plan.segments if s.kind == WALK and s.end - s.start > 20.0]


def _insert_kneel(plan: WorkerPlan, seg: Segment, ts: float, length: float) -> None:
    """Split walk ``seg`` at ``ts`` with a kneel of ``length`` s; the next segment (work)
    starts that much later, so nothing after it moves."""
    index = plan.segments.index(seg)
    x, y = seg.position(ts)
    head = Segment(WALK, seg.start, ts, seg.x0, seg.y0, x, y, carry=seg.carry, tag=seg.tag)
    kneel = Segment(KNEEL, ts, ts + length, x, y, x, y, tag="stumble")
    tail = Segment(
        WALK, ts + length, seg.end + length, x, y, seg.x1, seg.y1, carry=seg.carry, tag=seg.tag
    )
    plan.segments[index : index + 1] = [head, kneel, tail]
    following = plan.segments[index + 3 :]
    if following:
        nxt = following[0]
        # Absorb the delay in the next segment instead of shifting the rest of the shift.
        nxt.start = min(nxt.start + length, nxt.end - 1.0)
        tail.end = nxt.start
