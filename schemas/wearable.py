"""Workforce-safety records: wearable telemetry and zone presence, with their validation.

* :class:`WearableTelemetry` (topic ``wearables``, key = pseudonymous worker id): one summary
  window of a worker's wearable as it leaves the site's edge gateway - the worker id already
  pseudonymised, raw biometrics (heart rate in bpm, ECG, PPG, ...) already dropped. Heart rate
  travels only as ``hr_ratio``, the wearable's on-device ratio of the current heart rate to the
  wearable's own resting reference (dimensionless; the reference never leaves the device).
* :class:`ImpactFeatures`: carried by a wearable reading the edge computed from raw IMU samples
  (``edge_motion``) when it saw an impact: the features of a candidate fall around it - impact,
  descent and free fall before it, rotation, orientation change, post-impact stillness and the
  activity before - which the safety engine's fall model scores (:mod:`app.edge.motion` computes
  them, :mod:`agents.safety.fall_model` scores them).
* :class:`ZonePresence` (topic ``zone_presence``, key = zone id): the safety worker agent's
  repartition of a worker's whereabouts to the zone that worker is in, so one zone agent sees
  every worker in that zone. Derived data only: pseudonym, zone, moving/stationary, since when.

``WEARABLE_RANGES`` and ``PRESENCE_RANGES`` are the plausible ranges; validation enforces them
and the JSON Schemas publish them. Worker ids must be edge pseudonyms (``p-`` + 20 hex
digits): a raw worker id reaching the cloud is rejected (``bad_id``) instead of processed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal, cast, get_args

from schemas.base import FieldRange, WireRecord, doc, field_names
from schemas.errors import ValidationError
from schemas.problems import Problems
from schemas.timestamps import event_time
from schemas.validation import _bounded, _identifier, _load_object, _show, _timestamp

__all__ = [
    "IMPACT_LENGTHS",
    "IMPACT_RANGES",
    "PRESENCE_RANGES",
    "PRESENCE_STATES",
    "PSEUDONYM_REGEX",
    "WEARABLE_RANGES",
    "ImpactFeatures",
    "PresenceState",
    "WearableTelemetry",
    "ZonePresence",
    "decode_presence",
    "decode_wearable",
]

PSEUDONYM_REGEX = "p-[0-9a-f]{20}"
"""Syntax of a pseudonymous worker id as the edge writes it (``app.edge.privacy.pseudonymise``)."""

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

IMPACT_RANGES: Mapping[str, FieldRange] = MappingProxyType(
    {
        "peak_g": FieldRange(0, 64, "g", "Peak acceleration magnitude of the impact."),
        "age_s": FieldRange(0, 10, "s", "Seconds from the impact's peak to ts."),
        "descent_mean_g": FieldRange(
            0, 64, "g", "Mean acceleration magnitude in 8 bins of 0.2 s over the 1.6 s before."
        ),
        "descent_min_g": FieldRange(
            0, 64, "g", "Lowest acceleration magnitude in the same 8 bins (free fall dips)."
        ),
        "freefall_s": FieldRange(0, 2, "s", "Time below 0.6 g in the second before the impact."),
        "rotation_dps": FieldRange(
            0,
            5000,
            "deg/s",
            "Mean angular speed in 9 bins of 0.2 s from 1.6 s before to 0.2 s after.",
        ),
        "rotation_deg": FieldRange(
            0, 10000, "deg", "Rotation angle from 1.2 s before the impact to 0.1 s after."
        ),
        "gravity_before": FieldRange(
            -1, 1, "", "Unit vector of mean acceleration 2.5-1.5 s before (device axes)."
        ),
        "gravity_after": FieldRange(
            -1, 1, "", "Unit vector of mean acceleration over the last 0.4 s after the impact."
        ),
        "orientation_change_deg": FieldRange(
            0, 180, "deg", "Angle between gravity_before and gravity_after."
        ),
        "post_mean_g": FieldRange(0, 64, "g", "Mean acceleration magnitude after the impact."),
        "post_std_g": FieldRange(
            0, 64, "g", "Standard deviation of the magnitude after the impact (stillness)."
        ),
        "post_dev_g": FieldRange(0, 64, "g", "Mean distance of the magnitude from 1 g after it."),
        "post_bursts": FieldRange(0, 100, "", "Bursts above 1.6 g after the impact."),
        "pre_bursts": FieldRange(0, 100, "", "Bursts above 1.6 g from 3 s to 0.3 s before it."),
        "activity_std_g": FieldRange(
            0, 64, "g", "Standard deviation of the magnitude 4-1.6 s before (activity level)."
        ),
        "activity_mean_g": FieldRange(0, 64, "g", "Mean magnitude 4-1.6 s before the impact."),
        "periodicity": FieldRange(
            -1, 1, "", "Autocorrelation peak (lags 0.2-0.9 s) of the magnitude before the impact."
        ),
    }
)
"""Impact feature -> range of its values, unit and meaning (arrays: range of each item)."""

IMPACT_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "descent_mean_g": 8,
        "descent_min_g": 8,
        "rotation_dps": 9,
        "gravity_before": 3,
        "gravity_after": 3,
    }
)
"""Array-valued impact features -> their fixed length."""


@dataclass(frozen=True, slots=True)
class ImpactFeatures:
    """Features of a candidate fall around one impact, computed at the edge from raw motion.

    Rotation fields are null when the wearable has no gyroscope. Meanings, units and ranges
    are in :data:`IMPACT_RANGES`; the edge sends them for a few ages of each impact.
    """

    RANGES: ClassVar[Mapping[str, FieldRange]] = IMPACT_RANGES
    LENGTHS: ClassVar[Mapping[str, int]] = IMPACT_LENGTHS

    peak_g: float
    age_s: float
    descent_mean_g: tuple[float, ...]
    descent_min_g: tuple[float, ...]
    freefall_s: float
    rotation_dps: tuple[float, ...] | None
    rotation_deg: float | None
    gravity_before: tuple[float, ...]
    gravity_after: tuple[float, ...]
    orientation_change_deg: float
    post_mean_g: float
    post_std_g: float
    post_dev_g: float
    post_bursts: float
    pre_bursts: float
    activity_std_g: float
    activity_mean_g: float
    periodicity: float

    def to_dict(self) -> dict[str, Any]:
        """Wire form: a JSON object of the fields (arrays as lists)."""
        out: dict[str, Any] = {}
        for name in field_names(ImpactFeatures):
            value = getattr(self, name)
            out[name] = list(value) if type(value) is tuple else value
        return out


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
    edge_motion: bool = field(
        default=False,
        metadata=doc(
            "The edge computed the motion fields from raw IMU samples: man-down comes from the "
            "fall model on impact readings, not from accel_peak_g."
        ),
    )
    impact: ImpactFeatures | None = field(
        default=None,
        metadata=doc(
            "Set on the edge's impact readings (a candidate fall, scored by the fall model); "
            "the other motion fields then describe the window ending at ts."
        ),
    )

    def to_dict(self) -> dict[str, Any]:
        """Wire form, with the impact features as a nested object."""
        out = WireRecord.to_dict(self)
        if self.impact is not None:
            out["impact"] = self.impact.to_dict()
        return out


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
_IMPACT_SPECS = tuple((n, r.low, r.high, r.interval()) for n, r in IMPACT_RANGES.items())
_OPTIONAL_IMPACT = frozenset({"rotation_dps", "rotation_deg"})
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


def _impact_array(obj: dict[str, Any], spec: tuple[str, float, float, str]) -> tuple[float, ...]:
    """Return a fixed-length array of bounded numbers of the impact object."""
    name, low, high, interval = spec
    value = obj[name]
    size = IMPACT_LENGTHS[name]
    if type(value) is not list or len(value) != size:
        raise ValidationError(
            "wrong_type", f"impact.{name}={_show(value)} is not an array of {size} numbers"
        )
    out = []
    for i, item in enumerate(value):
        kind = type(item)
        if kind is not float and kind is not int:
            raise ValidationError(
                "wrong_type", f"impact.{name}[{i}]={_show(item)} is {kind.__name__}, not a number"
            )
        try:
            number = float(item)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValidationError("not_finite", f"impact.{name}[{i}]={item!r} is not finite")
        if not low <= number <= high:
            raise ValidationError("out_of_range", f"impact.{name}[{i}]={item!r} outside {interval}")
        out.append(number)
    return tuple(out)


def _impact_field(obj: dict[str, Any], spec: tuple[str, float, float, str]) -> Any:
    """One field of the impact object: a number or an array (null for absent rotation)."""
    name = spec[0]
    if name not in obj:
        raise ValidationError("missing_field", f"impact.{name} is missing")
    if obj[name] is None and name in _OPTIONAL_IMPACT:
        return None
    try:
        if name in IMPACT_LENGTHS:
            return _impact_array(obj, spec)
        return _bounded(obj, *spec)
    except ValidationError as err:
        if err.detail.startswith("impact."):
            raise
        raise ValidationError(err.reason, f"impact.{err.detail}") from None


def _impact(obj: dict[str, Any]) -> ImpactFeatures | None:
    """Return the optional ``impact`` object as :class:`ImpactFeatures` (validated)."""
    value = obj.get("impact")
    if value is None:
        return None
    if type(value) is not dict:
        raise ValidationError("wrong_type", f"impact={_show(value)} is not an object")
    return ImpactFeatures(*(_impact_field(value, spec) for spec in _IMPACT_SPECS))


def _flag(obj: dict[str, Any], name: str) -> bool:
    """Return an optional boolean field (absent or null gives False)."""
    value = obj.get(name)
    if value is None:
        return False
    if type(value) is not bool:
        raise ValidationError("wrong_type", f"{name}={_show(value)} is not a boolean")
    return value


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
        edge_motion=take(_flag, obj, "edge_motion"),
        impact=take(_impact, obj),
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
