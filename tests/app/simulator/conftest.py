"""Shared simulated runs for the simulator tests (computed once per test session)."""

from __future__ import annotations

import pytest

from tests.app.simulator.runs import Run, simulate


@pytest.fixture(scope="session")
def failing_run() -> Run:
    """60 motors over 14 days with a short MTBF: many failures, repairs and disturbances."""
    return simulate(60, 14.0, mtbf_days=4.0)


@pytest.fixture(scope="session")
def healthy_twin() -> Run:
    """The same fleet as ``failing_run`` but (practically) without failures."""
    return simulate(60, 14.0, mtbf_days=1e9)
