"""The compact per-vehicle state of the fleet engine and its binary codec.

| part | content | bytes |
|---|---|---|
| header | format, last fix (time, position), days seen, streaks, current stop | 92 |
| corridor | learned cells per route (:mod:`fleet.corridor`) | ~5 per cell |
| hours | driving activity per hour of day | 48 |
| places | usual stop places | <= 225 |
| alerts | unauthorized-use and restricted-zone alert lifecycles | 96 |
| tail (JSON) | open episode, fences inside, last episodes, verdicts waiting, home depot | < 1.5 K |

Typically 2-4 KB for a vehicle with two learned routes (tests bound it).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from agents.fleet.config import RESTRICTED, UNAUTHORIZED
from agents.fleet.corridor import Corridor
from agents.fleet.episode import NO_STOP, EpisodeRecord, OpenEpisode, Stop
from agents.fleet.habits import HourActivity, StopPlaces
from agents.fleet.home import HomeDepot
from agents.fleet.kinds import FenceKind, Label, StopKind
from app.core.alerting import AlertState

__all__ = ["MAX_RECENT", "PendingVerdict", "PresenceEntry", "VehicleState"]

FORMAT = 1
MAX_RECENT = 4
_HEADER = struct.Struct("<HdddiiiiddddddB?")
_NAN = math.nan


@dataclass(slots=True)
class PresenceEntry:
    """A geofence the vehicle is inside: since when, and whether its dwell event was sent."""

    geofence_id: str
    kind: FenceKind
    enter_ts: float
    dwell_sent: bool = False

    def to_list(self) -> list[Any]:
        """Compact plain data for the state's JSON tail."""
        return [self.geofence_id, self.kind.value, self.enter_ts, self.dwell_sent]

    @classmethod
    def from_list(cls, data: Sequence[Any]) -> PresenceEntry:
        """Rebuild from :meth:`to_list` output; raises ``ValueError`` when malformed."""
        geofence_id, kind, enter_ts, dwell_sent = data
        return cls(str(geofence_id), FenceKind(kind), float(enter_ts), bool(dwell_sent))


@dataclass(slots=True)
class PendingVerdict:
    """A dispatcher verdict waiting for the episode it judges to be decided."""

    episode_id: str | None
    start_ts: float
    end_ts: float
    label: Label

    def to_list(self) -> list[Any]:
        """Compact plain data for the state's JSON tail."""
        return [self.episode_id, self.start_ts, self.end_ts, self.label.value]

    @classmethod
    def from_list(cls, data: Sequence[Any]) -> PendingVerdict:
        """Rebuild from :meth:`to_list` output; raises ``ValueError`` when malformed."""
        episode_id, start_ts, end_ts, label = data
        return cls(
            None if episode_id is None else str(episode_id),
            float(start_ts),
            float(end_ts),
            Label(label),
        )


class VehicleState:
    """Everything the engine remembers about one vehicle."""

    __slots__ = (
        "corridor",
        "days_seen",
        "depot",
        "exit_lat",
        "exit_lon",
        "hours",
        "last_day",
        "last_lat",
        "last_lon",
        "last_ts",
        "learned_last",
        "off_since",
        "off_streak",
        "open",
        "pending_verdicts",
        "places",
        "presence",
        "recent",
        "restricted_alert",
        "stop_kind",
        "stop_lat",
        "stop_lon",
        "stop_start",
        "suspect_since",
        "suspect_streak",
        "unauthorized_alert",
        "unauthorized_until",
    )

    def __init__(self, min_count: int = 2, capacity: int = 1200) -> None:
        self.last_ts: float | None = None
        self.last_lat = _NAN
        self.last_lon = _NAN
        self.last_day = -1
        self.days_seen = 0
        self.off_streak = 0
        self.suspect_streak = 0
        self.off_since = 0.0
        self.suspect_since = 0.0
        self.exit_lat = _NAN
        self.exit_lon = _NAN
        self.stop_start: float | None = None
        self.stop_lat = _NAN
        self.stop_lon = _NAN
        self.stop_kind = StopKind.UNKNOWN
        self.unauthorized_until: float | None = None
        self.learned_last = False
        self.corridor = Corridor(min_count, capacity)
        self.hours = HourActivity()
        self.places = StopPlaces()
        self.unauthorized_alert = AlertState()
        self.restricted_alert = AlertState()
        self.open: OpenEpisode | None = None
        self.presence: list[PresenceEntry] = []
        self.recent: list[EpisodeRecord] = []
        self.pending_verdicts: list[PendingVerdict] = []
        self.depot = HomeDepot()

    def remember(self, record: EpisodeRecord) -> None:
        """Keep a closed episode, dropping the oldest beyond :data:`MAX_RECENT`."""
        self.recent.append(record)
        if len(self.recent) > MAX_RECENT:
            del self.recent[0]

    def stop_so_far(self, ts: float) -> Stop:
        """The stop in progress at ``ts`` (:data:`~agents.fleet.episode.NO_STOP` when moving)."""
        if self.stop_start is None:
            return NO_STOP
        return Stop(ts - self.stop_start, self.stop_kind != StopKind.UNKNOWN)

    def alerts(self) -> Mapping[str, AlertState]:
        """The vehicle's alert lifecycle states by alert type."""
        return {UNAUTHORIZED: self.unauthorized_alert, RESTRICTED: self.restricted_alert}

    def to_bytes(self) -> bytes:
        """Encode the state (see the module docstring for the layout)."""
        header = _HEADER.pack(
            FORMAT,
            _NAN if self.last_ts is None else self.last_ts,
            self.last_lat,
            self.last_lon,
            self.last_day,
            self.days_seen,
            self.off_streak,
            self.suspect_streak,
            self.exit_lat,
            self.exit_lon,
            _NAN if self.stop_start is None else self.stop_start,
            _NAN if self.unauthorized_until is None else self.unauthorized_until,
            self.off_since,
            self.suspect_since,
            self.stop_kind,
            self.learned_last,
        )
        tail = orjson.dumps(
            {
                "stop": [self.stop_lat, self.stop_lon],
                "open": None if self.open is None else self.open.to_dict(),
                "presence": [p.to_list() for p in self.presence],
                "recent": [r.to_dict() for r in self.recent],
                "verdicts": [v.to_list() for v in self.pending_verdicts],
                "depot": self.depot.to_list(),
            },
        )
        return b"".join(
            (
                header,
                self.corridor.to_bytes(),
                self.hours.to_bytes(),
                self.places.to_bytes(),
                self.unauthorized_alert.to_bytes(),
                self.restricted_alert.to_bytes(),
                tail,
            )
        )

    @classmethod
    def from_bytes(cls, data: bytes, min_count: int = 2, capacity: int = 1200) -> VehicleState:
        """Decode :meth:`to_bytes` output; raises ``ValueError`` when unreadable."""
        try:
            fields = _HEADER.unpack_from(data)
            if fields[0] != FORMAT:
                raise ValueError(f"vehicle state format {fields[0]} unsupported")
            state = cls(min_count, capacity)
            (
                _,
                last_ts,
                state.last_lat,
                state.last_lon,
                state.last_day,
                state.days_seen,
                state.off_streak,
                state.suspect_streak,
                state.exit_lat,
                state.exit_lon,
                stop_start,
                until,
                state.off_since,
                state.suspect_since,
                stop_kind,
                state.learned_last,
            ) = fields
            state.stop_kind = StopKind(stop_kind)
            state.last_ts = None if math.isnan(last_ts) else last_ts
            state.stop_start = None if math.isnan(stop_start) else stop_start
            state.unauthorized_until = None if math.isnan(until) else until
            offset = _HEADER.size
            state.corridor, offset = Corridor.from_bytes(data, offset, min_count, capacity)
            state.hours, offset = HourActivity.from_bytes(data, offset)
            state.places, offset = StopPlaces.from_bytes(data, offset)
            size = AlertState.SIZE
            state.unauthorized_alert = AlertState.from_bytes(data[offset : offset + size])
            state.restricted_alert = AlertState.from_bytes(data[offset + size : offset + 2 * size])
            tail = orjson.loads(data[offset + 2 * size :])
            state.stop_lat, state.stop_lon = (_NAN if v is None else v for v in tail["stop"])
            state.open = None if tail["open"] is None else OpenEpisode.from_dict(tail["open"])
            state.presence = [PresenceEntry.from_list(p) for p in tail["presence"]]
            state.recent = [EpisodeRecord.from_dict(r) for r in tail["recent"]]
            state.pending_verdicts = [PendingVerdict.from_list(v) for v in tail.get("verdicts", [])]
            state.depot = HomeDepot.from_list(tail.get("depot"))
        except (ValueError, struct.error, IndexError, TypeError, KeyError, AttributeError) as exc:
            # orjson.JSONDecodeError and the enums' errors are ValueErrors
            raise ValueError(f"vehicle state unreadable: {exc}") from exc
        return state
