"""The fleet engines wired together without Kafka: simulated days in, scored episodes out.

:class:`OfflineFleet` runs the vehicle engine and the area engine in one process, handing the
vehicle engine's area notices to the area engine and its context answers back at once (in a
deployment they travel over two repartitioned topics). Used by :mod:`fleet.evaluate`, the tests
and benchmarks; the logic is exactly the one the agents run.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from agents.fleet.area import AreaEngine
from agents.fleet.config import FleetConfig
from agents.fleet.engine import FleetEngine
from app.core import OFFLINE, Output, RecordMeta, StreamLimits
from app.simulator.fleet.sim import DayOutput
from schemas.vehicle import DispatcherVerdict, Geofence

__all__ = ["OfflineFleet"]


@dataclass
class OfflineFleet:
    """A vehicle engine and an area engine with in-memory state and collected outputs."""

    config: FleetConfig = field(default_factory=FleetConfig)
    learn_from_verdicts: bool = True
    episodes: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    geofence_events: int = 0
    fixes: int = 0
    busy_s: float = 0.0

    def __post_init__(self) -> None:
        clock = self._event_clock
        self._now = 0.0
        limits = StreamLimits()
        self.engine = FleetEngine(self.config, limits, lambda _: None, clock)
        self.area = AreaEngine(self.config, limits, lambda _: None, clock)
        self._verdicts: list[tuple[float, int, DispatcherVerdict]] = []
        self._seq = 0

    def _event_clock(self) -> float:
        """The engines' wall clock: the newest simulated time (so skew checks pass)."""
        return self._now

    def load_geofences(self, fences: Iterable[Geofence]) -> None:
        """Adopt the simulated world's geofences."""
        for fence in fences:
            self.engine.geofences.upsert(fence)

    def run_day(self, day: DayOutput) -> None:
        """Feed one simulated day (fixes and the verdicts due by its end) in time order."""
        started = time.perf_counter()
        for verdict in day.verdicts:
            self._seq += 1
            heapq.heappush(self._verdicts, (verdict.ts, self._seq, verdict))
        engine = self.engine
        for fix in day.fixes:
            self._now = fix.ts
            while self._verdicts and self._verdicts[0][0] <= fix.ts:
                _, _, verdict = heapq.heappop(self._verdicts)
                if self.learn_from_verdicts:
                    engine.feed_verdict(verdict)
            self._route(engine.feed_fix(fix))
        self.fixes += len(day.fixes)
        self.busy_s += time.perf_counter() - started

    def _route(self, outputs: list[Output]) -> None:
        for output in outputs:
            topic = output.topic
            key, value = output.encode()
            if topic == "episodes":
                self.episodes.append(orjson.loads(value))
            elif topic == "alerts":
                self.alerts.append(orjson.loads(value))
            elif topic == "commands":
                self.commands.append(orjson.loads(value))
            elif topic == "geofence_events":
                self.geofence_events += 1
            elif topic == "area_notices":
                # The same decoders and engines as the two agents, without Kafka in between.
                for answer in self.area.handle(
                    value, RecordMeta("notices", "area", 0, OFFLINE, key)
                ):
                    if answer.topic != "context":
                        raise RuntimeError(f"area notice rejected: {answer.value!r}")
                    context_key, context = answer.encode()
                    context_meta = RecordMeta("context", "context", 0, OFFLINE, context_key)
                    self._route(self.engine.handle(context, context_meta))
