"""Cross-vehicle context per area: concurrent detours of several vehicles mean traffic.

The vehicle agent announces every closed detour-shaped episode (:class:`AreaNotice`) to the
areas around the middle of the skipped stretch: the four ~2 km cells whose centres surround it,
so two detours around the same blocked road always share at least one area even when the cell
border runs through it. The area agent keeps, per area, the recent notices (a bounded ring) and
answers each vehicle involved with how many *other* vehicles made a detour there within
``window_s`` (:class:`AreaContext`, keyed by vehicle, back to the vehicle agent).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import orjson

from fleet.config import FleetConfig
from fleet.geo import EARTH_M_PER_DEG, haversine_m
from schemas import ValidationError
from schemas.vehicle import AreaContext, AreaNotice
from streams import Emit, KeyedEngine, RecordMeta, dead_letter_emit

__all__ = ["AreaEngine", "AreaState", "area_ids"]

MAX_NOTICES = 32


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


class AreaState:
    """Recent detour notices of one area: ``[vehicle, episode, start, end, lat, lon]`` rows."""

    __slots__ = ("notices", "told")

    def __init__(self) -> None:
        self.notices: list[list[Any]] = []
        self.told: dict[str, int] = {}  # episode id -> other vehicles last announced

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
        load_state: Callable[[str], bytes | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(load_state, AreaState.from_bytes, config.flush_every, config, clock)
        self.config = config

    @property
    def areas(self) -> int:
        """Areas held in memory."""
        return len(self.cache)

    def handle(self, raw: bytes, meta: RecordMeta) -> list[Emit]:
        """Process one area notice; never raises on bad input."""
        now = self._clock()
        try:
            notice = AreaNotice.from_dict(orjson.loads(raw))
            start, end = float(notice.start_ts), float(notice.end_ts)
            if not notice.area_id or not notice.vehicle_id or not notice.episode_id:
                raise ValidationError("missing_field", "area notice lacks its ids")
        except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
            err = (
                exc
                if isinstance(exc, ValidationError)
                else ValidationError("malformed_json", f"area notice unreadable: {exc}")
            )
            return [dead_letter_emit(raw, err, meta, now)]
        entry = self.cache.entry(notice.area_id, meta.partition, AreaState)
        entry.touch()
        row = [notice.vehicle_id, notice.episode_id, start, end, notice.lat, notice.lon]
        return self.apply(entry.state, notice.area_id, row, probe=bool(notice.probe))

    def apply(self, state: AreaState, area: str, row: list[Any], probe: bool = False) -> list[Emit]:
        """Add one notice row and tell every involved vehicle its count of concurrent others.

        Two detours are concurrent when they started within ``area_window_s`` of each other
        and the middles of their skipped stretches lie within one area side of each other.
        A ``probe`` adds nothing and is always answered (final context, count possibly 0).
        """
        window = self.config.area_window_s
        near_m = self.config.area_cell_m
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
            fa = [float(x) for x in a[2:6]]
            fb = [float(x) for x in b[2:6]]
            return (
                abs(fa[0] - fb[0]) <= window and haversine_m(fa[2], fa[3], fb[2], fb[3]) <= near_m
            )

        emits: list[Emit] = []
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
                emits.append(Emit("context", vehicle.encode(), context.to_json()))
        return emits

    @staticmethod
    def _answer(state: AreaState, area: str, row: list[Any], window: float, near_m: float) -> Emit:
        """The final count of other vehicles concurrent with the probed episode."""
        vehicle = str(row[0])
        start, lat, lon = float(row[2]), float(row[4]), float(row[5])
        others = {
            str(o[0])
            for o in state.notices
            if str(o[0]) != vehicle
            and abs(float(o[2]) - start) <= window
            and haversine_m(float(o[4]), float(o[5]), lat, lon) <= near_m
        }
        context = AreaContext(vehicle, str(row[1]), area, len(others), float(row[3]), final=True)
        return Emit("context", vehicle.encode(), context.to_json())
