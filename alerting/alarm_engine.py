"""The alarm engine: alerts and operator actions in, alarm-handling transitions out.

It keeps, per asset (the key of both input topics, so an asset's alerts and the actions on them
meet in one partition whatever the number of workers), the :class:`~alerting.alarm.Alarm` of
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
* on its timer (:meth:`AlarmEngine.due`) unshelves alarms whose shelving is over and
  re-notifies and escalates unacknowledged critical ones (:class:`~alerting.alarm.AlarmPolicy`).

No Faust here: ``agents/alarms.py`` is the glue.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from alerting.alarm import ALARM_TRANSITIONS, Alarm, AlarmPolicy, Transition
from alerting.alarm import AlarmTransition as Kind
from schemas import MaintenanceEvent, ValidationError, decode_alarm_action, decode_alert
from schemas.alarm import AlarmAction
from streams import Emit, Entry, KeyedEngine, RecordMeta

__all__ = [
    "MAX_ALARMS_PER_ASSET",
    "PENDING_ACTION_S",
    "TRANSITIONS",
    "AlarmEngine",
    "AlarmInputs",
    "AssetAlarms",
]

log = logging.getLogger(__name__)

TRANSITIONS = "alarm_transitions"
"""Logical output topic of the alarm-handling records (mapped to the alerts topic)."""

LABELS = "maintenance"
"""Logical output topic of inspection outcomes on maintenance alarms (the maintenance topic)."""

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


@dataclass(frozen=True, slots=True)
class AlarmInputs:
    """The Kafka topic names of the engine's two inputs."""

    alerts: str
    actions: str


@dataclass(frozen=True, slots=True)
class _Bounds:
    """Event-time bounds operator actions are validated with."""

    min_event_time: float
    max_future_skew_s: float


class AlarmEngine(KeyedEngine[AssetAlarms]):
    """Alarm states of one worker's partitions (see the module docstring)."""

    def __init__(
        self,
        policy: AlarmPolicy,
        inputs: AlarmInputs,
        load_state: Callable[[str], bytes | None],
        *,
        min_event_time: float,
        max_future_skew_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            load_state,
            AssetAlarms.from_bytes,
            1,
            _Bounds(min_event_time, max_future_skew_s),
            clock,
        )
        self.policy = policy
        self.inputs = inputs
        self.actions: Counter[tuple[str, str]] = Counter()
        self.skipped_own = 0
        self._timed: dict[str, None] = {}

    # ---- input ------------------------------------------------------------------------------

    def handle(self, raw: bytes, meta: RecordMeta) -> list[Emit]:
        """Process one record of either input; never raises on bad input."""
        if meta.topic == self.inputs.alerts:
            return self.handle_alert(raw, meta)
        return self.handle_action(raw, meta)

    def handle_alert(self, raw: bytes, meta: RecordMeta) -> list[Emit]:
        """Fold one alerts-topic record; retry the actions that waited for its alarm."""
        try:
            alert = decode_alert(raw)
        except ValidationError as err:
            return [self.dead_letter(raw, err, meta, self._clock())]
        if alert.state in ALARM_TRANSITIONS:
            self.skipped_own += 1
            return []
        record = alert.to_dict()
        announced = meta.timestamp or alert.ts
        entry = self.cache.entry(alert.asset_id, meta.partition, AssetAlarms)
        state = entry.state
        alarm = state.alarms.get(alert.alert_id)
        if alarm is None:
            state.add(Alarm.from_condition(record, announced, self.policy))
        elif not alarm.condition(record, announced, self.policy):
            return []
        entry.flush_soon()  # alarm states are rare and must survive a restart
        out = self._retry_pending(entry, alert.alert_id)
        self._track(alert.asset_id, state)
        return out

    def handle_action(self, raw: bytes, meta: RecordMeta) -> list[Emit]:
        """Apply one operator action to its alarm, or keep it until the alarm is seen."""
        now = self._clock()
        try:
            action = decode_alarm_action(raw, now=now, **self.time_bounds)
        except ValidationError as err:
            return [self.dead_letter(raw, err, meta, now)]
        key = meta.key.decode("utf-8", "replace") if meta.key is not None else action.asset_id
        if key != action.asset_id:
            mismatch = ValidationError(
                "bad_id",
                f"message key {key!r} is not the action's asset_id {action.asset_id!r}: "
                "key actions by the alert's asset so they meet its alerts",
            )
            return [self.dead_letter(raw, mismatch, meta, now)]
        entry = self.cache.entry(action.asset_id, meta.partition, AssetAlarms)
        state = entry.state
        alarm = state.alarms.get(action.alert_id)
        if alarm is None:
            out = self._wait(entry, raw, meta, now)
        else:
            out = self._act(entry, alarm, action, raw, meta, now)
        self._track(action.asset_id, state)
        return out

    # ---- timer ------------------------------------------------------------------------------

    def due(self) -> list[Emit]:
        """Transitions the wall clock makes due (unshelve, escalate) and expired waiting actions."""
        now = self._clock()
        out: list[Emit] = []
        for key in list(self._timed):
            entry = self.cache.get(key)
            if entry is None:
                del self._timed[key]
                continue
            state = entry.state
            for alarm in state.alarms.values():
                while (transition := alarm.due(now, self.policy)) is not None:
                    alarm.apply(transition, self.policy)
                    out.append(self._transition_emit(alarm, transition))
                    entry.flush_soon()
            out.extend(self._expire(entry, now))
            self._track(key, state)
        return out

    def adopt(self, keys: Iterable[tuple[str, int]]) -> int:
        """Load the stored states of ``(asset, partition)`` pairs (after an assignment) so the
        timer sees alarms of assets that have no new input; returns how many have timers."""
        timed = 0
        for key, partition in keys:
            entry = self.cache.entry(key, partition, AssetAlarms)
            self._track(key, entry.state)
            timed += key in self._timed
        return timed

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
    ) -> list[Emit]:
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
        entry.flush_soon()
        out = [self._transition_emit(alarm, transition)]
        if transition.kind is Kind.INSPECTED and alarm.domain == "maintenance":
            label = self._label(alarm, transition)
            if label is not None:
                out.append(label)
        return out

    def _wait(
        self, entry: Entry[AssetAlarms], raw: bytes, meta: RecordMeta, now: float
    ) -> list[Emit]:
        """Keep an action whose alarm is not known yet; the oldest beyond the cap is refused."""
        state = entry.state
        key = None if meta.key is None else meta.key.decode("utf-8", "replace")
        state.pending.append([now, meta.topic, meta.partition, meta.offset, key, raw.decode()])
        entry.flush_soon()
        self.actions[("any", "waiting")] += 1
        if len(state.pending) <= MAX_PENDING:
            return []
        return self._refuse(state.pending.pop(0), "too many actions waiting for unknown alarms")

    def _retry_pending(self, entry: Entry[AssetAlarms], alert_id: str) -> list[Emit]:
        """Apply the waiting actions that name ``alert_id`` (in arrival order)."""
        state = entry.state
        if not state.pending:
            return []
        out: list[Emit] = []
        keep = []
        for item in state.pending:
            raw = str(item[5]).encode()
            action = decode_alarm_action(raw, now=float(item[0]), **self.time_bounds)
            if action.alert_id != alert_id:
                keep.append(item)
                continue
            meta = RecordMeta(str(item[1]), int(item[2]), int(item[3]), _key(item[4]))
            out.extend(self._act(entry, state.alarms[alert_id], action, raw, meta, self._clock()))
        state.pending = keep
        return out

    def _expire(self, entry: Entry[AssetAlarms], now: float) -> list[Emit]:
        state = entry.state
        expired = [p for p in state.pending if now - float(p[0]) >= PENDING_ACTION_S]
        if not expired:
            return []
        state.pending = [p for p in state.pending if now - float(p[0]) < PENDING_ACTION_S]
        entry.flush_soon()
        out: list[Emit] = []
        for item in expired:
            out.extend(self._refuse(item, f"no such alert seen within {PENDING_ACTION_S:.0f} s"))
        return out

    def _refuse(self, item: list[Any], why: str) -> list[Emit]:
        raw = str(item[5]).encode()
        meta = RecordMeta(str(item[1]), int(item[2]), int(item[3]), _key(item[4]))
        alert_id = orjson.loads(raw).get("alert_id")
        self.actions[("any", "rejected")] += 1
        err = ValidationError("not_applicable", f"alert {alert_id} unknown on this asset: {why}")
        return [self.dead_letter(raw, err, meta, self._clock())]

    def _transition_emit(self, alarm: Alarm, transition: Transition) -> Emit:
        return Emit(
            TRANSITIONS,
            alarm.asset_id.encode(),
            orjson.dumps(alarm.transition_record(transition)),
            (alarm.domain, alarm.alert_type, transition.kind.value),
        )

    def _label(self, alarm: Alarm, transition: Transition) -> Emit | None:
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
        return Emit(LABELS, alarm.asset_id.encode(), event.to_json())

    def _track(self, key: str, state: AssetAlarms) -> None:
        if state.timed:
            self._timed[key] = None
        else:
            self._timed.pop(key, None)


def _key(text: Any) -> bytes | None:
    return None if text is None else str(text).encode()
