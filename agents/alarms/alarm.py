"""The alarm lifecycle after ISA-18.2 on top of alert episodes: acknowledge, shelve, escalate.

An *alarm* is one alert episode (one ``alert_id``) as operators handle it. Its state combines
the alerted condition (active or cleared, from the domain engine's ``raised`` / ``updated`` /
``cleared`` records) with what people did about it:

================================  =======================================  ==================
phase                             meaning                                  ISA-18.2 state
================================  =======================================  ==================
``unacknowledged``                condition active, nobody acknowledged    B: unack alarm
``acknowledged``                  condition active, acknowledged           C: acked alarm
``cleared_unacknowledged``        condition cleared before anyone          D: RTN unack
                                  acknowledged; stays listed until acked
``cleared``                       condition cleared and acknowledged:      A: normal
                                  the alarm is closed
``shelved``                       an operator shelved it until a time;     E: shelved
                                  it neither shows as new nor escalates
================================  =======================================  ==================

Every change is a record on the alerts topic. The domain engines write the condition
transitions; the alarm agent writes the alarm-handling ones (:class:`AlarmTransition`:
``acknowledged``, ``shelved``, ``unshelved``, ``escalated``, ``noted``, ``inspected``) - from
operator actions (:meth:`Alarm.decide`) and from its timer (:meth:`Alarm.due`). Any reader
folding the alerts topic with :meth:`Alarm.condition` and :meth:`Alarm.apply` (the operations
console does) reaches the state the agent holds.

Determinism: a transition's id hashes the alarm, the kind and what caused it (the operator's
action id, the shelving's end, the escalation level), so a re-processed input produces the
same id and :meth:`Alarm.apply` ignores an id it has already applied. Condition records are
deduplicated by event time. Times come from the records: the annunciation time of an alarm is
the Kafka timestamp of its ``raised`` record (when aiot told the operators), an action's time
is the ``ts`` its client stamped. The wall clock is read in one place only, :meth:`Alarm.due`:
an unacknowledged critical alarm re-notifies and escalates once ``escalate_after_s`` has passed
since it was announced (or since its last escalation, or since its shelving ended), and a
shelved alarm is unshelved once its shelving time is over. Even there the record is stamped
with the deadline, not the moment the timer noticed it, so its content is the same whenever the
timer runs; whether an escalation happens at all depends on an acknowledgement arriving before
the timer fires, which is the point of a deadline.

No Kafka, no Faust: plain data in and out, unit-tested in ``tests/agents/alarms``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from hashlib import blake2b
from typing import Any, Protocol

from app.core.alerting.messages import format_duration
from app.core.alerting.severity import Severity

__all__ = [
    "ALARM_TRANSITIONS",
    "CONDITION_TRANSITIONS",
    "TIMER_ACTOR",
    "Alarm",
    "AlarmPhase",
    "AlarmPolicy",
    "AlarmTransition",
    "Decision",
    "OperatorAction",
    "Transition",
    "transition_id",
]

TIMER_ACTOR = "aiot"
"""``by`` of the transitions the alarm agent's timer makes (unshelve, escalate)."""

CONDITION_TRANSITIONS = frozenset({"raised", "updated", "cleared"})
"""States of the condition records the domain engines write."""

APPLIED_IDS_KEPT = 32
"""Transition ids an alarm remembers for deduplication (newest kept)."""

NOTES_KEPT = 20
"""Notes an alarm keeps with their text (the count goes on)."""

_SEP = "\x1f"


class AlarmPhase(StrEnum):
    """Where an alarm stands in the ISA-18.2 lifecycle (see the module table)."""

    UNACKNOWLEDGED = "unacknowledged"
    ACKNOWLEDGED = "acknowledged"
    CLEARED_UNACKNOWLEDGED = "cleared_unacknowledged"
    CLEARED = "cleared"
    SHELVED = "shelved"


class AlarmTransition(StrEnum):
    """The alarm-handling transitions the alarm agent writes on the alerts topic."""

    ACKNOWLEDGED = "acknowledged"
    SHELVED = "shelved"
    UNSHELVED = "unshelved"
    ESCALATED = "escalated"
    NOTED = "noted"
    INSPECTED = "inspected"


ALARM_TRANSITIONS = frozenset(t.value for t in AlarmTransition)
"""States of the alarm-handling records (the alarm agent skips them on input: no loop)."""

_ACTION_KIND = {
    "acknowledge": AlarmTransition.ACKNOWLEDGED,
    "shelve": AlarmTransition.SHELVED,
    "unshelve": AlarmTransition.UNSHELVED,
    "note": AlarmTransition.NOTED,
    "outcome": AlarmTransition.INSPECTED,
}


@dataclass(frozen=True, slots=True)
class AlarmPolicy:
    """When unacknowledged alarms re-notify and escalate (from settings).

    Attributes:
        escalate_after_s: wall-clock seconds an unacknowledged alarm of at least ``severity``
            waits before each re-notification; every one raises the escalation level by one.
        max_escalations: the highest level; no re-notification after it.
        severity: the least severe alarm that escalates (critical by default).
    """

    escalate_after_s: float
    max_escalations: int
    severity: Severity = Severity.CRITICAL

    def __post_init__(self) -> None:
        """Refuse settings that would escalate in a loop or never make sense."""
        if not (math.isfinite(self.escalate_after_s) and self.escalate_after_s > 0):
            raise ValueError(f"escalate_after_s must be > 0, got {self.escalate_after_s!r}")
        if self.max_escalations < 0:
            raise ValueError(f"max_escalations must be >= 0, got {self.max_escalations!r}")


class OperatorAction(Protocol):
    """What :meth:`Alarm.decide` needs of an operator action (``schemas.AlarmAction`` fits)."""

    @property
    def ack_id(self) -> str:
        """Id of the action (dedup)."""
        ...

    @property
    def action(self) -> str:
        """acknowledge, shelve, unshelve, note or outcome."""
        ...

    @property
    def by(self) -> str:
        """Who acted."""
        ...

    @property
    def ts(self) -> float:
        """When (wall clock of the action)."""
        ...

    @property
    def shelve_s(self) -> float | None:
        """Shelving time (shelve)."""
        ...

    @property
    def note(self) -> str | None:
        """Note text (note, outcome)."""
        ...

    @property
    def outcome(self) -> str | None:
        """Inspection outcome (outcome)."""
        ...


def transition_id(alert_id: str, kind: str, cause: str) -> str:
    """The 16-hex-digit id of an alarm-handling transition: same alarm, kind and cause, same id.

    ``cause`` is the operator action's id, or what the timer acted on (shelving end, level).
    """
    key = _SEP.join((alert_id, kind, cause))
    return blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class Transition:
    """One alarm-handling transition: what happened, who did it, when, and its facts."""

    kind: AlarmTransition
    transition_id: str
    ts: float
    by: str
    note: str | None = None
    shelved_until: float | None = None
    outcome: str | None = None
    level: int | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Transition:
        """Read the transition of an alerts-topic record whose state is alarm handling."""
        return cls(
            kind=AlarmTransition(record["state"]),
            transition_id=str(record["transition_id"]),
            ts=float(record["ts"]),
            by=str(record.get("by") or TIMER_ACTOR),
            note=record.get("note"),
            shelved_until=record.get("shelved_until"),
            outcome=record.get("outcome"),
            level=record.get("level"),
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """What :meth:`Alarm.decide` made of an operator action.

    ``result`` is ``applied`` (``transition`` set), ``duplicate`` (this action was applied
    before), ``noop`` (nothing to change, e.g. acknowledging an acknowledged alarm) or
    ``rejected`` (it does not apply to the alarm; ``reason`` says why).
    """

    result: str
    transition: Transition | None = None
    reason: str = ""


def _clock_text(ts: float) -> str:
    """A wall-clock time for messages: ``14:05 UTC`` (date added when not today)."""
    when = datetime.fromtimestamp(ts, UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(slots=True)
class Alarm:
    """One alert episode's alarm state (see the module docstring for the lifecycle).

    Condition fields (``severity`` .. ``cleared_ts``) follow the domain engine's records;
    handling fields (``acked_at`` .. ``outcome``) follow the alarm-handling transitions;
    ``next_due`` is the wall-clock deadline of the next re-notification, kept only where a
    policy is given (the alarm agent), ``None`` when none is due.
    """

    alert_id: str
    domain: str
    alert_type: str
    asset_id: str
    severity: str
    first_ts: float
    raised_at: float
    event_ts: float
    last_state: str
    message: str
    score: float
    threshold: float
    active: bool = True
    cleared_ts: float | None = None
    acked_at: float | None = None
    acked_by: str | None = None
    shelved_until: float | None = None
    shelved_by: str | None = None
    level: int = 0
    escalated_at: float | None = None
    next_due: float | None = None
    outcome: str | None = None
    outcome_by: str | None = None
    note_count: int = 0
    notes: list[tuple[float, str, str]] = field(default_factory=list)
    asset_class: str | None = None
    applied: list[str] = field(default_factory=list)

    # ---- reading ----------------------------------------------------------------------------

    @property
    def phase(self) -> AlarmPhase:
        """The alarm's ISA-18.2 state."""
        acked = self.acked_at is not None
        if not self.active and acked:
            return AlarmPhase.CLEARED
        if self.shelved_until is not None:
            return AlarmPhase.SHELVED
        if self.active:
            return AlarmPhase.ACKNOWLEDGED if acked else AlarmPhase.UNACKNOWLEDGED
        return AlarmPhase.CLEARED_UNACKNOWLEDGED

    @property
    def closed(self) -> bool:
        """Cleared and acknowledged: nothing left to do."""
        return self.phase is AlarmPhase.CLEARED

    # ---- condition records (domain engines) -------------------------------------------------

    @classmethod
    def from_condition(
        cls, record: Mapping[str, Any], announced_at: float, policy: AlarmPolicy | None = None
    ) -> Alarm:
        """A new alarm from its first condition record (normally ``raised``; a reader that
        starts mid-episode may see ``updated`` or ``cleared`` first)."""
        evidence = record.get("evidence") or {}
        asset_class = evidence.get("asset_class") if isinstance(evidence, Mapping) else None
        alarm = cls(
            alert_id=str(record["alert_id"]),
            domain=str(record["domain"]),
            alert_type=str(record["alert_type"]),
            asset_id=str(record["asset_id"]),
            severity=str(record["severity"]),
            first_ts=float(record["first_ts"]),
            raised_at=announced_at,
            event_ts=float(record["ts"]),
            last_state=str(record["state"]),
            message=str(record["message"]),
            score=float(record["score"]),
            threshold=float(record["threshold"]),
            active=record["state"] != "cleared",
            cleared_ts=float(record["ts"]) if record["state"] == "cleared" else None,
            asset_class=asset_class if isinstance(asset_class, str) else None,
        )
        alarm._reschedule(policy, announced_at)
        return alarm

    def condition(
        self, record: Mapping[str, Any], announced_at: float, policy: AlarmPolicy | None = None
    ) -> bool:
        """Fold a later condition record of this episode; False when it changes nothing.

        A record older than the newest one folded, or a repeat of it (same state and event
        time: a redelivery), is ignored. ``announced_at`` is the record's Kafka timestamp: an
        update that makes the alarm critical starts the escalation clock from it.
        """
        ts = float(record["ts"])
        state = str(record["state"])
        if ts < self.event_ts or (ts == self.event_ts and state == self.last_state):
            return False
        if self.last_state == "cleared" and state != "cleared":
            return False  # an episode clears once; nothing follows its clear
        self.event_ts = ts
        self.last_state = state
        self.severity = str(record["severity"])
        self.message = str(record["message"])
        self.score = float(record["score"])
        self.threshold = float(record["threshold"])
        if state == "cleared":
            self.active = False
            self.cleared_ts = ts
        self._reschedule(policy, announced_at)
        return True

    # ---- alarm handling ---------------------------------------------------------------------

    def decide(self, action: OperatorAction) -> Decision:
        """What an operator action does to this alarm (nothing is changed here: :meth:`apply`
        the returned transition)."""
        kind = _ACTION_KIND[action.action]
        tid = transition_id(self.alert_id, kind.value, action.ack_id)
        if tid in self.applied:
            return Decision("duplicate")
        make = _Maker(tid, kind, action.ts, action.by)
        if kind is AlarmTransition.ACKNOWLEDGED:
            if self.acked_at is not None:
                return Decision("noop", reason=f"already acknowledged by {self.acked_by}")
            return Decision("applied", make())
        if kind is AlarmTransition.SHELVED:
            if self.closed:
                return Decision("rejected", reason="a closed alarm cannot be shelved")
            if action.shelve_s is None:
                return Decision("rejected", reason="shelve needs shelve_s")
            return Decision("applied", make(shelved_until=action.ts + action.shelve_s))
        if kind is AlarmTransition.UNSHELVED:
            if self.shelved_until is None:
                return Decision("noop", reason="not shelved")
            return Decision("applied", make())
        if kind is AlarmTransition.NOTED:
            if not action.note:
                return Decision("rejected", reason="note needs a text")
            return Decision("applied", make(note=action.note))
        if self.outcome is not None:
            return Decision(
                "rejected", reason=f"outcome already recorded: {self.outcome} by {self.outcome_by}"
            )
        if action.outcome is None:
            return Decision("rejected", reason="outcome needs fault_confirmed or no_fault_found")
        return Decision("applied", make(outcome=action.outcome, note=action.note))

    def due(self, now: float, policy: AlarmPolicy) -> Transition | None:
        """The transition the wall clock ``now`` makes due, if any: the end of a shelving,
        else the next escalation. Call again until it returns None (one step at a time)."""
        until = self.shelved_until
        if until is not None and now >= until and not self.closed:
            cause = f"timer:{round(until * 1000.0)}"
            tid = transition_id(self.alert_id, AlarmTransition.UNSHELVED.value, cause)
            return _Maker(tid, AlarmTransition.UNSHELVED, until, TIMER_ACTOR)()
        deadline = self.next_due
        if deadline is not None and now >= deadline:
            level = self.level + 1
            tid = transition_id(self.alert_id, AlarmTransition.ESCALATED.value, f"level:{level}")
            return _Maker(tid, AlarmTransition.ESCALATED, deadline, TIMER_ACTOR)(level=level)
        return None

    def apply(self, transition: Transition, policy: AlarmPolicy | None = None) -> bool:
        """Fold an alarm-handling transition (decided here or read from the alerts topic);
        False when its id was applied already."""
        if transition.transition_id in self.applied:
            return False
        self.applied.append(transition.transition_id)
        del self.applied[:-APPLIED_IDS_KEPT]
        kind = transition.kind
        base = transition.ts
        if kind is AlarmTransition.ACKNOWLEDGED:
            if self.acked_at is None:
                self.acked_at = transition.ts
                self.acked_by = transition.by
        elif kind is AlarmTransition.SHELVED:
            self.shelved_until = transition.shelved_until
            self.shelved_by = transition.by
        elif kind is AlarmTransition.UNSHELVED:
            self.shelved_until = None
            self.shelved_by = None
        elif kind is AlarmTransition.ESCALATED:
            self.level = max(self.level, transition.level or self.level + 1)
            self.escalated_at = transition.ts
            self.next_due = None
        elif kind is AlarmTransition.NOTED:
            self._add_note(transition)
        else:
            self.outcome = transition.outcome
            self.outcome_by = transition.by
            if transition.note:
                self._add_note(transition)
        self._reschedule(policy, base)
        return True

    def transition_record(self, transition: Transition) -> dict[str, Any]:
        """The alerts-topic record of ``transition`` (``schemas.Alert`` wire form)."""
        return {
            "v": 1,
            "alert_id": self.alert_id,
            "domain": self.domain,
            "alert_type": self.alert_type,
            "asset_id": self.asset_id,
            "severity": self.severity,
            "state": transition.kind.value,
            "ts": transition.ts,
            "first_ts": self.first_ts,
            "score": self.score,
            "threshold": self.threshold,
            "message": self._message(transition),
            "evidence": {"top_features": [], "model_version": ""},
            "transition_id": transition.transition_id,
            "by": transition.by,
            "note": transition.note,
            "shelved_until": transition.shelved_until,
            "outcome": transition.outcome,
            "level": transition.level,
        }

    # ---- state form -------------------------------------------------------------------------

    def to_dict(self, with_notes: bool = False) -> dict[str, Any]:
        """Plain JSON-able data (note texts only ``with_notes``: the agent keeps just a count)."""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["notes"] = [list(n) for n in self.notes] if with_notes else []
        data["applied"] = list(self.applied)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alarm:
        """Rebuild from :meth:`to_dict` output; raises ``ValueError`` if it does not fit."""
        try:
            values = {name: data[name] for name in _FIELDS}
            notes = [(float(t), str(b), str(n)) for t, b, n in data.get("notes", [])]
            return cls(**values, notes=notes, applied=[str(i) for i in data.get("applied", [])])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"unreadable alarm state: {exc!r}") from None

    # ---- internals --------------------------------------------------------------------------

    def _add_note(self, transition: Transition) -> None:
        self.note_count += 1
        self.notes.append((transition.ts, transition.by, transition.note or ""))
        del self.notes[:-NOTES_KEPT]

    def _reschedule(self, policy: AlarmPolicy | None, base: float) -> None:
        """Set or drop the next re-notification deadline after a change (agent only)."""
        if policy is None:
            return
        escalates = (
            self.active
            and self.acked_at is None
            and self.shelved_until is None
            and self.level < policy.max_escalations
            and Severity(self.severity) >= policy.severity
        )
        if not escalates:
            self.next_due = None
        elif self.next_due is None:
            self.next_due = base + policy.escalate_after_s

    def _message(self, t: Transition) -> str:
        head = f"{self.alert_type} {self.severity.upper()} on {self.asset_id}"
        kind = t.kind
        if kind is AlarmTransition.ACKNOWLEDGED:
            waited = format_duration(t.ts - self.raised_at)
            return f"{head}: acknowledged by {t.by} {waited} after it was raised"
        if kind is AlarmTransition.SHELVED:
            until = t.shelved_until if t.shelved_until is not None else t.ts
            return f"{head}: shelved by {t.by} until {_clock_text(until)}"
        if kind is AlarmTransition.UNSHELVED:
            why = "shelving time over" if t.by == TIMER_ACTOR else f"by {t.by}"
            return f"{head}: unshelved ({why})"
        if kind is AlarmTransition.ESCALATED:
            waited = format_duration(t.ts - self.raised_at)
            return f"{head}: unacknowledged for {waited}, re-notified, escalated to level {t.level}"
        if kind is AlarmTransition.NOTED:
            return f"{head}: note by {t.by}: {t.note}"
        outcome = (t.outcome or "").replace("_", " ")
        return f"{head}: inspection by {t.by}: {outcome}"


_FIELDS = tuple(name for name in Alarm.__dataclass_fields__ if name not in {"notes", "applied"})


class _Maker:
    """Builds a :class:`Transition` with the common fields bound (keeps decide/due short)."""

    __slots__ = ("by", "kind", "tid", "ts")

    def __init__(self, tid: str, kind: AlarmTransition, ts: float, by: str) -> None:
        self.tid = tid
        self.kind = kind
        self.ts = ts
        self.by = by

    def __call__(
        self,
        *,
        note: str | None = None,
        shelved_until: float | None = None,
        outcome: str | None = None,
        level: int | None = None,
    ) -> Transition:
        return Transition(
            self.kind, self.tid, self.ts, self.by, note, shelved_until, outcome, level
        )
