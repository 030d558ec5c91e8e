"""Event times as devices and other systems send them: epoch numbers of any common unit, or
ISO-8601 text; always Unix seconds inside aiot.

A number's unit is read from its size: an event time between 1973 and 5138 is below 1e11 in
seconds, between 1e11 and 1e14 in milliseconds, between 1e14 and 1e17 in microseconds and
above that in nanoseconds, so the ranges never overlap for any time aiot accepts (after
``AIOT_MIN_EVENT_TIME``, 2000-01-01 by default). Text is ISO-8601 with a UTC offset
(``2024-05-01T12:00:00Z``, ``2024-05-01T14:00:00.250+02:00``); text without an offset is
refused, since its time zone would be a guess.

>>> event_seconds(1714564800)
(1714564800.0, 's')
>>> event_seconds(1714564800250)
(1714564800.25, 'ms')
>>> event_seconds("2024-05-01T12:00:00Z")
(1714564800.0, 'ISO-8601')
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

__all__ = ["UNIT_SCALES", "TimestampError", "event_seconds", "event_time"]

UNIT_SCALES: tuple[tuple[float, str, float], ...] = (
    (1e11, "s", 1.0),
    (1e14, "ms", 1e-3),
    (1e17, "us", 1e-6),
    (math.inf, "ns", 1e-9),
)
"""(upper bound of the magnitude, unit, seconds per unit), smallest unit last."""


ISO_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$"
"""ISO-8601 with a UTC offset, as the JSON Schemas publish it (the decoder accepts these)."""

INPUT_FORMS = (
    " On input: epoch seconds, milliseconds, microseconds or nanoseconds (the unit is read "
    "from the size) or ISO-8601 text with a UTC offset; aiot writes Unix seconds."
)


def event_time(text: str) -> dict[str, Any]:
    """Field metadata of an input time field: its documentation with the accepted forms, and
    the JSON Schema that accepts them (a number, or date-time text)."""
    return {
        "doc": text + INPUT_FORMS,
        "json_schema": {
            "anyOf": [
                {"type": "number"},
                {"type": "string", "format": "date-time", "pattern": ISO_PATTERN},
            ]
        },
    }


class TimestampError(ValueError):
    """A value that is no event time; the message says what was expected."""


def event_seconds(value: object) -> tuple[float, str]:
    """``(Unix seconds, unit read)`` of an event time given as a number or ISO-8601 text.

    Raises :class:`TimestampError` for anything else (booleans, naive or malformed text,
    non-finite numbers).
    """
    kind = type(value)
    if kind is float or kind is int:
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise TimestampError("is not a finite number")
        magnitude = abs(number)
        for bound, unit, scale in UNIT_SCALES:
            if magnitude < bound:
                return number * scale, unit
    if kind is str:
        return _iso_seconds(value), "ISO-8601"  # type: ignore[arg-type]
    raise TimestampError(
        f"is {kind.__name__}, expected epoch seconds/milliseconds or ISO-8601 text"
    )


def _iso_seconds(text: str) -> float:
    """Unix seconds of ISO-8601 ``text`` with a UTC offset."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TimestampError(
            "is not ISO-8601 (e.g. 2024-05-01T12:00:00Z) nor an epoch number"
        ) from None
    if parsed.tzinfo is None:
        raise TimestampError("has no UTC offset: add Z or +hh:mm (e.g. 2024-05-01T12:00:00Z)")
    return parsed.timestamp()
