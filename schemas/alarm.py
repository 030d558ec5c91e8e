"""Operator actions on alarms (topic ``alert_acks``) and the validating decoder of alert records.

* :class:`AlarmAction` (topic ``alert_acks``, key = the alert's asset id, so it is
  co-partitioned with the alerts topic): an operator - through the operations console or any
  other client - acknowledges an alarm, shelves it for a time, lifts the shelving, adds a note
  or records what the inspection found. ``by`` says who and ``ts`` when. The alarm agent
  (:mod:`agents.alarms.engine`) turns each into one transition on the alerts topic.
* :func:`decode_alert`: the alerts topic is written by aiot's own engines, but the alarm agent
  reads it as input all the same, so a malformed record becomes a dead letter, not a crash.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal, cast, get_args

from schemas.alert import (
    ALERT_STATES,
    INSPECTION_OUTCOMES,
    SEVERITIES,
    Alert,
    InspectionOutcome,
)
from schemas.base import FieldRange, WireRecord, doc
from schemas.errors import ValidationError
from schemas.validation import (
    _bounded,
    _identifier,
    _load_object,
    _missing,
    _number,
    _optional_text,
    _show,
    _timestamp,
)
from schemas.vehicle import _enum

__all__ = [
    "ACTION_RANGES",
    "ALARM_ACTIONS",
    "MAX_ACTOR_CHARS",
    "MAX_NOTE_CHARS",
    "AlarmAction",
    "AlarmActionKind",
    "check_actor",
    "decode_alarm_action",
    "decode_alert",
]

AlarmActionKind = Literal["acknowledge", "shelve", "unshelve", "note", "outcome"]
"""What an operator does to an alarm."""

ALARM_ACTIONS: tuple[str, ...] = get_args(AlarmActionKind)

MAX_NOTE_CHARS = 2000
"""Longest accepted note (characters)."""

MAX_ACTOR_CHARS = 128
"""Longest accepted ``by`` (characters)."""

ACTION_RANGES: Mapping[str, FieldRange] = MappingProxyType(
    {
        "shelve_s": FieldRange(
            1, 7 * 86400, "s", "How long to shelve (shelve only): at most a week."
        ),
    }
)
"""Bounded numeric fields of :class:`AlarmAction`."""

_ACTIONS = frozenset(ALARM_ACTIONS)
_OUTCOMES = frozenset(INSPECTION_OUTCOMES)
_STATES = frozenset(ALERT_STATES)
_SEVERITIES = frozenset(SEVERITIES)
_SHELVE = ACTION_RANGES["shelve_s"]


@dataclass(frozen=True, slots=True)
class AlarmAction(WireRecord):
    """An operator's action on one alarm (alert episode), with who and when."""

    SCHEMA_VERSION: ClassVar[int] = 1
    RANGES: ClassVar[Mapping[str, FieldRange]] = ACTION_RANGES
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"ack_id", "alert_id", "asset_id"})

    ack_id: str = field(
        metadata=doc("Id of this action, unique per action (a retried send reuses it: dedup).")
    )
    alert_id: str = field(metadata=doc("The alarm: the alert episode's alert_id."))
    asset_id: str = field(
        metadata=doc("The alert's asset (vehicle, worker pseudonym, zone); the Kafka key.")
    )
    action: AlarmActionKind = field(
        metadata=doc("acknowledge, shelve, unshelve, note or outcome (inspection outcome).")
    )
    by: str = field(metadata=doc("Who: the operator's name or user id (1-128 characters)."))
    ts: float = field(metadata=doc("When: wall-clock time of the action, Unix seconds."))
    shelve_s: float | None = None
    note: str | None = field(
        default=None,
        metadata=doc("Text of a note (required for note; optional with outcome), <= 2000 chars."),
    )
    outcome: InspectionOutcome | None = field(
        default=None,
        metadata=doc(
            "What the inspection found (required for outcome): fault_confirmed or no_fault_found."
        ),
    )


def _actor(obj: dict[str, Any]) -> str:
    """Return ``by``: 1-128 printable characters, not blank."""
    try:
        value = obj["by"]
    except KeyError:
        raise _missing("by") from None
    return check_actor(value)


def check_actor(value: Any) -> str:
    """Return who acted, stripped: 1-128 printable characters, not blank; else
    :class:`ValidationError` (``wrong_type`` or ``out_of_range``)."""
    if type(value) is not str:
        raise ValidationError("wrong_type", f"by={_show(value)} is not a string")
    text = value.strip()
    if not text or len(text) > MAX_ACTOR_CHARS or not value.isprintable():
        raise ValidationError(
            "out_of_range", f"by={_show(value)} must be 1-{MAX_ACTOR_CHARS} printable characters"
        )
    return text


def _note(obj: dict[str, Any], required: bool) -> str | None:
    """Return the optional (or required) note, at most :data:`MAX_NOTE_CHARS` long."""
    text = _optional_text(obj, "note")
    if text is not None:
        text = text.strip() or None
    if text is None:
        if required:
            raise _missing("note")
        return None
    if len(text) > MAX_NOTE_CHARS:
        raise ValidationError(
            "out_of_range", f"note has {len(text)} characters, at most {MAX_NOTE_CHARS}"
        )
    return text


def decode_alarm_action(
    raw: bytes, *, now: float, min_event_time: float, max_future_skew_s: float
) -> AlarmAction:
    """Parse and validate one operator action; raise :class:`ValidationError` if invalid.

    Each action carries exactly what it needs: ``shelve_s`` for shelve, ``note`` for note,
    ``outcome`` for outcome (with an optional note); fields another action would use are
    ignored.
    """
    obj = _load_object(raw)
    ack_id = _identifier(obj, "ack_id")
    alert_id = _identifier(obj, "alert_id")
    asset_id = _identifier(obj, "asset_id")
    action = _enum(obj, "action", _ACTIONS)
    by = _actor(obj)
    ts = _timestamp(obj, now, min_event_time, max_future_skew_s)
    shelve_s = None
    note = None
    outcome = None
    if action == "shelve":
        shelve_s = _bounded(obj, "shelve_s", _SHELVE.low, _SHELVE.high, _SHELVE.interval())
    elif action == "note":
        note = _note(obj, required=True)
    elif action == "outcome":
        outcome = cast(InspectionOutcome, _enum(obj, "outcome", _OUTCOMES))
        note = _note(obj, required=False)
    return AlarmAction(
        ack_id=ack_id,
        alert_id=alert_id,
        asset_id=asset_id,
        action=cast(AlarmActionKind, action),
        by=by,
        ts=ts,
        shelve_s=shelve_s,
        note=note,
        outcome=outcome,
    )


def _finite(obj: dict[str, Any], name: str) -> float:
    """A finite number (any value)."""
    value = _number(obj, name)
    if not math.isfinite(value):
        raise ValidationError("not_finite", f"{name}={_show(obj[name])} is not finite")
    return value


def _text(obj: dict[str, Any], name: str) -> str:
    """A required string field."""
    try:
        value = obj[name]
    except KeyError:
        raise _missing(name) from None
    if type(value) is not str:
        raise ValidationError("wrong_type", f"{name}={_show(value)} is not a string")
    return value


def decode_alert(raw: bytes) -> Alert:
    """Parse and check one alerts-topic record (condition or alarm-handling transition).

    The time window is not checked (alerts replayed from the topic's retention are valid);
    everything a consumer relies on is: ids, enums, finite numbers and an evidence object.
    """
    obj = _load_object(raw)
    evidence = obj.get("evidence")
    if type(evidence) is not dict:
        raise ValidationError("wrong_type", f"evidence={_show(evidence)} is not an object")
    shelved_until = obj.get("shelved_until")
    level = obj.get("level")
    if level is not None and (type(level) is not int or level < 1):
        raise ValidationError("wrong_type", f"level={_show(level)} is not a positive integer")
    outcome = obj.get("outcome")
    if outcome is not None and outcome not in _OUTCOMES:
        raise ValidationError("bad_enum", f"outcome={_show(outcome)} is not an outcome")
    transition_id = obj.get("transition_id")
    return Alert(
        alert_id=_identifier(obj, "alert_id"),
        domain=_identifier(obj, "domain"),
        alert_type=_identifier(obj, "alert_type"),
        asset_id=_identifier(obj, "asset_id"),
        severity=cast(Any, _enum(obj, "severity", _SEVERITIES)),
        state=cast(Any, _enum(obj, "state", _STATES)),
        ts=_finite(obj, "ts"),
        first_ts=_finite(obj, "first_ts"),
        score=_finite(obj, "score"),
        threshold=_finite(obj, "threshold"),
        message=_text(obj, "message"),
        evidence=evidence,
        transition_id=None if transition_id is None else _identifier(obj, "transition_id"),
        by=_optional_text(obj, "by"),
        note=_optional_text(obj, "note"),
        shelved_until=None if shelved_until is None else _finite(obj, "shelved_until"),
        outcome=outcome,
        level=level,
    )
