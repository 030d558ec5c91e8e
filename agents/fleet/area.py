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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from agents.fleet.config import FleetConfig
from agents.fleet.geo import EARTH_M_PER_DEG, haversine_m, segment_distance_m
from app.core import Entry, KeyedEngine, Output, Route, StateLoader, StreamLimits
from app.core.alerting import AlertState
from schemas.vehicle import AreaContext, AreaNotice, decode_area_notice

__all__ = ["AreaEngine", "AreaState", "NoticeRow", "area_ids", "stretch_areas"]

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


@dataclass(frozen=True, slots=True)
class NoticeRow:
    """One vehicle's detour kept by an area: who, when, and the stretch of route it skipped.

    The stretch runs from (``lat``, ``lon``), where the vehicle left its route, to
    (``rejoin_lat``, ``rejoin_lon``), where it rejoined it.
    """

    vehicle_id: str
    episode_id: str
    start_ts: float
    end_ts: float
    lat: float
    lon: float
    rejoin_lat: float
    rejoin_lon: float

    @classmethod
    def of(cls, notice: AreaNotice) -> NoticeRow:
        """The row of a notice (a one-point stretch when it has no rejoin point)."""
        rejoin_lat = notice.lat if notice.rejoin_lat is None else notice.rejoin_lat
        rejoin_lon = notice.lon if notice.rejoin_lon is None else notice.rejoin_lon
        return cls(
            notice.vehicle_id,
            notice.episode_id,
            float(notice.start_ts),
            float(notice.end_ts),
            float(notice.lat),
            float(notice.lon),
            float(rejoin_lat),
            float(rejoin_lon),
        )

    @property
    def stretch(self) -> Stretch:
        """The skipped stretch ``(lat1, lon1, lat2, lon2)``."""
        return self.lat, self.lon, self.rejoin_lat, self.rejoin_lon

    def to_list(self) -> list[Any]:
        """Compact plain data for the area state."""
        return [
            self.vehicle_id,
            self.episode_id,
            self.start_ts,
            self.end_ts,
            self.lat,
            self.lon,
            self.rejoin_lat,
            self.rejoin_lon,
        ]

    @classmethod
    def from_list(cls, row: Sequence[Any]) -> NoticeRow:
        """Rebuild from :meth:`to_list` output (or a six-field row of the one-point format)."""
        lat, lon = float(row[4]), float(row[5])
        rejoin_lat, rejoin_lon = (float(row[6]), float(row[7])) if len(row) >= 8 else (lat, lon)
        return cls(
            str(row[0]), str(row[1]), float(row[2]), float(row[3]), lat, lon, rejoin_lat, rejoin_lon
        )


class AreaState:
    """Recent detour notices of one area (:class:`NoticeRow`, oldest first)."""

    __slots__ = ("notices", "told")

    def __init__(self) -> None:
        self.notices: list[NoticeRow] = []
        self.told: dict[str, int] = {}  # episode id -> other vehicles last announced

    def alerts(self) -> Mapping[str, AlertState]:
        """Areas raise no alerts of their own."""
        return {}

    def to_bytes(self) -> bytes:
        """JSON encoding (bounded: at most :data:`MAX_NOTICES` rows)."""
        return orjson.dumps({"n": [row.to_list() for row in self.notices], "t": self.told})

    @classmethod
    def from_bytes(cls, data: bytes) -> AreaState:
        """Decode :meth:`to_bytes` output; raises ``ValueError`` when unreadable."""
        try:
            obj = orjson.loads(data)
            state = cls()
            state.notices = [NoticeRow.from_list(row) for row in obj["n"]]
            state.told = {str(k): int(v) for k, v in obj["t"].items()}
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            # orjson.JSONDecodeError is a ValueError
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
        row = NoticeRow.of(notice)
        if notice.probe:
            return [self.answer(entry.state, notice.area_id, row)]
        return self.apply(entry.state, notice.area_id, row)

    def apply(self, state: AreaState, area: str, row: NoticeRow) -> list[Output]:
        """Add one notice row and tell every involved vehicle its count of concurrent others.

        Two detours are concurrent when they started within ``area_window_s`` of each other
        and their skipped stretches come within ``area_match_m`` of each other (they skipped
        the same blocked road).
        """
        end = row.end_ts
        rows = [r for r in state.notices if r.end_ts >= end - 2 * self.config.area_window_s]
        if not any(r.episode_id == row.episode_id for r in rows):
            rows.append(row)
        state.notices = rows[-MAX_NOTICES:]
        live = {r.episode_id for r in state.notices}
        state.told = {k: v for k, v in state.told.items() if k in live}

        outputs: list[Output] = []
        for other in state.notices:
            if not self._concurrent(other, row):
                continue
            others = self._others(state, other)
            if len(others) > state.told.get(other.episode_id, 0):
                state.told[other.episode_id] = len(others)
                ts = max(end, other.end_ts)
                context = AreaContext(other.vehicle_id, other.episode_id, area, len(others), ts)
                outputs.append(Output("context", other.vehicle_id, context))
        return outputs

    def answer(self, state: AreaState, area: str, row: NoticeRow) -> Output:
        """Answer a probe: the final count of other vehicles concurrent with its episode.

        A probe adds nothing to the area and is always answered (count possibly 0).
        """
        others = self._others(state, row)
        context = AreaContext(
            row.vehicle_id, row.episode_id, area, len(others), row.end_ts, final=True
        )
        return Output("context", row.vehicle_id, context)

    def _others(self, state: AreaState, row: NoticeRow) -> set[str]:
        """The other vehicles of the area whose detours are concurrent with ``row``'s."""
        return {
            o.vehicle_id
            for o in state.notices
            if o.vehicle_id != row.vehicle_id and self._concurrent(o, row)
        }

    def _concurrent(self, a: NoticeRow, b: NoticeRow) -> bool:
        """Started within ``area_window_s`` and skipped stretches within ``area_match_m``."""
        if abs(a.start_ts - b.start_ts) > self.config.area_window_s:
            return False
        return segment_distance_m(a.stretch, b.stretch) <= self.config.area_match_m
