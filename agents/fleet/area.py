"""Cross-vehicle context per area: concurrent detours of several vehicles mean traffic.

The vehicle agent announces every closed detour-shaped episode (:class:`AreaNotice`) with the
stretch of route it skipped - from where it left the route to where it rejoined it - to every
~2 km area that stretch touches (:func:`stretch_areas`), so two detours around the same blocked
road always share at least one area however long their stretches are. The area agent keeps,
per area, the recent notices (a bounded ring) and answers each vehicle involved with how many
*other* vehicles skipped a stretch within ``area_match_m`` of its own and started within
``window_s`` of it (:class:`AreaContext`, keyed by vehicle, back to the vehicle agent).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from agents.fleet.config import FleetConfig
from agents.fleet.geo import EARTH_M_PER_DEG, haversine_m, segment_distance_m
from app.core import Entry, KeyedEngine, Output, Route, StateLoader, StreamLimits
from app.core.alerting import AlertState
from schemas.vehicle import AreaContext, AreaNotice, decode_area_notice

__all__ = ["AreaEngine", "AreaState", "area_ids", "notice_row", "stretch_areas"]

MAX_NOTICES = 32
MAX_STRETCH_AREAS = 16

Stretch = tuple[float, float, float, float]


def area_ids(lat: float, lon: float, cell_m: float) -> list[str]:
    """The four area cells whose centres surround the point, nearest first.

    Two points less than one cell apart along each axis always share at least one of them.
    """
    y = lat * EARTH_M_PER_DEG / cell_m
    x = lon * EARTH_M_PER_DEG * max(math.cos(math.radians(lat)), 0.01) / cell_m
    r0 = math.floor(y - 0.5)
    c0 = math.floor(x - 0.5)
    cells = [(r, c) for r in (r0, r0 + 1) for c in (c0, c0 + 1)]
    cells.sort(key=lambda rc: (rc[0] + 0.5 - y) ** 2 + (rc[1] + 0.5 - x) ** 2)
    return [f"area:{r}:{c}" for r, c in cells]


def stretch_areas(lat1: float, lon1: float, lat2: float, lon2: float, cell_m: float) -> list[str]:
    """The areas around a skipped stretch of route (from ``(lat1, lon1)`` to ``(lat2, lon2)``).

    The union of :func:`area_ids` of points every half area side along the stretch (at most
    :data:`MAX_STRETCH_AREAS`), nearest the start first: two stretches that come within an area
    side of each other anywhere always share at least one of them.
    """
    length = haversine_m(lat1, lon1, lat2, lon2)
    steps = max(1, math.ceil(length / (cell_m / 2.0)))
    out: dict[str, None] = {}
    for k in range(steps + 1):
        f = k / steps
        for area in area_ids(lat1 + f * (lat2 - lat1), lon1 + f * (lon2 - lon1), cell_m):
            out[area] = None
    return list(out)[:MAX_STRETCH_AREAS]


def _stretch(row: list[Any]) -> Stretch:
    """The skipped stretch of a notice row (a point for rows of the one-point format)."""
    lat, lon = float(row[4]), float(row[5])
    if len(row) >= 8:
        return lat, lon, float(row[6]), float(row[7])
    return lat, lon, lat, lon


class AreaState:
    """Recent detour notices of one area.

    Rows are ``[vehicle, episode, start, end, lat, lon, rejoin_lat, rejoin_lon]``: the skipped
    stretch runs from (lat, lon), where the vehicle left its route, to where it rejoined it.
    """

    __slots__ = ("notices", "told")

    def __init__(self) -> None:
        self.notices: list[list[Any]] = []
        self.told: dict[str, int] = {}  # episode id -> other vehicles last announced

    def alerts(self) -> Mapping[str, AlertState]:
        """Areas raise no alerts of their own."""
        return {}

    def to_bytes(self) -> bytes:
        """JSON encoding (bounded: at most :data:`MAX_NOTICES` rows)."""
        return orjson.dumps({"n": self.notices, "t": self.told})

    @classmethod
    def from_bytes(cls, data: bytes) -> AreaState:
        """Decode :meth:`to_bytes` output; raises ``ValueError`` when unreadable."""
        try:
            obj = orjson.loads(data)
            state = cls()
            state.notices = [list(row) for row in obj["n"]]
            state.told = {str(k): int(v) for k, v in obj["t"].items()}
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"area state unreadable: {exc}") from exc
        return state


class AreaEngine(KeyedEngine[AreaState]):
    """Stateful processor of one worker's area partitions (see the module docstring)."""

    def __init__(
        self,
        config: FleetConfig,
        limits: StreamLimits,
        load_state: StateLoader,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(load_state, AreaState.from_bytes, limits, clock)
        self.config = config
        self.route(
            "notices",
            Route(
                decode=lambda raw, now: decode_area_notice(raw),
                key=lambda notice: notice.area_id,
                create=lambda notice: AreaState(),
                apply=self._on_notice,
            ),
        )

    def _on_notice(self, notice: AreaNotice, entry: Entry[AreaState], now: float) -> list[Output]:
        """Add one notice of a vehicle's detour to its area and answer the vehicles involved."""
        entry.touch()
        row = notice_row(notice)
        return self.apply(entry.state, notice.area_id, row, probe=bool(notice.probe))

    def apply(
        self, state: AreaState, area: str, row: list[Any], probe: bool = False
    ) -> list[Output]:
        """Add one notice row and tell every involved vehicle its count of concurrent others.

        Two detours are concurrent when they started within ``area_window_s`` of each other
        and their skipped stretches come within ``area_match_m`` of each other (they skipped
        the same blocked road). A ``probe`` adds nothing and is always answered (final
        context, count possibly 0).
        """
        window = self.config.area_window_s
        near_m = self.config.area_match_m
        if probe:
            return [self._answer(state, area, row, window, near_m)]
        end = float(row[3])
        rows = [r for r in state.notices if float(r[3]) >= end - 2 * window]
        if not any(r[1] == row[1] for r in rows):
            rows.append(row)
        state.notices = rows[-MAX_NOTICES:]
        live = {str(r[1]) for r in state.notices}
        state.told = {k: v for k, v in state.told.items() if k in live}

        def concurrent(a: list[Any], b: list[Any]) -> bool:
            return _concurrent(a, b, window, near_m)

        emits: list[Output] = []
        for other in state.notices:
            if not concurrent(other, row):
                continue
            vehicle, episode = str(other[0]), str(other[1])
            others = {
                str(o[0]) for o in state.notices if str(o[0]) != vehicle and concurrent(o, other)
            }
            if len(others) > state.told.get(episode, 0):
                state.told[episode] = len(others)
                ts = max(end, float(other[3]))
                context = AreaContext(vehicle, episode, area, len(others), ts)
                emits.append(Output("context", vehicle, context))
        return emits

    @staticmethod
    def _answer(
        state: AreaState, area: str, row: list[Any], window: float, near_m: float
    ) -> Output:
        """The final count of other vehicles concurrent with the probed episode."""
        vehicle = str(row[0])
        others = {
            str(o[0])
            for o in state.notices
            if str(o[0]) != vehicle and _concurrent(o, row, window, near_m)
        }
        context = AreaContext(vehicle, str(row[1]), area, len(others), float(row[3]), final=True)
        return Output("context", vehicle, context)


def notice_row(notice: AreaNotice) -> list[Any]:
    """The area state row of a notice (a one-point stretch when it has no rejoin point)."""
    rejoin_lat = notice.lat if notice.rejoin_lat is None else notice.rejoin_lat
    rejoin_lon = notice.lon if notice.rejoin_lon is None else notice.rejoin_lon
    return [
        notice.vehicle_id,
        notice.episode_id,
        float(notice.start_ts),
        float(notice.end_ts),
        float(notice.lat),
        float(notice.lon),
        float(rejoin_lat),
        float(rejoin_lon),
    ]


def _concurrent(a: list[Any], b: list[Any], window: float, near_m: float) -> bool:
    """Started within ``window`` seconds and skipped stretches within ``near_m`` metres."""
    if abs(float(a[2]) - float(b[2])) > window:
        return False
    return segment_distance_m(_stretch(a), _stretch(b)) <= near_m
