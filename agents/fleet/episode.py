"""An open deviation episode of one vehicle and the features it accumulates fix by fix.

An episode opens when the vehicle leaves its learned corridor, drives without an assignment or
at hours it never drives, stops too long at a place it does not know, or enters a restricted
zone; it closes after a few *normal* fixes (driving on the corridor with an assignment at a
usual hour, or parked at a depot). Its features are what the classifier judges.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from agents.fleet.kinds import HomeLink, Label, Status, Trigger

__all__ = ["NO_STOP", "EpisodeRecord", "OpenEpisode", "Stop"]


class Stop(NamedTuple):
    """The vehicle's stop in progress: how long so far and whether at a known place."""

    seconds: float
    known: bool


NO_STOP = Stop(0.0, False)
"""The vehicle is moving."""


@dataclass(slots=True)
class OpenEpisode:
    """Accumulated facts of the episode in progress."""

    start_ts: float
    last_ts: float
    exit_lat: float
    exit_lon: float
    route_id: str | None
    trigger: Trigger
    readings: int = 0
    moving: int = 0
    unassigned: int = 0
    unusual_hour: int = 0
    max_off_m: float = 0.0
    path_m: float = 0.0
    stop_unknown_s: float = 0.0
    stop_known_s: float = 0.0
    restricted: bool = False
    normal_streak: int = 0
    normal_since: float | None = None
    rejoin_lat: float = 0.0
    rejoin_lon: float = 0.0
    ongoing_label: Label | None = None
    revision: int = 0
    immobilizer_asked: bool = False

    def note_stop(self, seconds: float, known: bool) -> None:
        """Count a stop of the vehicle that ended during the episode."""
        if known:
            self.stop_known_s = max(self.stop_known_s, seconds)
        else:
            self.stop_unknown_s = max(self.stop_unknown_s, seconds)

    def features(self, now: float, rejoin_m: float = 0.0, stop: Stop = NO_STOP) -> dict[str, float]:
        """The classifier features at ``now``; ``stop`` is the stop in progress, if any.

        ``rejoin_m`` is how far from its exit point the vehicle came back to normal (0 while
        the episode runs).
        """
        stop_u = self.stop_unknown_s
        stop_k = self.stop_known_s
        if stop.seconds > 0:
            if stop.known:
                stop_k = max(stop_k, stop.seconds)
            else:
                stop_u = max(stop_u, stop.seconds)
        moving = max(self.moving, 1)
        return {
            "duration_min": round((now - self.start_ts) / 60.0, 2),
            "max_off_corridor_m": round(self.max_off_m, 1),
            "rejoin_km": round(rejoin_m / 1000.0, 3),
            "stop_unknown_min": round(stop_u / 60.0, 2),
            "stop_known_min": round(stop_k / 60.0, 2),
            "restricted": 1.0 if self.restricted else 0.0,
            "unassigned_frac": round(self.unassigned / moving, 3),
            "unusual_hour_frac": round(self.unusual_hour / moving, 3),
            "area_vehicles": 0.0,
            "path_km": round(self.path_m / 1000.0, 3),
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the state codec."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OpenEpisode:
        """Rebuild from :meth:`to_dict` output."""
        label = data.get("ongoing_label")
        return cls(
            **{
                **data,
                "trigger": Trigger(data["trigger"]),
                "ongoing_label": None if label is None else Label(label),
            }
        )


@dataclass(slots=True)
class EpisodeRecord:
    """A closed episode kept for area context, the hold period and dispatcher verdicts.

    ``probes_waiting`` is -1 before the areas were probed, then the number of area answers
    still expected before a provisional episode is decided. The skipped stretch of route runs
    from the exit point (where the vehicle left its route) to the rejoin point. ``home`` links
    the episode to the vehicle's home depot (:class:`~agents.fleet.kinds.HomeLink`); ``verdict``
    is the dispatcher's label once one taught the classifier with it.
    """

    episode_id: str
    start_ts: float
    end_ts: float
    features: dict[str, float]
    label: Label
    status: Status
    revision: int
    route_id: str | None
    area_id: str | None
    verdict: Label | None = None
    exit_lat: float = 0.0
    exit_lon: float = 0.0
    rejoin_lat: float = 0.0
    rejoin_lon: float = 0.0
    probes_waiting: int = -1
    home: HomeLink = HomeLink.NONE

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the state codec."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EpisodeRecord:
        """Rebuild from :meth:`to_dict` output (also of the former one-point format)."""
        data = dict(data)
        if "mid_lat" in data:
            lat, lon = float(data.pop("mid_lat")), float(data.pop("mid_lon", 0.0))
            data.update(exit_lat=lat, exit_lon=lon, rejoin_lat=lat, rejoin_lon=lon)
        verdict = data.get("verdict")
        data.update(
            label=Label(data["label"]),
            status=Status(data["status"]),
            home=HomeLink(data.get("home", HomeLink.NONE)),
            verdict=None if verdict is None else Label(verdict),
        )
        return cls(**data)
