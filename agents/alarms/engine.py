"""The alarm engine: alerts and operator actions in, alarm-handling transitions out.

It keeps, per asset (the key of both inputs, so an asset's alerts and the actions on them meet
in one partition whatever the number of workers), the :class:`~agents.alarms.alarm.Alarm` of
each of its alert episodes, and:

* folds every condition record (``raised`` / ``updated`` / ``cleared``) of the alerts topic,
  taking the record's Kafka timestamp as the annunciation time; its own alarm-handling records
  on the same topic are skipped, so it never loops on its output;
* turns every operator action (``acknowledge``, ``shelve``, ``unshelve``, ``note``,
  ``outcome``) into one transition on the alerts topic - or into nothing for a repeat (same
  action id) or a no-op (acknowledging twice), or into a ``not_applicable`` dead letter when it
  does not apply; an inspection outcome on a maintenance alarm also goes to the maintenance
  topic as a delayed label (an ``inspection`` event with its ``outcome``);
* keeps an action whose alarm it has not seen yet (the two topics are read independently) for
  :data:`PENDING_ACTION_S` wall-clock seconds, then dead-letters it;
* on the worker's timer (:meth:`AlarmEngine.tick`) unshelves alarms whose shelving is over and
  re-notifies and escalates unacknowledged critical ones
  (:class:`~agents.alarms.alarm.AlarmPolicy`); after an assignment the runtime hands it the
  stored alarms of its partitions (:meth:`AlarmEngine.reload`), so an alarm escalates on time
  after a restart or a rebalance even if its asset sends nothing new.

No Faust here: :mod:`agents.alarms.domain` declares it to the runtime.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from agents.alarms.alarm import ALARM_TRANSITIONS, Alarm, AlarmPolicy, Transition
from agents.alarms.alarm import AlarmTransition as Kind
from app.core import Entry, KeyedEngine, Output, RecordMeta, Route, StateLoader, StreamLimits
from app.core.alerting.state import AlertState
from schemas import Alert, MaintenanceEvent, ValidationError, decode_alarm_action, decode_alert
from schemas.alarm import AlarmAction

__all__ = [
    "ACTIONS",
    "ALERTS",
    "LABELS",
    "MAX_ALARMS_PER_ASSET",
    "PENDING_ACTION_S",
    "AlarmEngine",
    "AssetAlarms",
]

log = logging.getLogger(__name__)

ALERTS = "alerts"
"""Logical input of the alerts topic, and logical output of the alarm-handling records."""

ACTIONS = "actions"
"""Logical input of the operator actions (the acks topic)."""

LABELS = "labels"
"""Logical output of inspection outcomes on maintenance alarms (the maintenance topic)."""

PENDING_ACTION_S = 600.0
"""Wall-clock seconds an action waits for its alarm before it is dead-lettered."""

MAX_PENDING = 16
"""Actions waiting for their alarm, per asset (the oldest is dead-lettered beyond)."""

MAX_ALARMS_PER_ASSET = 32
"""Alarms kept per asset; closed ones go first, then the oldest."""

_STATE_VERSION = 1


class AssetAlarms:
    """The alarms of one asset and the actions waiting for an alarm not seen yet.

    ``pending`` holds ``[received wall time, topic, partition, offset, key, raw action]``.
    """

    __slots__ = ("alarms", "pending")

    def __init__(self) -> None:
        self.alarms: dict[str, Alarm] = {}
        self.pending: list[list[Any]] = []

    @property
    def timed(self) -> bool:
        """Whether the timer has something to do here (deadline, shelving or waiting action)."""
        return bool(self.pending) or any(
            a.next_due is not None or a.shelved_until is not None for a in self.alarms.values()
        )

    def add(self, alarm: Alarm) -> None:
        """Keep a new alarm, dropping closed ones (oldest first), then the oldest, past the cap."""
        self.alarms[alarm.alert_id] = alarm
        while len(self.alarms) > MAX_ALARMS_PER_ASSET:
            victim = next((k for k, a in self.alarms.items() if a.closed), None)
            del self.alarms[victim if victim is not None else next(iter(self.alarms))]

    def to_bytes(self) -> bytes:
        """The table value: versioned JSON (alarm states without note texts)."""
        return orjson.dumps(
            {
                "v": _STATE_VERSION,
                "alarms": [a.to_dict() for a in self.alarms.values()],
                "pending": self.pending,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> AssetAlarms:
        """Rebuild from :meth:`to_bytes`; raises ``ValueError`` when unreadable."""
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"alarm state is not JSON: {exc}") from None
        if type(obj) is not dict or obj.get("v") != _STATE_VERSION:
            raise ValueError("alarm state has an unknown version")
        state = cls()
        for item in obj.get("alarms", []):
            alarm = Alarm.from_dict(item)
            state.alarms[alarm.alert_id] = alarm
        state.pending = [list(p) for p in obj.get("pending", [])]
        return state

    def alerts(self) -> Mapping[str, AlertState]:
        """No alerts of its own: the alarms follow other domains' alerts."""
        return {}


class AlarmEngine(KeyedEngine[AssetAlarms]):
    """Alarm states of one worker's partitions (see the module docstring)."""

    def __init__(
        self,
        policy: AlarmPolicy,
        load_state: StateLoader,
        limits: StreamLimits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(load_state, AssetAlarms.from_bytes, limits, clock)
        self.policy = policy
        self.actions: Counter[tuple[str, str]] = Counter()
        self.skipped_own = 0
        self._timed: dict[str, None] = {}
        self._input: tuple[bytes, RecordMeta] | None = None
        self.route(
            ALERTS,
            Route(
                decode=lambda raw, now: decode_alert(raw),
                key=lambda alert: alert.asset_id,
                create=lambda alert: AssetAlarms(),
                apply=self._on_alert,
            ),
        )
        self.route(
            ACTIONS,
            Route(
                decode=self.timed(decode_alarm_action),
                key=lambda action: action.asset_id,
                create=lambda action: AssetAlarms(),
                apply=self._on_action,
            ),
        )

    # ---- input ------------------------------------------------------------------------------

    def handle(self, raw: bytes, meta: RecordMeta) -> list[Output]:
        """Process one record of either input; never raises on bad input.

        The routes need the raw record and its Kafka metadata besides the decoded record (the
        timestamp is an alarm's annunciation time; the key must be the action's asset; a
        waiting action keeps its bytes and position for a later dead letter): both are held
        for the duration of the call.
        """
        self._input = (raw, meta)
        try:
            return super().handle(raw, meta)
        finally:
            self._input = None

    def _current(self) -> tuple[bytes, RecordMeta]:
        assert self._input is not None, "routes run inside handle()"
        return self._input

    def _on_alert(self, alert: Alert, entry: Entry[AssetAlarms], now: float) -> list[Output]:
        """Fold one alerts-topic record; retry the actions that waited for its alarm."""
        if alert.state in ALARM_TRANSITIONS:
            self.skipped_own += 1
            return []
        record = alert.to_dict()
        announced = self._current()[1].timestamp or alert.ts
        state = entry.state
        alarm = state.alarms.get(alert.alert_id)
        if alarm is None:
            state.add(Alarm.from_condition(record, announced, self.policy))
        elif not alarm.condition(record, announced, self.policy):
            return []
        entry.touch()
        out = self._retry_pending(entry, alert.alert_id)
        self._track(alert.asset_id, state)
        return out

    def _on_action(
        self, action: AlarmAction, entry: Entry[AssetAlarms], now: float
    ) -> list[Output]:
        """Apply one operator action to its alarm, or keep it until the alarm is seen."""
        raw, meta = self._current()
        key = meta.key.decode("utf-8", "replace") if meta.key is not None else action.asset_id
        if key != action.asset_id:
            mismatch = ValidationError(
                "bad_id",
                f"message key {key!r} is not the action's asset_id {action.asset_id!r}: "
                "key actions by the alert's asset so they meet its alerts",
            )
            return [self.dead_letter(raw, mismatch, meta, now)]
        state = entry.state
        alarm = state.alarms.get(action.alert_id)
        if alarm is None:
            out = self._wait(entry, raw, meta, now)
        else:
            out = self._act(entry, alarm, action, raw, meta, now)
        self._track(action.asset_id, state)
        return out

    # ---- timer ------------------------------------------------------------------------------

    def tick(self) -> list[Output]:
        """Transitions the wall clock makes due (unshelve, escalate) and expired waiting actions."""
        now = self._clock()
        out: list[Output] = []
        for key in list(self._timed):
            entry = self.cache.get(key)
            if entry is None:
                del self._timed[key]
                continue
            state = entry.state
            for alarm in state.alarms.values():
                while (transition := alarm.due(now, self.policy)) is not None:
                    alarm.apply(transition, self.policy)
                    out.append(self._transition_output(alarm, transition))
                    entry.touch()
            out.extend(self._expire(entry, now))
            self._track(key, state)
        return out

    def on_reload(self, key: str, entry: Entry[AssetAlarms]) -> None:
        """A stored asset brought back by :meth:`reload`: on the timer if it has deadlines."""
        self._track(key, entry.state)

    @property
    def watched(self) -> int:
        """Assets the timer watches (a deadline, a shelving or a waiting action)."""
        return len(self._timed)

    # ---- figures ----------------------------------------------------------------------------

    def unacknowledged(self) -> Counter[str]:
        """Active unacknowledged alarms held by this worker, by domain."""
        counts: Counter[str] = Counter()
        for state in self.cache.states():
            for alarm in state.alarms.values():
                if alarm.active and alarm.acked_at is None:
                    counts[alarm.domain] += 1
        return counts

    # ---- internals --------------------------------------------------------------------------

    def _act(
        self,
        entry: Entry[AssetAlarms],
        alarm: Alarm,
        action: AlarmAction,
        raw: bytes,
        meta: RecordMeta,
        now: float,
    ) -> list[Output]:
        decision = alarm.decide(action)
        self.actions[(action.action, decision.result)] += 1
        if decision.result == "rejected":
            err = ValidationError(
                "not_applicable",
                f"{action.action} on alarm {action.alert_id} ({alarm.phase.value}): "
                f"{decision.reason}",
            )
            return [self.dead_letter(raw, err, meta, now)]
        transition = decision.transition
        if transition is None:
            log.debug(
                "alarm %s: %s %s (%s)",
                alarm.alert_id,
                action.action,
                decision.result,
                decision.reason,
            )
            return []
        alarm.apply(transition, self.policy)
        entry.touch()
        out = [self._transition_output(alarm, transition)]
        if transition.kind is Kind.INSPECTED and alarm.domain == "maintenance":
            label = self._label(alarm, transition)
            if label is not None:
                out.append(label)
        return out

    def _wait(
        self, entry: Entry[AssetAlarms], raw: bytes, meta: RecordMeta, now: float
    ) -> list[Output]:
        """Keep an action whose alarm is not known yet; the oldest beyond the cap is refused."""
        state = entry.state
        key = None if meta.key is None else meta.key.decode("utf-8", "replace")
        state.pending.append([now, meta.topic, meta.partition, meta.offset, key, raw.decode()])
        entry.touch()
        self.actions[("any", "waiting")] += 1
        if len(state.pending) <= MAX_PENDING:
            return []
        return self._refuse(state.pending.pop(0), "too many actions waiting for unknown alarms")

    def _retry_pending(self, entry: Entry[AssetAlarms], alert_id: str) -> list[Output]:
        """Apply the waiting actions that name ``alert_id`` (in arrival order)."""
        state = entry.state
        if not state.pending:
            return []
        out: list[Output] = []
        keep = []
        for item in state.pending:
            raw = str(item[5]).encode()
            action = decode_alarm_action(raw, now=float(item[0]), **self.limits.time_bounds)
            if action.alert_id != alert_id:
                keep.append(item)
                continue
            meta = _pending_meta(item)
            out.extend(self._act(entry, state.alarms[alert_id], action, raw, meta, self._clock()))
        state.pending = keep
        return out

    def _expire(self, entry: Entry[AssetAlarms], now: float) -> list[Output]:
        state = entry.state
        expired = [p for p in state.pending if now - float(p[0]) >= PENDING_ACTION_S]
        if not expired:
            return []
        state.pending = [p for p in state.pending if now - float(p[0]) < PENDING_ACTION_S]
        entry.touch()
        out: list[Output] = []
        for item in expired:
            out.extend(self._refuse(item, f"no such alert seen within {PENDING_ACTION_S:.0f} s"))
        return out

    def _refuse(self, item: list[Any], why: str) -> list[Output]:
        raw = str(item[5]).encode()
        alert_id = orjson.loads(raw).get("alert_id")
        self.actions[("any", "rejected")] += 1
        err = ValidationError("not_applicable", f"alert {alert_id} unknown on this asset: {why}")
        return [self.dead_letter(raw, err, _pending_meta(item), self._clock())]

    def _transition_output(self, alarm: Alarm, transition: Transition) -> Output:
        return Output(ALERTS, alarm.asset_id, Alert.from_dict(alarm.transition_record(transition)))

    def _label(self, alarm: Alarm, transition: Transition) -> Output | None:
        """The maintenance-topic delayed label of an inspection outcome."""
        if alarm.asset_class is None:
            log.warning("alarm %s has no asset class: inspection label not sent", alarm.alert_id)
            return None
        event = MaintenanceEvent(
            event_id=f"inspection-{transition.transition_id}",
            asset_id=alarm.asset_id,
            asset_class=alarm.asset_class,
            ts=transition.ts,
            kind="inspection",
            note=transition.note,
            outcome=transition.outcome,  # type: ignore[arg-type]
        )
        return Output(LABELS, alarm.asset_id, event)

    def _track(self, key: str, state: AssetAlarms) -> None:
        if state.timed:
            self._timed[key] = None
        else:
            self._timed.pop(key, None)


def _pending_meta(item: list[Any]) -> RecordMeta:
    """The metadata of a waiting action (``[time, topic, partition, offset, key, raw]``)."""
    key = None if item[4] is None else str(item[4]).encode()
    return RecordMeta(ACTIONS, str(item[1]), int(item[2]), int(item[3]), key)
