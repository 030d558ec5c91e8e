"""The score-driven lifecycle of evaluate(), step by step in event time."""

from __future__ import annotations

from app.core.alerting import AlertPolicy, AlertState, AlertTransition, Evidence, Severity, evaluate
from tests.app.core.alerting.support import HOUR, T0, make_evidence, make_policy

ASSET = "motor-0007"


def step(
    policy: AlertPolicy, state: AlertState, score: float, hours: float
) -> AlertTransition | None:
    """Feed one score at T0 + ``hours``."""
    return evaluate(
        policy, state, asset_id=ASSET, score=score, ts=T0 + hours * HOUR, evidence=make_evidence
    )


def raised_state(policy: AlertPolicy, score: float = 0.7) -> AlertState:
    """A state with an active alert raised at T0 + 1 h (episode started at T0)."""
    state = AlertState()
    assert step(policy, state, score, 0.0) is None
    transition = step(policy, state, score, 1.0)
    assert transition is not None and transition.state == "raised"
    return state


def test_score_below_raise_threshold_stays_idle() -> None:
    policy, state = make_policy(), AlertState()
    assert step(policy, state, 0.59, 0.0) is None
    assert not state.active
    assert state.pending_since is None


def test_crossing_becomes_pending_but_does_not_raise_before_min_duration() -> None:
    policy, state = make_policy(), AlertState()
    assert step(policy, state, 0.7, 0.0) is None
    assert step(policy, state, 0.7, 0.5) is None
    assert step(policy, state, 0.7, 0.99) is None
    assert state.pending_since == T0
    assert not state.active


def test_raises_once_score_held_for_min_duration_with_episode_start() -> None:
    policy, state = make_policy(), AlertState()
    step(policy, state, 0.7, 0.0)
    step(policy, state, 0.7, 0.5)
    transition = step(policy, state, 0.72, 1.0)
    assert transition is not None
    assert transition.state == "raised"
    assert transition.severity is Severity.WARNING
    assert transition.first_ts == T0
    assert transition.ts == T0 + HOUR
    assert transition.score == 0.72
    assert transition.threshold == 0.6
    assert state.active
    assert state.episodes == 1


def test_zero_min_duration_raises_on_first_crossing() -> None:
    policy, state = make_policy(min_duration_s=0.0), AlertState()
    transition = step(policy, state, 0.9, 0.0)
    assert transition is not None
    assert transition.state == "raised"
    assert transition.severity is Severity.CRITICAL


def test_dip_below_raise_threshold_resets_pending() -> None:
    policy, state = make_policy(), AlertState()
    step(policy, state, 0.7, 0.0)
    step(policy, state, 0.7, 0.5)
    assert step(policy, state, 0.59, 0.75) is None
    assert state.pending_since is None
    assert step(policy, state, 0.7, 1.0) is None
    assert step(policy, state, 0.7, 1.5) is None
    transition = step(policy, state, 0.7, 2.0)
    assert transition is not None
    assert transition.state == "raised"
    assert transition.first_ts == T0 + HOUR


def test_active_alert_updates_on_severity_change() -> None:
    policy = make_policy(update_min_delta=0.5)
    state = raised_state(policy, 0.8)
    transition = step(policy, state, 0.86, 2.0)
    assert transition is not None
    assert transition.state == "updated"
    assert transition.severity is Severity.CRITICAL
    assert "was 0.80 WARNING" in transition.message


def test_active_alert_updates_when_score_moves_by_min_delta() -> None:
    policy = make_policy()
    state = raised_state(policy, 0.62)
    transition = step(policy, state, 0.72, 2.0)
    assert transition is not None
    assert transition.state == "updated"
    assert transition.severity is Severity.WARNING
    assert state.last_score == 0.72


def test_small_score_wobble_does_not_spam_updates() -> None:
    policy = make_policy()
    state = raised_state(policy, 0.7)
    wobble = [0.71, 0.65, 0.78, 0.69, 0.62, 0.75, 0.7, 0.66]
    emitted = [step(policy, state, score, 2.0 + i) for i, score in enumerate(wobble)]
    assert emitted == [None] * len(wobble)


def test_updates_measure_delta_from_last_emitted_not_last_seen_score() -> None:
    policy = make_policy()
    state = raised_state(policy, 0.62)
    assert step(policy, state, 0.66, 2.0) is None
    assert step(policy, state, 0.70, 3.0) is None
    transition = step(policy, state, 0.73, 4.0)
    assert transition is not None and transition.state == "updated"


def test_score_between_clear_and_raise_keeps_alert_active() -> None:
    policy = make_policy()
    state = raised_state(policy, 0.7)
    assert step(policy, state, 0.65, 2.0) is None
    assert step(policy, state, 0.55, 3.0) is not None  # moved 0.15: an update, not a clear
    assert step(policy, state, 0.36, 4.0) is not None
    assert step(policy, state, 0.35, 5.0) is None
    assert state.active


def test_clears_below_clear_threshold_with_same_alert_id() -> None:
    policy = make_policy()
    state = AlertState()
    step(policy, state, 0.7, 0.0)
    raised = step(policy, state, 0.7, 1.0)
    cleared = step(policy, state, 0.34, 5.0)
    assert raised is not None and cleared is not None
    assert cleared.state == "cleared"
    assert cleared.alert_id == raised.alert_id
    assert cleared.first_ts == raised.first_ts == T0
    assert cleared.threshold == 0.35
    assert cleared.severity is Severity.WARNING
    assert not state.active
    assert state.cleared_at == T0 + 5 * HOUR


def test_cooldown_blocks_reraise_until_it_ends_then_allows() -> None:
    policy = make_policy(min_duration_s=0.0)
    state = AlertState()
    first = step(policy, state, 0.7, 0.0)
    assert first is not None
    assert step(policy, state, 0.2, 1.0) is not None
    assert step(policy, state, 0.9, 2.0) is None
    assert step(policy, state, 0.9, 6.99) is None
    assert not state.active
    second = step(policy, state, 0.9, 7.0)
    assert second is not None
    assert second.state == "raised"
    assert second.alert_id != first.alert_id
    assert state.episodes == 2


def test_pending_accumulates_during_cooldown_and_keeps_episode_start() -> None:
    policy = make_policy()
    state = raised_state(policy)
    assert step(policy, state, 0.2, 2.0) is not None
    assert step(policy, state, 0.7, 6.0) is None
    transition = step(policy, state, 0.7, 8.0)
    assert transition is not None
    assert transition.state == "raised"
    assert transition.first_ts == T0 + 6 * HOUR


def test_out_of_order_event_is_ignored_and_leaves_state_untouched() -> None:
    policy = make_policy()
    state = raised_state(policy)
    before = state.to_bytes()
    assert step(policy, state, 0.1, 0.5) is None
    assert step(policy, state, 0.99, 0.5) is None
    assert state.to_bytes() == before


def test_non_finite_score_is_ignored() -> None:
    policy = make_policy()
    state = raised_state(policy)
    before = state.to_bytes()
    assert step(policy, state, float("nan"), 2.0) is None
    assert step(policy, state, float("inf"), 2.0) is None
    assert state.to_bytes() == before


def test_lazy_evidence_is_not_built_when_nothing_is_emitted() -> None:
    policy = make_policy()
    state = AlertState()
    calls: list[float] = []

    def build() -> Evidence:
        calls.append(1.0)
        return make_evidence()

    for hours, score in [(0.0, 0.2), (1.0, 0.7), (1.5, 0.7)]:
        evaluate(policy, state, asset_id=ASSET, score=score, ts=T0 + hours * HOUR, evidence=build)
    assert calls == []
    transition = evaluate(
        policy, state, asset_id=ASSET, score=0.7, ts=T0 + 2 * HOUR, evidence=build
    )
    assert transition is not None
    assert calls == [1.0]
    assert transition.evidence == make_evidence()


def test_evidence_may_be_passed_eagerly() -> None:
    policy = make_policy(min_duration_s=0.0)
    evidence = make_evidence(0.9)
    transition = evaluate(policy, AlertState(), asset_id=ASSET, score=0.9, ts=T0, evidence=evidence)
    assert transition is not None
    assert transition.evidence is evidence
