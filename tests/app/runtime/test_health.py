"""Watchdog liveness and readiness decisions."""

from app.runtime.health import Watchdog


def test_idle_agent_without_input_is_alive():
    w = Watchdog(stall_after_s=10)
    w.register("m", now=0)
    assert w.liveness(input_lag=0, now=1000).ok


def test_agent_without_progress_while_input_waits_is_not_alive():
    w = Watchdog(stall_after_s=10)
    w.register("m", now=0)
    report = w.liveness(input_lag=5, now=11)
    assert not report.ok
    assert "no progress" in report.reasons[0]


def test_progress_keeps_agent_alive_under_lag():
    w = Watchdog(stall_after_s=10)
    w.register("m", now=0)
    w.beat("m", now=9)
    assert w.liveness(input_lag=5, now=15).ok


def test_dead_agent_fails_liveness():
    w = Watchdog()
    w.mark_dead("m", "RuntimeError")
    assert not w.liveness(0).ok


def test_readiness_needs_recovery_assignment_and_no_rebalance():
    assert Watchdog.readiness(recovery_done=True, rebalancing=False, assigned_partitions=3).ok
    assert not Watchdog.readiness(recovery_done=False, rebalancing=False, assigned_partitions=3).ok
    assert not Watchdog.readiness(recovery_done=True, rebalancing=True, assigned_partitions=3).ok
    assert not Watchdog.readiness(recovery_done=True, rebalancing=False, assigned_partitions=0).ok
