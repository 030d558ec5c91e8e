"""Helpers of the simulator tests: a fleet advanced over a span, with what it emitted."""

from __future__ import annotations

from dataclasses import dataclass

from app.simulator.batch import SimBatch
from app.simulator.motors import MotorFleet

START = 1_700_000_000.0 - 1_700_000_000.0 % 3600.0
DAY = 86400.0


@dataclass
class Run:
    """A fleet advanced over a span, with everything it emitted."""

    fleet: MotorFleet
    batch: SimBatch
    end_ts: float


def simulate(n: int, days: float, *, seed: int = 11, mtbf_days: float = 40.0) -> Run:
    """Advance a fresh fleet ``days`` simulated days in one call."""
    fleet = MotorFleet(n, seed=seed, start_ts=START, mtbf_days=mtbf_days)
    end = START + days * DAY
    return Run(fleet, fleet.advance(end), end)
