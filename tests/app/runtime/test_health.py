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


def test_crash_loop_fails_liveness_and_names_the_last_crash():
    w = Watchdog(crash_loop_count=3, crash_loop_window_s=60)
    w.crashed("m", "RuntimeError: one", now=0)
    w.crashed("m", "RuntimeError: two", now=10)
    assert w.liveness(0, now=11).ok  # two crashes are not a loop yet
    w.crashed("m", "RuntimeError: three", now=20)
    report = w.liveness(0, now=21)
    assert not report.ok
    assert "crashed 3 times" in report.reasons[0] and "three" in report.reasons[0]


def test_old_crashes_age_out_of_the_window():
    w = Watchdog(crash_loop_count=3, crash_loop_window_s=60)
    for at in (0, 10, 20):
        w.crashed("m", "RuntimeError", now=at)
    assert not w.liveness(0, now=30).ok
    assert w.liveness(0, now=85).ok  # the first two crashes are older than the window


def test_readiness_needs_recovery_assignment_and_no_rebalance():
    assert Watchdog.readiness(recovery_done=True, rebalancing=False, assigned_partitions=3).ok
    assert not Watchdog.readiness(recovery_done=False, rebalancing=False, assigned_partitions=3).ok
    assert not Watchdog.readiness(recovery_done=True, rebalancing=True, assigned_partitions=3).ok
    assert not Watchdog.readiness(recovery_done=True, rebalancing=False, assigned_partitions=0).ok
