"""Liveness and readiness decisions of a worker, kept free of Faust so they are unit-testable.

Liveness (``/healthz``) fails when an agent has died or has made no progress for
``stall_after_s`` while it has input waiting (a silent hang: no exception, no throughput).
Readiness (``/readyz``) is true only once table recovery is done, partitions are assigned
and no rebalance is in flight.
"""

from __future__ import annotations

import time
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

    Agents call :meth:`beat` after each record (cheap: one dict store) and the worker reports
    crashed agents with :meth:`mark_dead`. An agent idle without input is alive; an agent idle
    *with* input waiting (lag > 0) for longer than ``stall_after_s`` is stalled.
    """

    def __init__(self, stall_after_s: float = 120.0) -> None:
        self.stall_after_s = stall_after_s
        self._last_progress: dict[str, float] = {}
        self._dead: dict[str, str] = {}

    def register(self, agent: str, now: float | None = None) -> None:
        """Start watching ``agent`` (counts as progress now)."""
        self._last_progress[agent] = time.time() if now is None else now

    def beat(self, agent: str, now: float | None = None) -> None:
        """Record that ``agent`` finished a record (or is healthily idle)."""
        self._last_progress[agent] = time.time() if now is None else now

    def mark_dead(self, agent: str, reason: str) -> None:
        """Record that ``agent`` stopped for good (its task ended or raised)."""
        self._dead[agent] = reason

    def last_progress(self, agent: str) -> float | None:
        """Wall time of the agent's last progress, if it is watched."""
        return self._last_progress.get(agent)

    def liveness(self, input_lag: int, now: float | None = None) -> HealthReport:
        """Decide liveness given the total input lag of this worker's partitions."""
        now = time.time() if now is None else now
        reasons = [f"agent {name} died: {why}" for name, why in self._dead.items()]
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
