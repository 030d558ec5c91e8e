"""What one GPS fix says about its vehicle, read once and handed to every step of the engine.

:func:`read_fix` turns a fix and the vehicle's state into a frozen :class:`FixFacts`: local
time, motion and assignment, grid cell, the geofences around it, whether the vehicle's learned
corridor can judge it and whether it is on it, whether the hour is unusual, and whether the
vehicle behaves *normally* (the fact that closes an episode and lets habits be learned).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from agents.fleet.config import FleetConfig
from agents.fleet.corridor import RouteCorridor
from agents.fleet.geo import cell_rowcol
from agents.fleet.kinds import FenceKind, StopKind
from agents.fleet.vehicle_state import VehicleState
from schemas.vehicle import Geofence, VehicleTelemetry

__all__ = ["FixFacts", "read_fix", "route_hash"]


def route_hash(route_id: str) -> int:
    """A stable 32-bit hash of a route id (the key of its corridor)."""
    return zlib.crc32(route_id.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class FixFacts:
    """The facts of one fix that the engine's steps decide on."""

    day: int
    """Local day number (days since the epoch in the fleet's time zone)."""
    hour: int
    """Local hour of the day, 0..23."""
    moving: bool
    """Ignition on and at least ``moving_kmh``."""
    assigned: bool
    """The fix carries a route or a driver shift."""
    row: int
    col: int
    """Grid cell of the fix (``cell_m`` squares)."""
    route: RouteCorridor | None
    """Corridor of the fix's route, None without a route."""
    warmed: bool
    """The vehicle drove on more than ``warmup_days`` days: its episodes are judged."""
    fences: Sequence[Geofence]
    """Geofences containing the fix."""
    legit_here: bool
    """Inside a depot, customer or service geofence."""
    in_restricted: bool
    """Inside a restricted zone."""
    depots: Sequence[str]
    """Ids of the depot geofences containing the fix."""
    new_stop: StopKind | None
    """Kind of the place of a stop that starts with this fix, None otherwise."""
    checkable: bool
    """A learned corridor can judge the fix (its route's, or any route's when unassigned)."""
    on_corridor: bool
    """On the learned corridor (True when not checkable)."""
    unusual_hour: bool
    """The vehicle is warmed up and does not drive at this hour."""
    normal: bool
    """Driving on route with an assignment, parked at a depot, or stopped at a known place."""

    @property
    def on_route(self) -> bool:
        """On the corridor, or nothing to check against."""
        return self.on_corridor or not self.checkable

    @property
    def off_corridor(self) -> bool:
        """Driving off a corridor that can judge the fix."""
        return self.moving and self.checkable and not self.on_corridor


def read_fix(
    fix: VehicleTelemetry, state: VehicleState, fences: Sequence[Geofence], config: FleetConfig
) -> FixFacts:
    """Read ``fix`` against the vehicle's state (``fences``: the geofences containing it).

    A moving fix first counts its day as a driving day of the vehicle and of its route (the
    route's corridor is created on first sight) - the one change made here - since whether
    the vehicle and its route are learned includes today.
    """
    local = fix.ts + config.utc_offset_h * 3600.0
    day = int(local // 86400)
    hour = int((local % 86400) // 3600)
    moving = fix.ignition and fix.speed_kmh >= config.moving_kmh
    assigned = fix.route_id is not None or fix.shift_id is not None
    if moving and day != state.last_day:
        state.last_day = day
        state.days_seen += 1
    warmed = state.days_seen > config.warmup_days
    row, col = cell_rowcol(fix.lat, fix.lon, config.cell_m)
    corridor = state.corridor
    route = corridor.route(route_hash(fix.route_id)) if fix.route_id else None
    if route is not None and moving:
        route.see_day(day)

    legit_here = any(f.kind != FenceKind.RESTRICTED for f in fences)
    in_restricted = any(f.kind == FenceKind.RESTRICTED for f in fences)
    depots = [f.geofence_id for f in fences if f.kind == FenceKind.DEPOT]

    new_stop: StopKind | None = None
    if not moving and state.stop_start is None:
        if legit_here:
            new_stop = StopKind.GEOFENCE
        elif state.places.usual(row, col):
            new_stop = StopKind.USUAL
        else:
            new_stop = StopKind.UNKNOWN
    stop_kind = state.stop_kind if new_stop is None else new_stop

    learned = config.route_warmup_days
    checkable = False
    on = True
    if route is not None and route.days > learned:
        checkable = True
        on = corridor.near(route, row, col)
    elif fix.route_id is None and any(r.days > learned for r in corridor.routes):
        checkable = True
        on = corridor.near_any(row, col, learned + 1)
    on_route = on or not checkable
    normal = (
        (moving and assigned and on_route)
        or (not fix.ignition and bool(depots))
        or (not moving and assigned and on_route and (legit_here or stop_kind != StopKind.UNKNOWN))
    )
    return FixFacts(
        day=day,
        hour=hour,
        moving=moving,
        assigned=assigned,
        row=row,
        col=col,
        route=route,
        warmed=warmed,
        fences=fences,
        legit_here=legit_here,
        in_restricted=in_restricted,
        depots=depots,
        new_stop=new_stop,
        checkable=checkable,
        on_corridor=on,
        unusual_hour=warmed and not state.hours.usual(hour),
        normal=normal,
    )
