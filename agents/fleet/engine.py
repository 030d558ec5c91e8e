"""The fleet vehicle engine: raw fixes, verdicts and area context in, episodes and alerts out.

A short orchestrator over the modules that hold the logic. Per GPS fix of a vehicle (state in
:class:`~agents.fleet.vehicle_state.VehicleState`), read once into
:class:`~agents.fleet.facts.FixFacts`:

1. :mod:`~agents.fleet.presence`: geofences entered / left / overstayed; a restricted zone
   raises an alert at once;
2. :mod:`~agents.fleet.learning`: the vehicle's stops; while it behaves normally it learns its
   corridor per route, its driving hours and its usual stop places - online, nothing is
   configured per vehicle;
3. :mod:`~agents.fleet.home`: short stops at the home depot make the episode that ended there
   a depot trip (:mod:`~agents.fleet.area_protocol`);
4. :mod:`~agents.fleet.episodes`: the episode state machine (open, extend, classify while
   running, close) once the vehicle's habits are warmed up; closed detour-shaped episodes wait
   for other vehicles' area context (:mod:`~agents.fleet.area_protocol`) and are probed and
   decided after the hold;
5. :mod:`~agents.fleet.alerts`: the unauthorized-use alert, the dispatcher notification and the
   immobilisation confirmation request (a request - nothing is ever executed silently).

Dispatcher verdicts (delayed labels) are matched to the vehicle's recent episodes and teach the
shared classifier once the episode is decided (:mod:`~agents.fleet.verdicts`). Redelivered or
reordered fixes (not newer than the vehicle's newest) are skipped and counted. The engine never
touches Kafka or Faust.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from agents.fleet.alerts import UnauthorizedAlert
from agents.fleet.area_protocol import AreaProtocol
from agents.fleet.classifier import EpisodeClassifier
from agents.fleet.config import FleetConfig
from agents.fleet.episodes import EpisodeTracker
from agents.fleet.facts import read_fix
from agents.fleet.geofences import GeofenceIndex
from agents.fleet.learning import learn_habits, track_stop
from agents.fleet.presence import update_presence
from agents.fleet.stats import FleetStats
from agents.fleet.vehicle_state import VehicleState
from agents.fleet.verdicts import VerdictLearner
from app.core import Entry, KeyedEngine, Output, Route, StateLoader, StreamLimits
from schemas import ValidationError
from schemas.vehicle import (
    AreaContext,
    DispatcherVerdict,
    Geofence,
    VehicleTelemetry,
    decode_area_context,
    decode_geofence,
    decode_vehicle_telemetry,
    decode_verdict,
)

__all__ = ["FleetEngine"]


class FleetEngine(KeyedEngine[VehicleState]):
    """Stateful processor of one worker's vehicle partitions (see the module docstring)."""

    def __init__(
        self,
        config: FleetConfig,
        limits: StreamLimits,
        load_state: StateLoader,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            load_state,
            lambda data: VehicleState.from_bytes(
                data, config.corridor_min_count, config.corridor_capacity
            ),
            limits,
            clock,
        )
        self.config = config
        self.geofences = GeofenceIndex()
        self.classifier = EpisodeClassifier(config.learning_rate)
        self.stats = FleetStats()
        self.alert = UnauthorizedAlert(config, clock)
        self.verdicts = VerdictLearner(self.classifier, self.stats)
        self.areas = AreaProtocol(config, self.classifier, self.verdicts)
        self.episodes = EpisodeTracker(
            config, self.classifier, self.alert, self.areas, self.verdicts
        )

        self.route(
            "telemetry",
            Route(
                decode=self.timed(decode_vehicle_telemetry),
                key=lambda fix: fix.vehicle_id,
                create=self._new_state,
                apply=lambda fix, entry, now: self.process_fix(fix, entry),
                event_ts=lambda fix: fix.ts,
                newest_ts=lambda state: state.last_ts,
            ),
        )
        self.route(
            "verdicts",
            Route(
                decode=self.timed(decode_verdict),
                key=lambda verdict: verdict.vehicle_id,
                create=self._new_state,
                apply=self._on_verdict,
            ),
        )
        self.route(
            "context",
            Route(
                decode=lambda raw, now: decode_area_context(raw),
                key=lambda context: context.vehicle_id,
                create=self._new_state,
                apply=lambda context, entry, now: self.apply_context(context, entry),
            ),
        )

    def _new_state(self, record: object) -> VehicleState:
        return VehicleState(self.config.corridor_min_count, self.config.corridor_capacity)

    def _entry(self, vehicle_id: str, partition: int) -> Entry[VehicleState]:
        return self.cache.entry(vehicle_id, partition, lambda: self._new_state(None))

    def _on_verdict(
        self, verdict: DispatcherVerdict, entry: Entry[VehicleState], now: float
    ) -> list[Output]:
        self.apply_verdict(verdict, entry)
        return []

    def feed_fix(self, fix: VehicleTelemetry, partition: int = 0) -> list[Output]:
        """Process an already validated fix (offline evaluation and benchmarks)."""
        return self.process_fix(fix, self._entry(fix.vehicle_id, partition))

    def feed_verdict(self, verdict: DispatcherVerdict, partition: int = 0) -> None:
        """Learn from an already validated verdict (offline evaluation)."""
        self.apply_verdict(verdict, self._entry(verdict.vehicle_id, partition))

    def feed_context(self, context: AreaContext, partition: int = 0) -> list[Output]:
        """Apply an area-context record (offline evaluation)."""
        return self.apply_context(context, self._entry(context.vehicle_id, partition))

    def apply_geofence(self, key: bytes | None, raw: bytes | None) -> Geofence | None:
        """Adopt one record of the compacted geofence topic; raises :class:`ValidationError`.

        A record without a value (a tombstone) deletes the fence its key names; a fence must
        be keyed by its own id, or a later tombstone of that id could not delete it.
        """
        if raw is None:
            if key:
                self.geofences.remove(key.decode("utf-8", "replace"))
            return None
        fence = decode_geofence(raw)
        if key is not None and key != fence.geofence_id.encode():
            raise ValidationError(
                "bad_id", f"geofence_id {fence.geofence_id!r} differs from the message key"
            )
        self.geofences.upsert(fence)
        return fence

    def process_fix(self, fix: VehicleTelemetry, entry: Entry[VehicleState]) -> list[Output]:
        """Run one validated fix through the vehicle's state (see the module docstring)."""
        state = entry.state
        if state.last_ts is not None and fix.ts <= state.last_ts:
            self.stats.stale += 1  # a redelivered or reordered fix: its effect is already in
            return []
        self.stats.fixes += 1
        entry.touch()
        fences = self.geofences.containing(fix.lat, fix.lon) if len(self.geofences) else []
        facts = read_fix(fix, state, fences, self.config)

        state.presence, outputs = update_presence(
            state.presence, fix, facts.fences, state.restricted_alert
        )
        track_stop(state, fix, facts, self.config.cell_m)
        home_stop = state.depot.observe(fix.ts, fix.ignition, facts.depots)
        if home_stop is not None:
            outputs.extend(self.areas.depot_trips(state, fix.vehicle_id, home_stop))
        learned = learn_habits(state, fix, facts, self.config)

        if facts.warmed:
            outputs.extend(self.episodes.step(state, fix, facts))
            if facts.in_restricted:
                outputs.extend(self.episodes.enter_restricted(state, fix))
            self.verdicts.expire(state, fix.ts)
            outputs.extend(self.areas.settle(state, fix))
        if state.open is None and facts.normal:
            state.exit_lat, state.exit_lon = fix.lat, fix.lon
        outputs.extend(self.alert.clear_when_back(state, fix))
        state.last_ts = fix.ts
        state.last_lat, state.last_lon = fix.lat, fix.lon
        state.learned_last = learned
        return outputs

    def apply_context(self, context: AreaContext, entry: Entry[VehicleState]) -> list[Output]:
        """Add other vehicles' concurrent deviations to one of the vehicle's recent episodes."""
        record = self.areas.context_target(entry.state, context)
        if record is None:
            return []
        entry.touch()
        return self.areas.apply_context(entry.state, record, context)

    def apply_verdict(self, verdict: DispatcherVerdict, entry: Entry[VehicleState]) -> None:
        """Learn from a dispatcher verdict now, or keep it until its episode is decided."""
        entry.touch()
        self.verdicts.receive(entry.state, verdict)
