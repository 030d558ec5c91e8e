"""Redelivery and restore: replays give identical transitions and alert ids."""

from __future__ import annotations

from app.core.alerting import AlertState, AlertTransition, evaluate
from tests.app.core.alerting.support import HOUR, T0, make_evidence, make_policy

SCORES = [0.2, 0.65, 0.7, 0.72, 0.9, 0.88, 0.6, 0.5, 0.3, 0.2, 0.7, 0.75, 0.8, 0.95, 0.1]
EVENTS = [(T0 + i * 1800.0, score) for i, score in enumerate(SCORES)]


def run(state: AlertState, events: list[tuple[float, float]]) -> list[AlertTransition]:
    """Feed events and collect the emitted transitions."""
    policy = make_policy(cooldown_s=2 * HOUR)
    out = []
    for ts, score in events:
        transition = evaluate(
            policy, state, asset_id="motor-1", score=score, ts=ts, evidence=make_evidence
        )
        if transition is not None:
            out.append(transition)
    return out


def test_scenario_emits_two_full_episodes() -> None:
    kinds = [t.state.value for t in run(AlertState(), EVENTS)]
    assert kinds.count("raised") == 2
    assert kinds.count("cleared") == 2


def test_restored_state_replays_to_identical_transitions_and_ids() -> None:
    for cut in range(len(EVENTS)):
        reference = AlertState()
        before = run(reference, EVENTS[:cut])
        restored = AlertState.from_bytes(reference.to_bytes())
        after = run(restored, EVENTS[cut:])
        assert before + after == run(AlertState(), EVENTS)


def test_redelivered_events_after_restore_emit_no_duplicates() -> None:
    full = run(AlertState(), EVENTS)
    for cut in range(1, len(EVENTS)):
        state = AlertState()
        before = run(state, EVENTS[:cut])
        restored = AlertState.from_tuple(state.to_tuple())
        overlap_start = max(0, cut - 3)
        after = run(restored, EVENTS[overlap_start:])
        assert before + after == full


def test_episode_transitions_share_one_id_and_episodes_differ() -> None:
    transitions = run(AlertState(), EVENTS)
    ids = [t.alert_id for t in transitions]
    first_clear = next(i for i, t in enumerate(transitions) if t.state == "cleared")
    assert len(set(ids[: first_clear + 1])) == 1
    assert ids[first_clear + 1] != ids[0]
