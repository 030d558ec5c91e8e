"""Workforce-safety records: wearable telemetry and zone presence, with their validation.

* :class:`WearableTelemetry` (topic ``wearables``, key = pseudonymous worker id): one summary
  window of a worker's wearable as it leaves the site's edge gateway - the worker id already
  pseudonymised, raw biometrics (heart rate in bpm, ECG, PPG, ...) already dropped. Heart rate
  travels only as ``hr_ratio``, the wearable's on-device ratio of the current heart rate to the
  wearable's own resting reference (dimensionless; the reference never leaves the device).
* :class:`ZonePresence` (topic ``zone_presence``, key = zone id): the safety worker agent's
  repartition of a worker's whereabouts to the zone that worker is in, so one zone agent sees
  every worker in that zone. Derived data only: pseudonym, zone, moving/stationary, since when.

``WEARABLE_RANGES`` and ``PRESENCE_RANGES`` are the plausible ranges; validation enforces them
and the JSON Schemas publish them. Worker ids must be edge pseudonyms (``p-`` + 20 hex
digits): a raw worker id reaching the cloud is rejected (``bad_id``) instead of processed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal, cast, get_args

from schemas.base import FieldRange, WireRecord, doc
from schemas.errors import ValidationError
from schemas.problems import Problems
from schemas.timestamps import event_time
from schemas.validation import _bounded, _identifier, _load_object, _show, _timestamp

__all__ = [
    "PRESENCE_RANGES",
    "PRESENCE_STATES",
    "PSEUDONYM_REGEX",
    "WEARABLE_RANGES",
    "PresenceState",
    "WearableTelemetry",
    "ZonePresence",
    "decode_presence",
    "decode_wearable",
]

PSEUDONYM_REGEX = "p-[0-9a-f]{20}"
"""Syntax of a pseudonymous worker id as the edge writes it (``edge.privacy.pseudonymise``)."""

_PSEUDONYM = re.compile(PSEUDONYM_REGEX).fullmatch

WEARABLE_RANGES: Mapping[str, FieldRange] = MappingProxyType(
    {
        "window_s": FieldRange(1, 120, "s", "Length of the summary window ending at ts."),
        "x_m": FieldRange(-5000, 5000, "m", "Site position east of the site origin."),
        "y_m": FieldRange(-5000, 5000, "m", "Site position north of the site origin."),
        "steps": FieldRange(0, 600, "", "Steps counted in the window."),
        "cadence_spm": FieldRange(
            0, 250, "steps/min", "Cadence of the window's walking bouts (0 without steps)."
        ),
        "stride_cv": FieldRange(
            0, 2, "", "Coefficient of variation of step intervals (gait irregularity)."
        ),
        "accel_mean_g": FieldRange(0, 16, "g", "Mean acceleration magnitude over the window."),
        "accel_std_g": FieldRange(
            0, 16, "g", "Standard deviation of the acceleration magnitude (motion)."
        ),
        "accel_peak_g": FieldRange(
            0, 64, "g", "Peak acceleration magnitude in the window (impacts)."
        ),
    }
)
"""Required numeric wearable field -> plausible range, unit and meaning (in wire order)."""

OPTIONAL_RANGES: Mapping[str, FieldRange] = MappingProxyType(
    {
        "tilt_deg": FieldRange(0, 180, "deg", "Trunk tilt from upright at the window's end."),
        "hr_ratio": FieldRange(
            0.3, 4, "", "Heart rate over the wearable's own resting reference (on-device)."
        ),
    }
)
"""Optional numeric wearable fields (null or absent when the sensor has no value)."""

PresenceState = Literal["moving", "stationary", "left"]
"""A worker's state in a zone: moving, stationary (no steps, no displacement) or gone."""

PRESENCE_STATES: tuple[str, ...] = get_args(PresenceState)

PRESENCE_RANGES: Mapping[str, FieldRange] = MappingProxyType(
    {
        "x_m": WEARABLE_RANGES["x_m"],
        "y_m": WEARABLE_RANGES["y_m"],
    }
)


@dataclass(frozen=True, slots=True)
class WearableTelemetry(WireRecord):
    """One summary window of a worker's wearable, pseudonymised and without raw biometrics."""

    SCHEMA_VERSION: ClassVar[int] = 1
    RANGES: ClassVar[Mapping[str, FieldRange]] = MappingProxyType(
        {**WEARABLE_RANGES, **OPTIONAL_RANGES}
    )
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"worker_id", "device_id", "site"})

    worker_id: str = field(
        metadata=doc("Pseudonymous worker id (p- + 20 hex digits); the Kafka message key.")
    )
    ts: float = field(metadata=event_time("Event time: end of the summary window, Unix seconds."))
    # The numeric fields below are documented (meaning, unit, range) in WEARABLE_RANGES.
    window_s: float
    x_m: float
    y_m: float
    steps: float
    cadence_spm: float
    stride_cv: float
    accel_mean_g: float
    accel_std_g: float
    accel_peak_g: float
    tilt_deg: float | None = field(default=None)
    hr_ratio: float | None = field(default=None)
    device_id: str | None = field(
        default=None, metadata=doc("Wearable device id (commands go to it); null if unknown.")
    )
    site: str | None = field(default=None, metadata=doc("Site of the forwarding edge gateway."))


@dataclass(frozen=True, slots=True)
class ZonePresence(WireRecord):
    """A worker's presence in a zone, repartitioned by zone for the zone agent."""

    SCHEMA_VERSION: ClassVar[int] = 1
    RANGES: ClassVar[Mapping[str, FieldRange]] = PRESENCE_RANGES
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"zone_id", "worker_id", "device_id", "site"})

    zone_id: str = field(metadata=doc("Zone of the site map; the Kafka message key."))
    worker_id: str = field(metadata=doc("Pseudonymous worker id."))
    ts: float = field(metadata=doc("Event time of the reading behind this record, Unix seconds."))
    state: PresenceState = field(metadata=doc("moving, stationary or left (the zone)."))
    since: float = field(
        metadata=doc("Event time the worker became stationary (stationary) or ts (otherwise).")
    )
    x_m: float = field(metadata=doc("Position east of the site origin (the stationary anchor)."))
    y_m: float = field(metadata=doc("Position north of the site origin (the stationary anchor)."))
    device_id: str | None = field(default=None, metadata=doc("Wearable device id, if known."))
    site: str | None = field(default=None, metadata=doc("Site id, if known."))


_WEARABLE_SPECS = tuple((n, r.low, r.high, r.interval()) for n, r in WEARABLE_RANGES.items())
_OPTIONAL_SPECS = tuple((n, r.low, r.high, r.interval()) for n, r in OPTIONAL_RANGES.items())
_PRESENCE_SPECS = tuple((n, r.low, r.high, r.interval()) for n, r in PRESENCE_RANGES.items())
_STATES = frozenset(PRESENCE_STATES)


def _pseudonym(obj: dict[str, Any]) -> str:
    """Return ``worker_id``, which must be an edge pseudonym (never a raw worker id)."""
    value = _identifier(obj, "worker_id")
    if not _PSEUDONYM(value):
        raise ValidationError(
            "bad_id", f"worker_id is not a pseudonym matching ^{PSEUDONYM_REGEX}$ (value withheld)"
        )
    return value


def _optional_number(obj: dict[str, Any], spec: tuple[str, float, float, str]) -> float | None:
    """Return an optional bounded number (absent or null gives None)."""
    if obj.get(spec[0]) is None:
        return None
    return _bounded(obj, *spec)


def _optional_id(obj: dict[str, Any], name: str) -> str | None:
    """Return an optional identifier (absent or null gives None)."""
    if obj.get(name) is None:
        return None
    return _identifier(obj, name)


def decode_wearable(
    raw: bytes, *, now: float, min_event_time: float, max_future_skew_s: float
) -> WearableTelemetry:
    """Parse and validate one wearable reading; raise :class:`ValidationError` if invalid.

    Extra fields (e.g. the edge's ``kind`` and ``man_down``) are ignored.
    """
    obj = _load_object(raw)
    take = Problems()
    worker = take(_pseudonym, obj)
    ts = take(_timestamp, obj, now, min_event_time, max_future_skew_s)
    window_s, x, y, steps, cadence, stride_cv, acc_mean, acc_std, acc_peak = (
        take(_bounded, obj, *spec) for spec in _WEARABLE_SPECS
    )
    tilt, hr = (take(_optional_number, obj, spec) for spec in _OPTIONAL_SPECS)
    reading = WearableTelemetry(
        worker_id=worker,
        ts=ts,
        window_s=window_s,
        x_m=x,
        y_m=y,
        steps=steps,
        cadence_spm=cadence,
        stride_cv=stride_cv,
        accel_mean_g=acc_mean,
        accel_std_g=acc_std,
        accel_peak_g=acc_peak,
        tilt_deg=tilt,
        hr_ratio=hr,
        device_id=take(_optional_id, obj, "device_id"),
        site=take(_optional_id, obj, "site"),
    )
    take.done()
    return reading


def decode_presence(
    raw: bytes, *, now: float, min_event_time: float, max_future_skew_s: float
) -> ZonePresence:
    """Parse and validate one zone-presence record; raise :class:`ValidationError` if invalid."""
    obj = _load_object(raw)
    zone = _identifier(obj, "zone_id")
    worker = _pseudonym(obj)
    ts = _timestamp(obj, now, min_event_time, max_future_skew_s)
    state = obj.get("state")
    if state not in _STATES:
        raise ValidationError(
            "bad_enum", f"state={_show(state)} is not one of {', '.join(PRESENCE_STATES)}"
        )
    if "since" not in obj:
        raise ValidationError("missing_field", "since is missing")
    since = _bounded(obj, "since", min_event_time, ts, "[min_event_time, ts]")
    x, y = (_bounded(obj, *spec) for spec in _PRESENCE_SPECS)
    return ZonePresence(
        zone_id=zone,
        worker_id=worker,
        ts=ts,
        state=cast(PresenceState, state),
        since=since,
        x_m=x,
        y_m=y,
        device_id=_optional_id(obj, "device_id"),
        site=_optional_id(obj, "site"),
    )
