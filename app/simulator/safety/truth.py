"""Ground truth of a simulated shift, derived from the plan (never from the detectors).

* ``fatigue``: a susceptible worker's episode from the onset of fatigue to the shift end;
  ``significant_ts`` is when the level reaches 0.5.
* ``man_down``: a fall after which the worker lies still for at least N seconds; the condition
  completes at ``condition_ts`` = fall + N, the episode ends when the worker moves again.
* ``stationary_cluster``: computed generically from every worker's truly stationary spells
  (standing, sitting, lying - whatever the reason) in each high-risk zone: the spans during
  which at least K of them have been stationary for at least T seconds.

Distractors (stumbles, quick recoveries, heavy sit-downs, huddles, groups of K-1, toolbox
talks) are recorded too, for the evaluation's breakdown; they are not conditions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.safety.site_map import SiteMap
from app.simulator.safety.plan import LIE, STATIONARY_KINDS, ShiftPlan

__all__ = ["TruthEpisode", "shift_truth"]

MIN_CLUSTER_S = 30.0
"""Cluster spans shorter than this (coincidences of a few seconds) are not episodes."""


@dataclass(slots=True)
class TruthEpisode:
    """One ground-truth episode; ``subject`` is a worker index or a zone id.

    ``ts`` is when it starts, ``condition_ts`` when the condition is complete (a detector can
    know it from then on), ``end_ts`` when it is over; ``workers`` are the worker indices
    involved (the subject for per-worker kinds).
    """

    kind: str
    subject: str
    ts: float
    condition_ts: float
    end_ts: float
    workers: list[int]
    detail: dict[str, Any] = field(default_factory=dict)


def _stationary_spells(plan: ShiftPlan) -> list[tuple[int, float, float, float, float]]:
    """(worker, start, end, x, y) of every stationary spell, merging adjacent segments."""
    spells: list[tuple[int, float, float, float, float]] = []
    for w, worker in enumerate(plan.workers):
        current: list[float] | None = None
        for seg in worker.segments:
            if seg.kind in STATIONARY_KINDS:
                if (
                    current is not None
                    and abs(seg.start - current[1]) < 1e-6
                    and (abs(seg.x0 - current[2]) < 1e-6 and abs(seg.y0 - current[3]) < 1e-6)
                ):
                    current[1] = seg.end
                    continue
                if current is not None:
                    spells.append((w, current[0], current[1], current[2], current[3]))
                current = [seg.start, seg.end, seg.x0, seg.y0]
            elif current is not None:
                spells.append((w, current[0], current[1], current[2], current[3]))
                current = None
        if current is not None:
            spells.append((w, current[0], current[1], current[2], current[3]))
    return spells


def _clusters(plan: ShiftPlan, site: SiteMap, k: int, t_dwell: float) -> list[TruthEpisode]:
    by_zone: dict[str, list[tuple[int, float, float]]] = {}
    for w, start, end, x, y in _stationary_spells(plan):
        zone = site.zone_at(x, y)
        if zone.high_risk and end - start >= t_dwell:
            by_zone.setdefault(zone.id, []).append((w, start + t_dwell, end))
    episodes = []
    for zone_id, spans in by_zone.items():
        events = sorted([(a, 1, w) for w, a, _ in spans] + [(b, -1, w) for w, _, b in spans])
        inside: set[int] = set()
        opened: float | None = None
        members: set[int] = set()
        for t, delta, w in events:
            if delta > 0:
                inside.add(w)
            else:
                inside.discard(w)
            if len(inside) >= k and opened is None:
                opened = t
                members = set(inside)
            elif len(inside) >= k:
                members |= inside
            elif opened is not None:
                if t - opened >= MIN_CLUSTER_S:
                    episodes.append(
                        TruthEpisode(
                            "stationary_cluster",
                            zone_id,
                            opened - t_dwell,
                            opened,
                            t,
                            sorted(members),
                            {"zone": zone_id},
                        )
                    )
                opened = None
    return episodes


def shift_truth(
    plan: ShiftPlan, site: SiteMap, *, k: int, t_dwell: float, still_s: float
) -> list[TruthEpisode]:
    """Every ground-truth episode and distractor of ``plan`` (times from the shift start)."""
    out: list[TruthEpisode] = []
    for w, worker in enumerate(plan.workers):
        subject = str(w)
        if worker.fatigue_max > 0:
            significant = worker.fatigue_onset + worker.fatigue_ramp * 0.5 / worker.fatigue_max
            out.append(
                TruthEpisode(
                    "fatigue",
                    subject,
                    worker.fatigue_onset,
                    significant,
                    plan.shift_s,
                    [w],
                    {"fatigue_max": round(worker.fatigue_max, 2)},
                )
            )
        for seg in worker.segments:
            if seg.kind == LIE and seg.end - seg.start >= still_s:
                out.append(
                    TruthEpisode(
                        "man_down",
                        subject,
                        seg.start,
                        seg.start + still_s,
                        seg.end,
                        [w],
                        {"still_s": round(seg.end - seg.start, 1)},
                    )
                )
            elif seg.kind == LIE:
                out.append(
                    TruthEpisode("fall_recovered", subject, seg.start, seg.start, seg.end, [w])
                )
        for impact in worker.impacts:
            if impact.kind in ("stumble", "heavy_sit"):
                out.append(TruthEpisode(impact.kind, subject, impact.ts, impact.ts, impact.ts, [w]))
    for kind, zone, members, start in plan.groups:
        if kind != "cluster":
            out.append(TruthEpisode(kind, zone, start, start, start, list(members)))
    out.extend(_clusters(plan, site, k, t_dwell))
    out.sort(key=lambda e: e.ts)
    return out
