"""The offline maintenance benchmark: a fixed simulated start gives the same figures each run."""

import time

import pytest

from app.settings import Settings
from benchmarks.maintenance_offline import simulate_and_score


def _figures(result):
    return {k: v for k, v in result.items() if k != "events_per_s"}


def test_two_runs_give_the_same_figures_whenever_they_are_started(monkeypatch):
    first = _figures(simulate_and_score(Settings(), motors=4, days=5, seed=2))
    later = time.time() + 3 * 86400.0 + 5 * 3600.0
    monkeypatch.setattr(time, "time", lambda: later)  # run three days and five hours later
    second = _figures(simulate_and_score(Settings(), motors=4, days=5, seed=2))
    assert first == second
    assert first["start"] == "2026-01-01T00:00:00+00:00"
    assert first["events"] > 4 * 5 * 100  # a reading every 10 minutes per motor


def test_a_run_that_would_end_in_the_future_is_refused():
    with pytest.raises(ValueError, match="future"):
        simulate_and_score(Settings(), motors=1, days=3, seed=1, start=time.time() - 86400)
