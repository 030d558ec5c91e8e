"""A simulated site over one or more shifts: wearable readings in time order, ground truth.

:class:`SiteSimulation` plans each shift (:mod:`simulator.safety.plan`), derives its ground truth
(:mod:`simulator.safety.truth`) and synthesises every worker's windows
(:mod:`simulator.safety.wearable`). :meth:`SiteSimulation.advance` hands out everything up to a
simulated time: the readings in cloud form (pseudonymised, no raw biometrics), the ground-truth
records whose time has come, and the man-down and cluster episodes whose condition the batch
completes (the first reading of an involved worker at or after the condition time - what the
real-time latency is measured from). About 0.5 % of windows are lost in transit.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from agents.safety.config import SafetyConfig
from agents.safety.site_map import SiteMap
from app.edge.privacy import pseudonymise
from app.settings import Settings
from app.simulator.safety.plan import ShiftPlan, plan_shift
from app.simulator.safety.profiles import WorkerProfile, draw_profiles
from app.simulator.safety.truth import TruthEpisode, shift_truth
from app.simulator.safety.wearable import WearableSynth
from app.simulator.safety.wire import cloud_record, device_payload, encode_cloud

__all__ = ["SIM_SITE_SECRET", "ShiftBatch", "SimEpisode", "SiteSimulation"]

SIM_SITE_SECRET = b"aiot-simulated-site"
"""Pseudonym key of simulated sites when no site secret is configured."""

LOSS_PROBABILITY = 0.005
DAY_S = 86400.0
SHIFT_START_HOUR = 7.0
TIMED_KINDS = frozenset({"man_down", "stationary_cluster"})


@dataclass(slots=True)
class SimEpisode:
    """A ground-truth episode in Unix time with pseudonymous subjects."""

    episode_id: str
    kind: str
    subject: str
    ts: float
    condition_ts: float
    end_ts: float
    workers: list[str]
    detail: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """The ground-truth topic record (a :class:`schemas.GroundTruthEvent` wire form)."""
        return {
            "v": 1,
            "domain": "safety",
            "asset_id": self.subject,
            "kind": self.kind,
            "ts": round(self.ts, 3),
            "episode_id": self.episode_id,
            "detail": {
                **self.detail,
                "condition_ts": round(self.condition_ts, 3),
                "end_ts": round(self.end_ts, 3),
                "workers": self.workers,
            },
        }


@dataclass(slots=True)
class ShiftBatch:
    """What :meth:`SiteSimulation.advance` hands out for one step."""

    readings: list[tuple[bytes, bytes]] = field(default_factory=list)
    truth: list[SimEpisode] = field(default_factory=list)
    completed: list[SimEpisode] = field(default_factory=list)

    def truth_messages(self) -> list[tuple[bytes, bytes]]:
        """Ground-truth records as ``(subject key, JSON value)``."""
        return [(e.subject.encode(), orjson.dumps(e.record())) for e in self.truth]


class SiteSimulation:
    """Workers on a site over ``shifts`` consecutive days (see the module docstring)."""

    def __init__(
        self,
        site: SiteMap,
        *,
        seed: int,
        workers: int,
        start_ts: float,
        shift_s: float = 8 * 3600.0,
        shifts: int = 1,
        window_s: float = 10.0,
        cluster_min_workers: int = 3,
        cluster_min_dwell_s: float = 120.0,
        man_down_still_s: float = 30.0,
        secret: bytes = SIM_SITE_SECRET,
        biometric_fields: tuple[str, ...] = ("heart_rate_bpm",),
    ) -> None:
        self.site = site
        self.rng = np.random.default_rng(seed)
        self.window_s = window_s
        self.shift_s = shift_s
        self.secret = secret
        self.biometric_fields = biometric_fields
        self.profiles: list[WorkerProfile] = draw_profiles(self.rng, workers)
        self.pseudonyms = [pseudonymise(p.worker_id, secret) for p in self.profiles]
        self.episodes: list[SimEpisode] = []
        self._heap: list[tuple[float, int, int]] = []
        self._synths: dict[tuple[int, int], WearableSynth] = {}
        self._shift_starts: list[float] = []
        self._pending_truth: list[tuple[float, int, SimEpisode]] = []
        self._awaiting: dict[int, list[SimEpisode]] = {}
        self.sim_ts = start_ts
        self.readings_sent = 0
        for day in range(shifts):
            begin = start_ts + day * DAY_S
            self._shift_starts.append(begin)
            plan = plan_shift(
                self.rng,
                self.profiles,
                site,
                shift_s=shift_s,
                cluster_min_workers=cluster_min_workers,
                cluster_min_dwell_s=cluster_min_dwell_s,
                man_down_still_s=man_down_still_s,
            )
            truth = shift_truth(
                plan,
                site,
                k=cluster_min_workers,
                t_dwell=cluster_min_dwell_s,
                still_s=man_down_still_s,
            )
            self._add_truth(day, begin, truth)
            self._add_shift(day, begin, plan)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        config: SafetyConfig,
        *,
        seed: int,
        workers: int,
        start_ts: float,
        shifts: int = 1,
    ) -> SiteSimulation:
        """A simulation matched to the detection settings it will be scored against (K, T, N,
        the site map, the window length, the edge's secret and biometric fields)."""
        secret = settings.edge_site_secret
        return cls(
            config.site_map,
            seed=seed,
            workers=workers,
            start_ts=start_ts,
            shift_s=settings.safety_sim_shift_h * 3600.0,
            shifts=shifts,
            window_s=settings.safety_sim_interval_s,
            cluster_min_workers=config.cluster_min_workers,
            cluster_min_dwell_s=config.cluster_min_dwell_s,
            man_down_still_s=config.man_down_still_s,
            secret=secret.encode() if secret else SIM_SITE_SECRET,
            biometric_fields=config.biometric_fields,
        )

    @staticmethod
    def default_start(now: float, shift_s: float, shifts: int = 1) -> float:
        """A start so that the last shift ends before ``now``: 07:00 UTC, ``shifts`` days ago."""
        day = math.floor((now - shift_s - SHIFT_START_HOUR * 3600.0) / DAY_S) * DAY_S
        start = day + SHIFT_START_HOUR * 3600.0
        while start + shift_s > now:
            start -= DAY_S
        return start - (shifts - 1) * DAY_S

    def _add_truth(self, day: int, begin: float, truth: list[TruthEpisode]) -> None:
        for n, e in enumerate(truth):
            workers = [self.pseudonyms[w] for w in e.workers]
            subject = self.pseudonyms[int(e.subject)] if e.subject.isdigit() else e.subject
            episode = SimEpisode(
                episode_id=f"safety-d{day}-{n:04d}-{e.kind}",
                kind=e.kind,
                subject=subject,
                ts=begin + e.ts,
                condition_ts=begin + e.condition_ts,
                end_ts=begin + e.end_ts,
                workers=workers,
                detail=e.detail,
            )
            self.episodes.append(episode)
            heapq.heappush(self._pending_truth, (episode.condition_ts, id(episode), episode))
            if e.kind in TIMED_KINDS:
                for w in e.workers:
                    self._awaiting.setdefault(w, []).append(episode)

    def _add_shift(self, day: int, begin: float, plan: ShiftPlan) -> None:
        for w, worker in enumerate(plan.workers):
            self._synths[(day, w)] = WearableSynth(worker, self.rng, self.shift_s)
            phase = float(self.rng.uniform(0.0, self.window_s))
            heapq.heappush(self._heap, (begin + self.window_s + phase, day, w))

    @property
    def end_ts(self) -> float:
        """Event time of the last reading of the last shift."""
        return self._shift_starts[-1] + self.shift_s

    @property
    def done(self) -> bool:
        """Whether every reading has been handed out."""
        return not self._heap

    def advance(self, until_ts: float) -> ShiftBatch:
        """Everything due up to simulated time ``until_ts``, in time order."""
        batch = ShiftBatch()
        heap = self._heap
        while heap and heap[0][0] <= until_ts:
            ts, day, w = heapq.heappop(heap)
            begin = self._shift_starts[day]
            synth = self._synths[(day, w)]
            window = synth.window(ts - begin, self.window_s)
            if ts + self.window_s - begin <= self.shift_s:
                heapq.heappush(heap, (ts + self.window_s, day, w))
            if window is None or self.rng.random() < LOSS_PROBABILITY:
                continue
            profile = self.profiles[w]
            payload = device_payload(window, worker_id=profile.worker_id, ts=ts)
            record = cloud_record(
                payload,
                device_id=profile.device_id,
                site=self.site.site or "site-1",
                secret=self.secret,
                biometric_fields=self.biometric_fields,
            )
            batch.readings.append(encode_cloud(record))
            self._complete(w, ts, batch)
        self.readings_sent += len(batch.readings)
        pending = self._pending_truth
        while pending and pending[0][0] <= until_ts:
            batch.truth.append(heapq.heappop(pending)[2])
        self.sim_ts = max(self.sim_ts, until_ts)
        return batch

    def _complete(self, w: int, ts: float, batch: ShiftBatch) -> None:
        waiting = self._awaiting.get(w)
        if not waiting:
            return
        for episode in [e for e in waiting if e.condition_ts <= ts]:
            batch.completed.append(episode)
            for other in episode.workers:
                index = self.pseudonyms.index(other)
                if episode in self._awaiting.get(index, []):
                    self._awaiting[index].remove(episode)
