"""The vehicle's stops, and the habits it learns while it behaves normally.

Online, nothing configured per vehicle: outside episodes and with an assignment, a vehicle
learns its driving hours (:class:`~agents.fleet.habits.HourActivity`) and the corridor of its
route (:class:`~agents.fleet.corridor.Corridor`: every cell along the drive from the previous
fix), and a stop of :data:`LEARN_STOP_S` or more outside legitimate geofences becomes one of
its usual stop places (:class:`~agents.fleet.habits.StopPlaces`). A stop that ends during an
episode is counted in the episode instead.
"""

from __future__ import annotations

from agents.fleet.config import FleetConfig
from agents.fleet.facts import FixFacts
from agents.fleet.geo import cell_rowcol
from agents.fleet.kinds import StopKind
from agents.fleet.vehicle_state import VehicleState
from schemas.vehicle import VehicleTelemetry

__all__ = ["CONNECT_S", "LEARN_STOP_S", "learn_habits", "track_stop"]

LEARN_STOP_S = 10 * 60.0
"""A stop this long outside legitimate geofences is learned as a stop place."""

CONNECT_S = 600.0
"""A learned fix this recent is joined to the next one when the corridor is learned."""


def track_stop(state: VehicleState, fix: VehicleTelemetry, facts: FixFacts, cell_m: float) -> None:
    """Start or end the vehicle's current stop; learn usual stop places outside episodes."""
    if not facts.moving:
        if facts.new_stop is not None:
            state.stop_start = fix.ts
            state.stop_lat, state.stop_lon = fix.lat, fix.lon
            state.stop_kind = facts.new_stop
        return
    if state.stop_start is None:
        return
    duration = fix.ts - state.stop_start
    episode = state.open
    if episode is not None:
        episode.note_stop(duration, known=state.stop_kind != StopKind.UNKNOWN)
    elif duration >= LEARN_STOP_S and state.stop_kind != StopKind.GEOFENCE:
        row, col = cell_rowcol(state.stop_lat, state.stop_lon, cell_m)
        state.places.learn(row, col, facts.day)
    state.stop_start = None


def learn_habits(
    state: VehicleState, fix: VehicleTelemetry, facts: FixFacts, config: FleetConfig
) -> bool:
    """Learn the driving hour and the route's corridor from a normal fix outside episodes.

    Returns whether the fix was learned into the corridor (the next fix then learns the
    stretch between the two).
    """
    if state.open is not None or not facts.assigned:
        return False
    if facts.moving and facts.on_route:
        state.hours.learn(facts.hour)
    route = facts.route
    if route is None or not (route.days <= config.route_warmup_days or facts.on_corridor):
        return False
    joined = (
        state.last_ts is not None and fix.ts - state.last_ts <= CONNECT_S and state.learned_last
    )
    start = (state.last_lat, state.last_lon) if joined else None
    state.corridor.learn_segment(route, start, (fix.lat, fix.lon), config.cell_m)
    return True
