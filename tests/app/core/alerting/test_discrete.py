"""Discrete alerts: raise_event / clear_event dedup, cooldown and ids."""

from __future__ import annotations

from app.core.alerting import AlertPolicy, AlertState, Evidence, Severity, clear_event, raise_event
from tests.app.core.alerting.support import T0, make_policy

WORKER = "worker-12"


def man_down_policy(cooldown_s: float = 0.0) -> AlertPolicy:
    """A discrete safety policy: any event is critical."""
    return make_policy(
        alert_type="man_down",
        domain="safety",
        raise_threshold=1.0,
        clear_threshold=0.5,
        min_duration_s=0.0,
        cooldown_s=cooldown_s,
        severities=((1.0, Severity.CRITICAL),),
    )


def test_raise_event_raises_at_once_and_dedups_repeats() -> None:
    policy, state = man_down_policy(), AlertState()
    raised = raise_event(policy, state, asset_id=WORKER, ts=T0, detail="zone B3")
    assert raised is not None
    assert raised.state == "raised"
    assert raised.severity is Severity.CRITICAL
    assert raised.first_ts == T0
    assert raised.message == "man_down CRITICAL on worker-12: raised by event, zone B3"
    assert raise_event(policy, state, asset_id=WORKER, ts=T0 + 5) is None
    assert raise_event(policy, state, asset_id=WORKER, ts=T0 + 10) is None
    assert state.episodes == 1


def test_raise_event_on_active_alert_updates_on_severity_change() -> None:
    policy, state = man_down_policy(), AlertState()
    raised = raise_event(policy, state, asset_id=WORKER, ts=T0, severity=Severity.WARNING)
    updated = raise_event(policy, state, asset_id=WORKER, ts=T0 + 5, severity=Severity.CRITICAL)
    assert raised is not None and updated is not None
    assert updated.state == "updated"
    assert updated.severity is Severity.CRITICAL
    assert updated.alert_id == raised.alert_id


def test_clear_event_clears_active_alert_once_with_same_id() -> None:
    policy, state = man_down_policy(), AlertState()
    raised = raise_event(policy, state, asset_id=WORKER, ts=T0)
    cleared = clear_event(policy, state, asset_id=WORKER, ts=T0 + 60)
    assert raised is not None and cleared is not None
    assert cleared.state == "cleared"
    assert cleared.alert_id == raised.alert_id
    assert cleared.evidence == Evidence((), 0.0, 0.5, "")
    assert clear_event(policy, state, asset_id=WORKER, ts=T0 + 61) is None


def test_clear_event_on_idle_alert_does_not_start_cooldown() -> None:
    policy, state = man_down_policy(cooldown_s=600.0), AlertState()
    assert clear_event(policy, state, asset_id=WORKER, ts=T0) is None
    assert state.cleared_at is None
    assert raise_event(policy, state, asset_id=WORKER, ts=T0 + 1) is not None


def test_raise_event_respects_cooldown_after_clear() -> None:
    policy, state = man_down_policy(cooldown_s=600.0), AlertState()
    raise_event(policy, state, asset_id=WORKER, ts=T0)
    clear_event(policy, state, asset_id=WORKER, ts=T0 + 60)
    assert raise_event(policy, state, asset_id=WORKER, ts=T0 + 600) is None
    again = raise_event(policy, state, asset_id=WORKER, ts=T0 + 660)
    assert again is not None and again.state == "raised"


def test_out_of_order_discrete_events_are_ignored() -> None:
    policy, state = man_down_policy(), AlertState()
    raise_event(policy, state, asset_id=WORKER, ts=T0 + 100)
    assert clear_event(policy, state, asset_id=WORKER, ts=T0 + 50) is None
    assert state.active


def test_redelivered_discrete_raise_keeps_the_id() -> None:
    policy = man_down_policy()
    first = raise_event(policy, AlertState(), asset_id=WORKER, ts=T0 + 0.0004)
    again = raise_event(policy, AlertState(), asset_id=WORKER, ts=T0)
    assert first is not None and again is not None
    assert first.alert_id == again.alert_id
