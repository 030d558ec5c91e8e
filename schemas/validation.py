"""Decode and validate untrusted input records (hot path: every consumed message).

Each decoder parses with orjson, then checks the fields against precomputed spec tables: no
per-call reflection. A rejected record raises :class:`~schemas.errors.ValidationError` whose
``reason`` is a code from :data:`~schemas.errors.REASONS` and whose ``detail`` names the field,
the value and the bound.

Rules shared by every input record:

* ``v`` may be absent (read as 1); when present it must be the integer 1.
* Unknown extra fields are ignored, so producers may add fields before consumers know them.
* Identifiers match :data:`~schemas.base.ID_PATTERN`; a non-string id is ``bad_id`` too.
* Numbers: JSON integers are accepted for float fields; booleans are not numbers.
* ``NaN``/``Infinity`` tokens (Python's ``json`` writes them) are parsed by a stdlib fallback
  so the offending field is reported as ``not_finite`` rather than the message as malformed.
* Event time ``ts`` is epoch seconds, milliseconds, microseconds or nanoseconds (the unit is
  read from the size, :mod:`schemas.timestamps`) or ISO-8601 text with a UTC offset, and must
  lie in ``[min_event_time, now + max_future_skew_s]``; it is kept as Unix seconds.
* A record with several problems is rejected once, naming every problem
  (:class:`~schemas.problems.Problems`); the reason code is the first problem's.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any, cast

import orjson

from schemas.alert import INSPECTION_OUTCOMES, InspectionOutcome
from schemas.base import ID_PATTERN, ID_REGEX
from schemas.errors import REASONS, ValidationError
from schemas.maintenance import MAINTENANCE_KINDS, MaintenanceEvent, MaintenanceKindName
from schemas.problems import Problems
from schemas.telemetry import TELEMETRY_RANGES, MachineTelemetry
from schemas.timestamps import TimestampError, event_seconds

__all__ = [
    "REASONS",
    "ValidationError",
    "check_lateness",
    "decode_maintenance",
    "decode_telemetry",
]

_ID_MATCH = re.compile(ID_REGEX).fullmatch
_KINDS = frozenset(MAINTENANCE_KINDS)
_KINDS_TEXT = ", ".join(MAINTENANCE_KINDS)
_OUTCOMES = frozenset(INSPECTION_OUTCOMES)
_MAX_SHOWN = 60

_TELEMETRY_SPECS: tuple[tuple[str, float, float, str], ...] = tuple(
    (name, bounds.low, bounds.high, bounds.interval()) for name, bounds in TELEMETRY_RANGES.items()
)
"""(field, low, high, rendered interval) of every bounded telemetry field, in wire order."""


def _show(value: object) -> str:
    """Render an offending value for a detail message, truncated to stay readable."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _iso(ts: float) -> str:
    """Render Unix seconds as UTC ISO-8601 for detail messages (error path only)."""
    try:
        return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return "out of calendar range"


def _parse_lenient(raw: bytes, error: orjson.JSONDecodeError) -> Any:
    """Parse what orjson refused with the stdlib, which accepts ``NaN``/``Infinity`` tokens.

    Anything else the stdlib tolerates but orjson does not (invalid UTF-8, lone surrogates)
    stays ``malformed_json`` with orjson's message.
    """
    try:
        obj = json.loads(bytes(raw).decode("utf-8"))
        orjson.dumps(obj)
    except (ValueError, TypeError, RecursionError):
        raise ValidationError("malformed_json", str(error)) from None
    return obj


def _load_object(raw: bytes) -> dict[str, Any]:
    """Parse ``raw`` to a JSON object and check its schema version."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        obj = _parse_lenient(raw, exc)
    if type(obj) is not dict:
        raise ValidationError(
            "not_an_object", f"top-level JSON value is {type(obj).__name__}, expected an object"
        )
    version = obj.get("v", 1)
    if type(version) is not int or version != 1:
        raise ValidationError("unsupported_version", f"v={_show(version)} unsupported, expected 1")
    return cast(dict[str, Any], obj)


def _missing(name: str) -> ValidationError:
    """Build the error of an absent required field."""
    return ValidationError("missing_field", f"{name} is missing")


def _number(obj: dict[str, Any], name: str) -> float:
    """Return field ``name`` as a finite float (ints accepted, bools and the rest not)."""
    try:
        value = obj[name]
    except KeyError:
        raise _missing(name) from None
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValidationError("not_finite", f"{name}={value!r} is not a finite number")
        return cast(float, value)
    if kind is int:
        try:
            return float(value)
        except OverflowError:
            return math.copysign(math.inf, value)
    raise ValidationError(
        "wrong_type", f"{name}={_show(value)} is {kind.__name__}, expected a number"
    )


def _bounded(obj: dict[str, Any], name: str, low: float, high: float, interval: str) -> float:
    """Return numeric field ``name`` checked against its closed range."""
    value = obj.get(name)
    if type(value) is float and low <= value <= high:
        return cast(float, value)
    value = _number(obj, name)
    if low <= value <= high:
        return value
    raise ValidationError("out_of_range", f"{name}={_show(obj[name])} outside {interval}")


def _identifier(obj: dict[str, Any], name: str) -> str:
    """Return identifier field ``name``, checked against the id pattern."""
    try:
        value = obj[name]
    except KeyError:
        raise _missing(name) from None
    if type(value) is str and _ID_MATCH(value):
        return value
    if type(value) is not str:
        raise ValidationError(
            "bad_id", f"{name}={_show(value)} is {type(value).__name__}, expected a string id"
        )
    raise ValidationError("bad_id", f"{name}={_show(value)} does not match {ID_PATTERN}")


def _time(obj: dict[str, Any], name: str) -> tuple[float, str]:
    """Return time field ``name`` as ``(Unix seconds, unit read)`` (:mod:`schemas.timestamps`)."""
    try:
        value = obj[name]
    except KeyError:
        raise _missing(name) from None
    try:
        return event_seconds(value)
    except TimestampError as exc:
        reason = "not_finite" if type(value) in (float, int) else "wrong_type"
        raise ValidationError(reason, f"{name}={_show(value)} {exc}") from None


def _seconds(obj: dict[str, Any], name: str) -> float:
    """Return time field ``name`` as Unix seconds, without the event-time window."""
    return _time(obj, name)[0]


def _timestamp(
    obj: dict[str, Any], now: float, min_event_time: float, max_future_skew_s: float
) -> float:
    """Return event time ``ts`` in Unix seconds, checked against the accepted window around
    ``now``; a number not in seconds is named with the unit it was read in."""
    ts, unit = _time(obj, "ts")
    shown = f"ts={_show(obj['ts'])}" + (f" read as {unit}" if unit not in ("s", "ISO-8601") else "")
    if ts < min_event_time:
        raise ValidationError(
            "timestamp_too_old",
            f"{shown} ({_iso(ts)}) before min_event_time "
            f"{min_event_time!r} ({_iso(min_event_time)})",
        )
    latest = now + max_future_skew_s
    if ts > latest:
        raise ValidationError(
            "timestamp_in_future",
            f"{shown} ({_iso(ts)}) is {ts - now:.3f} s ahead of now {now!r}, "
            f"max skew {max_future_skew_s!r} s",
        )
    return ts


def _optional_text(obj: dict[str, Any], name: str) -> str | None:
    """Return optional free-text field ``name`` (absent or null gives None)."""
    value = obj.get(name)
    if value is None or type(value) is str:
        return value
    raise ValidationError(
        "wrong_type", f"{name}={_show(value)} is {type(value).__name__}, expected a string or null"
    )


def _kind(obj: dict[str, Any]) -> MaintenanceKindName:
    """Return the maintenance ``kind``, one of :data:`MAINTENANCE_KINDS`."""
    try:
        value = obj["kind"]
    except KeyError:
        raise _missing("kind") from None
    if type(value) is str and value in _KINDS:
        return cast(MaintenanceKindName, value)
    raise ValidationError("bad_enum", f"kind={_show(value)} is not one of {_KINDS_TEXT}")


def decode_telemetry(
    raw: bytes, *, now: float, min_event_time: float, max_future_skew_s: float
) -> MachineTelemetry:
    """Parse and validate one telemetry message; raise :class:`ValidationError` if invalid.

    ``now`` is the wall clock (Unix seconds) the future-skew bound is measured from.
    """
    obj = _load_object(raw)
    take = Problems()
    asset_id = take(_identifier, obj, "asset_id")
    asset_class = take(_identifier, obj, "asset_class")
    ts = take(_timestamp, obj, now, min_event_time, max_future_skew_s)
    values = [take(_bounded, obj, *spec) for spec in _TELEMETRY_SPECS]
    take.done()
    return MachineTelemetry(asset_id, asset_class, ts, *values)


def _outcome(obj: dict[str, Any], kind: str) -> InspectionOutcome | None:
    """Return the optional inspection ``outcome``; only an inspection may carry one."""
    value = obj.get("outcome")
    if value is None:
        return None
    if type(value) is not str or value not in _OUTCOMES:
        raise ValidationError(
            "bad_enum", f"outcome={_show(value)} is not one of {', '.join(INSPECTION_OUTCOMES)}"
        )
    if kind != "inspection":
        raise ValidationError(
            "bad_enum", f"outcome={value!r} needs kind 'inspection', not {kind!r}"
        )
    return cast(InspectionOutcome, value)


def decode_maintenance(
    raw: bytes, *, now: float, min_event_time: float, max_future_skew_s: float
) -> MaintenanceEvent:
    """Parse and validate one maintenance message; raise :class:`ValidationError` if invalid."""
    obj = _load_object(raw)
    take = Problems()
    event_id = take(_identifier, obj, "event_id")
    asset_id = take(_identifier, obj, "asset_id")
    asset_class = take(_identifier, obj, "asset_class")
    ts = take(_timestamp, obj, now, min_event_time, max_future_skew_s)
    kind = take(_kind, obj)
    event = MaintenanceEvent(
        event_id=event_id,
        asset_id=asset_id,
        asset_class=asset_class,
        ts=ts,
        kind=kind,
        component=take(_optional_text, obj, "component"),
        note=take(_optional_text, obj, "note"),
        outcome=take(_outcome, obj, kind) if kind is not None else None,
    )
    take.done()
    return event


def check_lateness(ts: float, watermark: float | None, max_lateness_s: float) -> None:
    """Reject event time ``ts`` lagging more than ``max_lateness_s`` behind ``watermark``.

    ``watermark`` is the newest event time seen for the entity (None before its first event).
    Raises :class:`ValidationError` with reason ``timestamp_too_old``.
    """
    if watermark is not None and ts < watermark - max_lateness_s:
        raise ValidationError(
            "timestamp_too_old",
            f"ts={ts!r} is {watermark - ts:.3f} s behind the newest event time of its entity "
            f"{watermark!r}, max lateness {max_lateness_s!r} s",
        )
