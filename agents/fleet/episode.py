"""An open deviation episode of one vehicle and the features it accumulates fix by fix.

An episode opens when the vehicle leaves its learned corridor, drives without an assignment or
at hours it never drives, stops too long at a place it does not know, or enters a restricted
zone; it closes after a few *normal* fixes (driving on the corridor with an assignment at a
usual hour, or parked at a depot). Its features are what the classifier judges.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["EpisodeRecord", "OpenEpisode"]


@dataclass(slots=True)
class OpenEpisode:
    """Accumulated facts of the episode in progress."""

    start_ts: float
    last_ts: float
    exit_lat: float
    exit_lon: float
    route_id: str | None
    trigger: str
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
    ongoing_label: str | None = None
    revision: int = 0
    immobilizer_asked: bool = False

    def features(
        self, now: float, end_lat: float, end_lon: float, rejoin_m: float, stop: tuple[float, bool]
    ) -> dict[str, float]:
        """The classifier features so far; ``stop`` is the current stop (seconds, known)."""
        stop_s, stop_known = stop
        stop_u = self.stop_unknown_s
        stop_k = self.stop_known_s
        if stop_s > 0:
            if stop_known:
                stop_k = max(stop_k, stop_s)
            else:
                stop_u = max(stop_u, stop_s)
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
        return cls(**data)


@dataclass(slots=True)
class EpisodeRecord:
    """A closed episode kept for area context, the hold period and dispatcher verdicts.

    ``probes_waiting`` is -1 before the areas were probed, then the number of area answers
    still expected before a provisional episode is decided. The skipped stretch of route runs
    from the exit point (where the vehicle left its route) to the rejoin point. ``home`` is 1
    while the episode ended with the vehicle parked at its home depot (a depot trip if it drives
    off again soon) and 2 once it is known to be a trip to the home depot (no detour).
    """

    episode_id: str
    start_ts: float
    end_ts: float
    features: dict[str, float]
    label: str
    status: str
    revision: int
    route_id: str | None
    area_id: str | None
    verdict: str | None = None
    exit_lat: float = 0.0
    exit_lon: float = 0.0
    rejoin_lat: float = 0.0
    rejoin_lon: float = 0.0
    probes_waiting: int = -1
    home: int = 0

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
        return cls(**data)
