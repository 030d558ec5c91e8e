"""Liveness and readiness decisions of a worker, kept free of Faust so they are unit-testable.

Liveness (``/healthz``) fails when an agent keeps crashing (``crash_loop_count`` crashes within
``crash_loop_window_s``: Faust restarts a crashed agent, so a crash loop would otherwise look
alive) or has made no progress for ``stall_after_s`` while it has input waiting (a silent hang:
no exception, no throughput).
Readiness (``/readyz``) is true only once table recovery is done, partitions are assigned
and no rebalance is in flight.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

__all__ = ["HealthReport", "Watchdog"]


@dataclass(slots=True)
class HealthReport:
    """The outcome of a health check: ``ok`` and human-readable reasons when not."""

    ok: bool
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """JSON body of the health endpoints."""
        return {"ok": self.ok, "reasons": self.reasons}


class Watchdog:
    """Tracks each agent's last progress and decides liveness.

    Agents call :meth:`beat` after each batch (cheap: one dict store) and :meth:`crashed` when
    they crash. An agent idle without input is alive; an agent idle *with* input waiting
    (lag > 0) for longer than ``stall_after_s`` is stalled; an agent with ``crash_loop_count``
    crashes in the last ``crash_loop_window_s`` is in a crash loop.
    """

    def __init__(
        self,
        stall_after_s: float = 120.0,
        crash_loop_count: int = 3,
        crash_loop_window_s: float = 300.0,
    ) -> None:
        self.stall_after_s = stall_after_s
        self.crash_loop_count = crash_loop_count
        self.crash_loop_window_s = crash_loop_window_s
        self._last_progress: dict[str, float] = {}
        self._crashes: dict[str, deque[tuple[float, str]]] = {}

    def register(self, agent: str, now: float | None = None) -> None:
        """Start watching ``agent`` (counts as progress now)."""
        self._last_progress[agent] = time.time() if now is None else now

    def beat(self, agent: str, now: float | None = None) -> None:
        """Record that ``agent`` finished a record (or is healthily idle)."""
        self._last_progress[agent] = time.time() if now is None else now

    def crashed(self, agent: str, reason: str, now: float | None = None) -> None:
        """Record that ``agent`` crashed (Faust restarts it; repeated crashes fail liveness)."""
        crashes = self._crashes.setdefault(agent, deque(maxlen=self.crash_loop_count))
        crashes.append((time.time() if now is None else now, reason))

    def last_progress(self, agent: str) -> float | None:
        """Wall time of the agent's last progress, if it is watched."""
        return self._last_progress.get(agent)

    def liveness(self, input_lag: int, now: float | None = None) -> HealthReport:
        """Decide liveness given the total input lag of this worker's partitions."""
        now = time.time() if now is None else now
        reasons = []
        for name, crashes in self._crashes.items():
            recent = [why for at, why in crashes if now - at <= self.crash_loop_window_s]
            if len(recent) >= self.crash_loop_count:
                reasons.append(
                    f"agent {name} crashed {len(recent)} times in "
                    f"{self.crash_loop_window_s:.0f} s, last: {recent[-1]}"
                )
        if input_lag > 0:
            for name, last in self._last_progress.items():
                if now - last > self.stall_after_s:
                    reasons.append(
                        f"agent {name} made no progress for {now - last:.0f} s "
                        f"with {input_lag} records waiting"
                    )
        return HealthReport(ok=not reasons, reasons=reasons)

    @staticmethod
    def readiness(
        *, recovery_done: bool, rebalancing: bool, assigned_partitions: int
    ) -> HealthReport:
        """Decide readiness from the worker's recovery and assignment state."""
        reasons = []
        if not recovery_done:
            reasons.append("table recovery in progress")
        if rebalancing:
            reasons.append("consumer group rebalancing")
        if assigned_partitions == 0:
            reasons.append("no partitions assigned yet")
        return HealthReport(ok=not reasons, reasons=reasons)
