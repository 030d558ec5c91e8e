"""Fleet records: vehicle telemetry, dispatcher verdicts, geofences and the fleet agent's output.

Inputs (validated by :func:`decode_vehicle_telemetry`, :func:`decode_verdict`,
:func:`decode_geofence`):

* :class:`VehicleTelemetry` (topic ``fleet_telemetry``, key = vehicle id): one GPS fix.
* :class:`DispatcherVerdict` (topic ``fleet_verdicts``, key = vehicle id): a dispatcher confirms
  or corrects the class of a deviation episode - a delayed label the classifier learns from.
* :class:`Geofence` (topic ``fleet_geofences``, compacted, key = geofence id): a depot, customer
  site, service station or restricted zone; ``active=false`` withdraws it.

Outputs: :class:`FleetEpisode` (classified deviation episodes), :class:`GeofenceEvent`
(entered / left / dwell) and the two internal records of the cross-vehicle context loop,
:class:`AreaNotice` (vehicle agent -> area agent, key = area) and :class:`AreaContext`
(area agent -> vehicle agent, key = vehicle).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal, cast, get_args

from schemas.base import FieldRange, WireRecord, doc
from schemas.errors import ValidationError
from schemas.problems import Problems
from schemas.timestamps import event_time
from schemas.validation import (
    _bounded,
    _identifier,
    _load_object,
    _missing,
    _number,
    _optional_text,
    _seconds,
    _show,
    _timestamp,
)

__all__ = [
    "EPISODE_CLASSES",
    "EPISODE_STATUSES",
    "GEOFENCE_KINDS",
    "AreaContext",
    "AreaNotice",
    "DispatcherVerdict",
    "EpisodeClass",
    "FleetEpisode",
    "Geofence",
    "GeofenceEvent",
    "GeofenceKind",
    "VehicleTelemetry",
    "decode_area_context",
    "decode_area_notice",
    "decode_geofence",
    "decode_vehicle_telemetry",
    "decode_verdict",
]

EpisodeClass = Literal["normal", "traffic_detour", "unauthorized"]
"""What a deviation episode is judged to be."""

GeofenceKind = Literal["depot", "customer", "service", "restricted"]
"""What a geofence marks: legitimate places (depot, customer, service station) or a no-go zone."""

EpisodeStatus = Literal["ongoing", "provisional", "final"]
"""Ongoing: still open; provisional: closed, awaiting area context; final: decided."""

GeofenceTransition = Literal["entered", "left", "dwell"]
"""A vehicle's geofence event."""

EPISODE_CLASSES: tuple[str, ...] = get_args(EpisodeClass)
GEOFENCE_KINDS: tuple[str, ...] = get_args(GeofenceKind)
EPISODE_STATUSES: tuple[str, ...] = get_args(EpisodeStatus)

VEHICLE_RANGES: Mapping[str, FieldRange] = MappingProxyType(
    {
        "lat": FieldRange(-90, 90, "°", "WGS84 latitude."),
        "lon": FieldRange(-180, 180, "°", "WGS84 longitude."),
        "speed_kmh": FieldRange(0, 300, "km/h", "Ground speed."),
        "heading_deg": FieldRange(0, 360, "°", "Course over ground, clockwise from north."),
    }
)
"""Numeric telemetry field -> plausible range (validation, simulator, JSON Schema)."""

GEOFENCE_RANGES: Mapping[str, FieldRange] = MappingProxyType(
    {
        "lat": FieldRange(-90, 90, "°", "Latitude of the centre."),
        "lon": FieldRange(-180, 180, "°", "Longitude of the centre."),
        "radius_m": FieldRange(5, 50000, "m", "Radius of the circular fence."),
    }
)


@dataclass(frozen=True, slots=True)
class VehicleTelemetry(WireRecord):
    """One GPS fix of a vehicle with its ignition state and, when known, its assignment."""

    SCHEMA_VERSION: ClassVar[int] = 1
    RANGES: ClassVar[Mapping[str, FieldRange]] = VEHICLE_RANGES
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"vehicle_id"})

    vehicle_id: str = field(metadata=doc("Vehicle identifier; the Kafka message key."))
    ts: float = field(metadata=event_time("Event time of the fix, Unix seconds."))
    lat: float
    lon: float
    speed_kmh: float
    heading_deg: float
    ignition: bool = field(metadata=doc("Engine on."))
    route_id: str | None = field(
        default=None, metadata=doc("Route assigned by dispatch for this trip; null: none.")
    )
    shift_id: str | None = field(
        default=None, metadata=doc("Driver shift logged in on the vehicle; null: nobody.")
    )


@dataclass(frozen=True, slots=True)
class DispatcherVerdict(WireRecord):
    """A dispatcher's judgement of a deviation episode: a delayed label for the classifier."""

    SCHEMA_VERSION: ClassVar[int] = 1
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"verdict_id", "vehicle_id"})

    verdict_id: str = field(metadata=doc("Id of the verdict (dedup)."))
    vehicle_id: str = field(metadata=doc("Vehicle the episode belongs to; the Kafka key."))
    ts: float = field(metadata=event_time("Event time the verdict was given, Unix seconds."))
    episode_start_ts: float = field(
        metadata=event_time("Start of the judged episode, Unix seconds.")
    )
    episode_end_ts: float = field(metadata=event_time("End of the judged episode, Unix seconds."))
    label: EpisodeClass = field(metadata=doc("normal, traffic_detour or unauthorized."))
    episode_id: str | None = field(
        default=None, metadata=doc("Id of the classified episode when answered from it.")
    )
    note: str | None = field(default=None, metadata=doc("Free text of the dispatcher."))
    by: str | None = field(
        default=None, metadata=doc("Who gave the verdict: the dispatcher's name or user id.")
    )


@dataclass(frozen=True, slots=True)
class Geofence(WireRecord):
    """A circular geofence: a depot, customer site, service station or restricted zone."""

    SCHEMA_VERSION: ClassVar[int] = 1
    RANGES: ClassVar[Mapping[str, FieldRange]] = GEOFENCE_RANGES
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"geofence_id"})

    geofence_id: str = field(metadata=doc("Geofence id; the Kafka key (compacted topic)."))
    kind: GeofenceKind = field(metadata=doc("depot, customer, service or restricted."))
    lat: float
    lon: float
    radius_m: float
    name: str | None = field(default=None, metadata=doc("Human-readable name."))
    max_dwell_s: float | None = field(
        default=None, metadata=doc("A 'dwell' event is emitted once a stay exceeds this.")
    )
    active: bool = field(default=True, metadata=doc("False withdraws the geofence."))


@dataclass(frozen=True, slots=True)
class GeofenceEvent(WireRecord):
    """A vehicle entered, left or overstayed a geofence."""

    SCHEMA_VERSION: ClassVar[int] = 1
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"vehicle_id", "geofence_id"})

    vehicle_id: str = field(metadata=doc("Vehicle; the Kafka message key."))
    geofence_id: str = field(metadata=doc("Geofence concerned."))
    kind: GeofenceKind = field(metadata=doc("Kind of the geofence."))
    event: GeofenceTransition = field(metadata=doc("entered, left or dwell."))
    ts: float = field(metadata=doc("Event time of the fix that revealed it."))
    dwell_s: float = field(metadata=doc("Seconds inside so far (0 on entry)."))
    lat: float = field(metadata=doc("Latitude of the fix."))
    lon: float = field(metadata=doc("Longitude of the fix."))


@dataclass(frozen=True, slots=True)
class FleetEpisode(WireRecord):
    """A vehicle's deviation episode and its classification, with confidence and reasons.

    One episode may be published several times (``revision`` 1, 2, ...): while ongoing, when
    it closes and when area context or the hold time decides it; the highest revision wins.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"episode_id", "vehicle_id"})

    episode_id: str = field(metadata=doc("Deterministic id (vehicle, start time)."))
    vehicle_id: str = field(metadata=doc("Vehicle; the Kafka message key."))
    start_ts: float = field(metadata=doc("Event time the episode started."))
    end_ts: float | None = field(metadata=doc("Event time it ended; null while ongoing."))
    status: EpisodeStatus = field(metadata=doc("ongoing, provisional or final."))
    label: EpisodeClass = field(metadata=doc("normal, traffic_detour or unauthorized."))
    confidence: float = field(metadata=doc("Probability of the label, 0..1."))
    probabilities: dict[str, float] = field(metadata=doc("Probability of every class."))
    reasons: tuple[str, ...] = field(metadata=doc("Why, strongest first, for the dispatcher."))
    features: dict[str, float] = field(metadata=doc("The episode's features."))
    max_off_corridor_m: float = field(metadata=doc("Largest distance from the learned corridor."))
    area_id: str | None = field(metadata=doc("Area of the deviation (cross-vehicle context)."))
    route_id: str | None = field(metadata=doc("Route assigned when the episode started."))
    revision: int = field(metadata=doc("Publication counter of this episode, from 1."))
    model_version: str = field(metadata=doc("Classifier version that decided."))

    def to_dict(self) -> dict[str, Any]:
        """Return the wire form (containers copied, reasons as a list)."""
        out = WireRecord.to_dict(self)
        out["probabilities"] = dict(self.probabilities)
        out["features"] = dict(self.features)
        out["reasons"] = list(self.reasons)
        return out


@dataclass(frozen=True, slots=True)
class AreaNotice(WireRecord):
    """Vehicle agent -> area agent: a vehicle's closed deviation in this area (internal)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"area_id", "vehicle_id", "episode_id"})

    area_id: str = field(metadata=doc("Area cell; the Kafka message key."))
    vehicle_id: str = field(metadata=doc("Deviating vehicle."))
    episode_id: str = field(metadata=doc("Its episode."))
    start_ts: float = field(metadata=doc("Episode start, Unix seconds."))
    end_ts: float = field(metadata=doc("Episode end, Unix seconds."))
    detour_like: bool = field(metadata=doc("Left and rejoined the route further on, no stop."))
    lat: float = field(metadata=doc("Latitude where the skipped stretch of route begins."))
    lon: float = field(metadata=doc("Longitude where the skipped stretch of route begins."))
    probe: bool = field(
        default=False,
        metadata=doc("The vehicle is about to decide the episode: answer with the count now."),
    )
    rejoin_lat: float | None = field(
        default=None,
        metadata=doc("Latitude where the vehicle rejoined its route (absent: lat)."),
    )
    rejoin_lon: float | None = field(
        default=None,
        metadata=doc("Longitude where the vehicle rejoined its route (absent: lon)."),
    )


@dataclass(frozen=True, slots=True)
class AreaContext(WireRecord):
    """Area agent -> vehicle agent: other vehicles deviated nearby at the same time (internal)."""

    SCHEMA_VERSION: ClassVar[int] = 1
    ID_FIELDS: ClassVar[frozenset[str]] = frozenset({"area_id", "vehicle_id", "episode_id"})

    vehicle_id: str = field(metadata=doc("Vehicle whose episode gains context; the Kafka key."))
    episode_id: str = field(metadata=doc("The episode."))
    area_id: str = field(metadata=doc("Area where the concurrent deviations happened."))
    other_vehicles: int = field(metadata=doc("Distinct other vehicles deviating concurrently."))
    ts: float = field(metadata=doc("Event time of the newest deviation counted."))
    final: bool = field(
        default=False, metadata=doc("Answer to a probe: the count to decide the episode with.")
    )


_CLASSES = frozenset(EPISODE_CLASSES)
_KINDS = frozenset(GEOFENCE_KINDS)
_TELEMETRY_SPECS = tuple(
    (name, bounds.low, bounds.high, bounds.interval()) for name, bounds in VEHICLE_RANGES.items()
)
_GEOFENCE_SPECS = tuple(
    (name, bounds.low, bounds.high, bounds.interval()) for name, bounds in GEOFENCE_RANGES.items()
)


def _flag(obj: dict[str, Any], name: str, default: bool | None = None) -> bool:
    """Return boolean field ``name`` (``default`` when absent, if given)."""
    if name not in obj and default is not None:
        return default
    try:
        value = obj[name]
    except KeyError:
        raise _missing(name) from None
    if type(value) is bool:
        return value
    raise ValidationError(
        "wrong_type", f"{name}={_show(value)} is {type(value).__name__}, expected a boolean"
    )


def _optional_id(obj: dict[str, Any], name: str) -> str | None:
    """Return an optional identifier field (absent or null gives None)."""
    if obj.get(name) is None:
        return None
    return _identifier(obj, name)


def _enum(obj: dict[str, Any], name: str, allowed: frozenset[str]) -> str:
    """Return field ``name``, one of ``allowed``."""
    try:
        value = obj[name]
    except KeyError:
        raise _missing(name) from None
    if type(value) is str and value in allowed:
        return value
    raise ValidationError("bad_enum", f"{name}={_show(value)} is not one of {sorted(allowed)}")


def decode_vehicle_telemetry(
    raw: bytes, *, now: float, min_event_time: float, max_future_skew_s: float
) -> VehicleTelemetry:
    """Parse and validate one vehicle fix; raise :class:`ValidationError` if invalid."""
    obj = _load_object(raw)
    take = Problems()
    vehicle_id = take(_identifier, obj, "vehicle_id")
    ts = take(_timestamp, obj, now, min_event_time, max_future_skew_s)
    lat, lon, speed, heading = (take(_bounded, obj, *spec) for spec in _TELEMETRY_SPECS)
    fix = VehicleTelemetry(
        vehicle_id,
        ts,
        lat,
        lon,
        speed,
        heading,
        take(_flag, obj, "ignition"),
        take(_optional_id, obj, "route_id"),
        take(_optional_id, obj, "shift_id"),
    )
    take.done()
    return fix


def decode_verdict(
    raw: bytes, *, now: float, min_event_time: float, max_future_skew_s: float
) -> DispatcherVerdict:
    """Parse and validate one dispatcher verdict; raise :class:`ValidationError` if invalid."""
    obj = _load_object(raw)
    take = Problems()
    verdict_id = take(_identifier, obj, "verdict_id")
    vehicle_id = take(_identifier, obj, "vehicle_id")
    ts = take(_timestamp, obj, now, min_event_time, max_future_skew_s)
    start = take(_seconds, obj, "episode_start_ts")
    end = take(_seconds, obj, "episode_end_ts")
    if start is not None and end is not None and end < start:
        take.add(
            ValidationError(
                "out_of_range", f"episode_end_ts={end!r} is before episode_start_ts={start!r}"
            )
        )
    verdict = DispatcherVerdict(
        verdict_id,
        vehicle_id,
        ts,
        start,
        end,
        cast(Any, take(_enum, obj, "label", _CLASSES)),
        take(_optional_id, obj, "episode_id"),
        take(_optional_text, obj, "note"),
        take(_optional_text, obj, "by"),
    )
    take.done()
    return verdict


def decode_geofence(raw: bytes) -> Geofence:
    """Parse and validate one geofence record; raise :class:`ValidationError` if invalid."""
    obj = _load_object(raw)
    take = Problems()
    geofence_id = take(_identifier, obj, "geofence_id")
    kind = cast(Any, take(_enum, obj, "kind", _KINDS))
    lat, lon, radius = (take(_bounded, obj, *spec) for spec in _GEOFENCE_SPECS)
    max_dwell = None if obj.get("max_dwell_s") is None else take(_number, obj, "max_dwell_s")
    if max_dwell is not None and max_dwell <= 0:
        take.add(ValidationError("out_of_range", f"max_dwell_s={max_dwell!r} must be > 0"))
    fence = Geofence(
        geofence_id,
        kind,
        lat,
        lon,
        radius,
        take(_optional_text, obj, "name"),
        max_dwell,
        take(_flag, obj, "active", True),
    )
    take.done()
    return fence


def _position(obj: dict[str, Any], lat_name: str, lon_name: str) -> tuple[float, float]:
    """A latitude/longitude pair checked against the globe."""
    lat = _bounded(obj, lat_name, -90.0, 90.0, "[-90, 90]")
    return lat, _bounded(obj, lon_name, -180.0, 180.0, "[-180, 180]")


def decode_area_notice(raw: bytes) -> AreaNotice:
    """Parse and validate an area notice (an internal topic, checked all the same: a bad record
    is dead-lettered, never stored under a malformed key)."""
    obj = _load_object(raw)
    lat, lon = _position(obj, "lat", "lon")
    rejoin_lat = rejoin_lon = None
    if obj.get("rejoin_lat") is not None or obj.get("rejoin_lon") is not None:
        rejoin_lat, rejoin_lon = _position(obj, "rejoin_lat", "rejoin_lon")
    return AreaNotice(
        area_id=_identifier(obj, "area_id"),
        vehicle_id=_identifier(obj, "vehicle_id"),
        episode_id=_identifier(obj, "episode_id"),
        start_ts=_number(obj, "start_ts"),
        end_ts=_number(obj, "end_ts"),
        detour_like=_flag(obj, "detour_like"),
        lat=lat,
        lon=lon,
        probe=_flag(obj, "probe", default=False),
        rejoin_lat=rejoin_lat,
        rejoin_lon=rejoin_lon,
    )


def decode_area_context(raw: bytes) -> AreaContext:
    """Parse and validate an area agent's answer to a vehicle (internal topic, checked)."""
    obj = _load_object(raw)
    count = obj.get("other_vehicles")
    if type(count) is not int or count < 0:
        raise ValidationError(
            "wrong_type", f"other_vehicles={_show(count)} is not a non-negative integer"
        )
    return AreaContext(
        vehicle_id=_identifier(obj, "vehicle_id"),
        episode_id=_identifier(obj, "episode_id"),
        area_id=_identifier(obj, "area_id"),
        other_vehicles=count,
        ts=_number(obj, "ts"),
        final=_flag(obj, "final", default=False),
    )
