"""The ISA-18.2 alarm state machine: phases, operator actions, deadlines, determinism."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from agents.alarms.alarm import (
    TIMER_ACTOR,
    Alarm,
    AlarmPhase,
    AlarmPolicy,
    AlarmTransition,
    Transition,
    transition_id,
)

T0 = 1_700_000_000.0
POLICY = AlarmPolicy(escalate_after_s=300.0, max_escalations=3)


def condition(state: str, ts: float, severity: str = "critical", **changes: Any) -> dict[str, Any]:
    """An alerts-topic condition record of alert ``a1`` on ``p-worker``."""
    record: dict[str, Any] = {
        "v": 1,
        "alert_id": "a1",
        "domain": "safety",
        "alert_type": "man_down",
        "asset_id": "p-0123456789abcdef0123",
        "severity": severity,
        "state": state,
        "ts": ts,
        "first_ts": T0,
        "score": 1.0,
        "threshold": 1.0,
        "message": f"man_down {state}",
        "evidence": {"top_features": [], "model_version": "m"},
    }
    record.update(changes)
    return record


@dataclass(frozen=True)
class Action:
    """An operator action as :meth:`Alarm.decide` reads it."""

    ack_id: str
    action: str
    by: str = "alice"
    ts: float = T0 + 60.0
    shelve_s: float | None = None
    note: str | None = None
    outcome: str | None = None


def raised(severity: str = "critical", policy: AlarmPolicy | None = POLICY) -> Alarm:
    return Alarm.from_condition(condition("raised", T0, severity), T0 + 1.0, policy)


def act(alarm: Alarm, action: Action) -> Transition:
    decision = alarm.decide(action)
    assert decision.result == "applied", decision
    assert decision.transition is not None
    assert alarm.apply(decision.transition, POLICY)
    return decision.transition


def test_a_raised_alarm_is_unacknowledged_and_announced_at_its_kafka_time():
    alarm = raised()
    assert alarm.phase is AlarmPhase.UNACKNOWLEDGED
    assert alarm.raised_at == T0 + 1.0
    assert alarm.next_due == T0 + 1.0 + 300.0


def test_acknowledge_then_clear_closes_the_alarm():
    alarm = raised()
    act(alarm, Action("k1", "acknowledge"))
    assert alarm.phase is AlarmPhase.ACKNOWLEDGED and alarm.acked_by == "alice"
    assert alarm.condition(condition("cleared", T0 + 90.0), T0 + 91.0, POLICY)
    assert alarm.phase is AlarmPhase.CLEARED and alarm.closed


def test_clear_before_acknowledge_stays_listed_until_acknowledged():
    alarm = raised()
    alarm.condition(condition("cleared", T0 + 90.0), T0 + 91.0, POLICY)
    assert alarm.phase is AlarmPhase.CLEARED_UNACKNOWLEDGED and not alarm.closed
    assert alarm.next_due is None, "a cleared condition does not escalate"
    act(alarm, Action("k1", "acknowledge", ts=T0 + 200.0))
    assert alarm.phase is AlarmPhase.CLEARED


def test_acknowledging_twice_is_a_noop_and_the_same_action_a_duplicate():
    alarm = raised()
    act(alarm, Action("k1", "acknowledge"))
    assert alarm.decide(Action("k1", "acknowledge")).result == "duplicate"
    second = alarm.decide(Action("k2", "acknowledge", by="bob"))
    assert second.result == "noop" and "alice" in second.reason


def test_unacknowledged_critical_alarm_escalates_level_by_level_up_to_the_maximum():
    alarm = raised()
    assert alarm.due(T0 + 300.0, POLICY) is None
    levels = []
    now = T0 + 10_000.0
    while (t := alarm.due(now, POLICY)) is not None:
        assert alarm.apply(t, POLICY)
        levels.append((t.level, t.ts, t.by))
    assert levels == [
        (1, T0 + 301.0, TIMER_ACTOR),
        (2, T0 + 601.0, TIMER_ACTOR),
        (3, T0 + 901.0, TIMER_ACTOR),
    ]
    assert alarm.level == 3 and alarm.next_due is None


def test_acknowledging_stops_re_notification():
    alarm = raised()
    first = alarm.due(T0 + 301.0, POLICY)
    assert first is not None and first.kind is AlarmTransition.ESCALATED
    alarm.apply(first, POLICY)
    act(alarm, Action("k1", "acknowledge", ts=T0 + 400.0))
    assert alarm.next_due is None
    assert alarm.due(T0 + 100_000.0, POLICY) is None


def test_warnings_do_not_escalate_but_an_update_to_critical_starts_the_clock():
    alarm = raised("warning")
    assert alarm.next_due is None
    assert alarm.due(T0 + 100_000.0, POLICY) is None
    alarm.condition(condition("updated", T0 + 50.0, "critical"), T0 + 500.0, POLICY)
    assert alarm.next_due == T0 + 800.0


def test_shelving_hides_and_pauses_escalation_until_the_timer_unshelves():
    alarm = raised()
    t = act(alarm, Action("k1", "shelve", shelve_s=600.0, ts=T0 + 100.0))
    assert t.shelved_until == T0 + 700.0
    assert alarm.phase is AlarmPhase.SHELVED and alarm.next_due is None
    assert alarm.due(T0 + 699.0, POLICY) is None
    unshelve = alarm.due(T0 + 5000.0, POLICY)
    assert unshelve is not None and unshelve.kind is AlarmTransition.UNSHELVED
    assert unshelve.ts == T0 + 700.0 and unshelve.by == TIMER_ACTOR
    alarm.apply(unshelve, POLICY)
    assert alarm.phase is AlarmPhase.UNACKNOWLEDGED
    assert alarm.next_due == T0 + 1000.0, "escalation resumes from the end of the shelving"


def test_operator_unshelve_and_unshelving_an_unshelved_alarm():
    alarm = raised()
    assert alarm.decide(Action("k0", "unshelve")).result == "noop"
    act(alarm, Action("k1", "shelve", shelve_s=600.0))
    act(alarm, Action("k2", "unshelve", by="bob"))
    assert alarm.phase is AlarmPhase.UNACKNOWLEDGED and alarm.shelved_by is None


def test_a_closed_alarm_cannot_be_shelved():
    alarm = raised()
    act(alarm, Action("k1", "acknowledge"))
    alarm.condition(condition("cleared", T0 + 90.0), T0 + 91.0, POLICY)
    decision = alarm.decide(Action("k2", "shelve", shelve_s=60.0))
    assert decision.result == "rejected" and "closed" in decision.reason


def test_notes_are_kept_and_only_one_inspection_outcome_is_accepted():
    alarm = raised()
    act(alarm, Action("k1", "note", note="crew on the way"))
    t = act(alarm, Action("k2", "outcome", outcome="no_fault_found", note="all fine"))
    assert t.outcome == "no_fault_found" and alarm.outcome_by == "alice"
    assert [n[2] for n in alarm.notes] == ["crew on the way", "all fine"]
    second = alarm.decide(Action("k3", "outcome", outcome="fault_confirmed"))
    assert second.result == "rejected" and "no_fault_found" in second.reason


def test_redelivered_or_older_condition_records_change_nothing():
    alarm = raised()
    assert not alarm.condition(condition("raised", T0), T0 + 5.0, POLICY)
    alarm.condition(condition("updated", T0 + 30.0, "warning"), T0 + 31.0, POLICY)
    assert not alarm.condition(condition("updated", T0 + 10.0, "critical"), T0 + 40.0, POLICY)
    assert alarm.severity == "warning"
    alarm.condition(condition("cleared", T0 + 50.0), T0 + 51.0, POLICY)
    assert not alarm.condition(condition("updated", T0 + 60.0), T0 + 61.0, POLICY)
    assert not alarm.active


def test_transition_ids_depend_only_on_alarm_kind_and_cause():
    a, b = raised(), raised()
    ta = a.decide(Action("k1", "acknowledge", ts=T0 + 10)).transition
    tb = b.decide(Action("k1", "acknowledge", ts=T0 + 99)).transition
    assert ta is not None and tb is not None
    assert ta.transition_id == tb.transition_id == transition_id("a1", "acknowledged", "k1")
    ea, eb = a.due(T0 + 1000.0, POLICY), b.due(T0 + 5000.0, POLICY)
    assert ea is not None and ea == eb, "an escalation's record does not depend on when it ran"


def test_a_reader_folding_the_records_reaches_the_agents_state():
    agent = raised()
    records = [agent.transition_record(act(agent, Action("k1", "note", note="n1")))]
    records.append(agent.transition_record(act(agent, Action("k2", "shelve", shelve_s=60.0))))
    unshelve = agent.due(T0 + 1000.0, POLICY)
    assert unshelve is not None
    agent.apply(unshelve, POLICY)
    records.append(agent.transition_record(unshelve))
    records.append(agent.transition_record(act(agent, Action("k3", "acknowledge"))))
    reader = raised(policy=None)
    for record in records + records:  # a redelivery of everything changes nothing
        reader.apply(Transition.from_record(record))
    assert reader.phase is agent.phase is AlarmPhase.ACKNOWLEDGED
    assert (reader.acked_by, reader.note_count, reader.notes) == (
        agent.acked_by,
        agent.note_count,
        agent.notes,
    )


def test_final_state_does_not_depend_on_how_condition_and_actions_interleave():
    steps = [
        ("cond", condition("updated", T0 + 20.0, "warning")),
        ("cond", condition("cleared", T0 + 40.0)),
        ("act", Action("k1", "acknowledge")),
        ("act", Action("k2", "note", note="checked")),
    ]
    finals = set()
    ids = set()
    for order in itertools.permutations(range(len(steps))):
        alarm = raised()
        conds = [steps[i] for i in order if steps[i][0] == "cond"]
        if [c[1]["state"] for c in conds] != ["updated", "cleared"]:
            continue  # one topic partition keeps the engine's own order
        seen = []
        for i in order:
            kind, item = steps[i]
            if kind == "cond":
                alarm.condition(item, item["ts"] + 1.0, POLICY)
            else:
                t = alarm.decide(item).transition
                assert t is not None
                alarm.apply(t, POLICY)
                seen.append(t.transition_id)
        finals.add((alarm.phase, alarm.acked_by, alarm.note_count, alarm.severity))
        ids.add(frozenset(seen))
    assert len(finals) == 1 and len(ids) == 1


def test_state_round_trips_without_note_texts_unless_asked():
    alarm = raised()
    act(alarm, Action("k1", "note", note="secret-ish detail"))
    plain = Alarm.from_dict(alarm.to_dict())
    assert plain.note_count == 1 and plain.notes == []
    assert Alarm.from_dict(alarm.to_dict(with_notes=True)) == alarm
    with pytest.raises(ValueError, match="unreadable"):
        Alarm.from_dict({"alert_id": "x"})


def test_policy_refuses_a_zero_escalation_period():
    with pytest.raises(ValueError, match="escalate_after_s"):
        AlarmPolicy(escalate_after_s=0.0, max_escalations=1)
