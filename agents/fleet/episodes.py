"""The episode state machine of a vehicle: open, extend, classify while running, close.

An episode opens after ``off_corridor_readings`` fixes driving off the learned corridor (or one
far off it), driving without an assignment or off the corridor at hours the vehicle never
drives, a stop of ``long_stop_s`` at a place it does not know, or entering a restricted zone.
Each fix extends its features (:class:`~agents.fleet.episode.OpenEpisode`); every
:data:`IN_PROGRESS_EVERY` fixes it is classified so far (so an off-hours trip alerts during the
trip) and published when its label changes. ``normal_readings_to_close`` normal fixes close it
where the vehicle came back to normal (or ``max_episode_s`` closes it anyway): it is classified,
kept in the vehicle's state, made provisional or final by the area protocol
(:mod:`agents.fleet.area_protocol`) and may raise the unauthorized-use alert.
"""

from __future__ import annotations

import math

from agents.fleet.alerts import UnauthorizedAlert
from agents.fleet.area import stretch_areas
from agents.fleet.area_protocol import AreaProtocol
from agents.fleet.classifier import EpisodeClassifier
from agents.fleet.config import FleetConfig
from agents.fleet.episode import EpisodeRecord, OpenEpisode
from agents.fleet.facts import FixFacts
from agents.fleet.geo import haversine_m
from agents.fleet.kinds import Label, Status, StopKind, Trigger
from agents.fleet.outputs import closed_episode_output, episode_id, ongoing_episode_output
from agents.fleet.vehicle_state import VehicleState
from agents.fleet.verdicts import VerdictLearner
from app.core import Output
from schemas.vehicle import VehicleTelemetry

__all__ = ["FAR_OFF_CELLS", "IN_PROGRESS_EVERY", "EpisodeTracker"]

IN_PROGRESS_EVERY = 5
"""An open episode is classified on its first fix and every this many fixes after."""
FAR_OFF_CELLS = 5
"""A fix this many corridor cells off the corridor opens an episode at once."""


class EpisodeTracker:
    """Runs the episode state machine of each fix (see the module docstring)."""

    def __init__(
        self,
        config: FleetConfig,
        classifier: EpisodeClassifier,
        alert: UnauthorizedAlert,
        areas: AreaProtocol,
        verdicts: VerdictLearner,
    ) -> None:
        self.config = config
        self.classifier = classifier
        self.alert = alert
        self.areas = areas
        self.verdicts = verdicts

    def step(self, state: VehicleState, fix: VehicleTelemetry, facts: FixFacts) -> list[Output]:
        """Open, extend or close the vehicle's episode with this fix."""
        cfg = self.config
        ts = fix.ts
        off = facts.off_corridor
        if off:
            if state.off_streak == 0:
                state.off_since = ts
            state.off_streak += 1
        else:
            state.off_streak = 0
        if facts.moving and (not facts.assigned or (facts.unusual_hour and off)):
            if state.suspect_streak == 0:
                state.suspect_since = ts
            state.suspect_streak += 1
        else:
            state.suspect_streak = 0
        off_m = math.nan  # metres off the corridor: a search over the corridor, at most once a fix
        if state.open is None:
            if off:
                off_m = self._off_distance(state, facts)
            state.open = self._opening(state, fix, off and off_m >= FAR_OFF_CELLS * cfg.cell_m)
            if state.open is None:
                return []
        episode = state.open
        episode.readings += 1
        if facts.moving:
            episode.moving += 1
            episode.unassigned += 0 if facts.assigned else 1
            episode.unusual_hour += 1 if facts.unusual_hour else 0
        if (
            state.last_ts is not None
            and state.last_ts >= episode.start_ts
            and not math.isnan(state.last_lat)
        ):
            episode.path_m += haversine_m(state.last_lat, state.last_lon, fix.lat, fix.lon)
        if facts.moving and (off or (not facts.checkable and not facts.assigned)):
            if math.isnan(off_m):
                off_m = self._off_distance(state, facts)
            episode.max_off_m = max(episode.max_off_m, off_m)
        episode.last_ts = ts
        if facts.normal:
            if episode.normal_streak == 0:
                episode.normal_since = ts
                episode.rejoin_lat, episode.rejoin_lon = fix.lat, fix.lon
            episode.normal_streak += 1
        else:
            episode.normal_streak = 0
            episode.normal_since = None
        if episode.normal_streak >= cfg.normal_readings_to_close:
            end = episode.normal_since if episode.normal_since is not None else ts
            return self._close(state, fix, end, (episode.rejoin_lat, episode.rejoin_lon))
        if ts - episode.start_ts >= cfg.max_episode_s:
            return self._close(state, fix, ts, (fix.lat, fix.lon))
        if episode.readings % IN_PROGRESS_EVERY == 1:
            return self._in_progress(state, fix)
        return []

    def enter_restricted(self, state: VehicleState, fix: VehicleTelemetry) -> list[Output]:
        """The fix is inside a restricted zone: mark (or open) the episode and publish it."""
        if state.open is not None and state.open.restricted:
            return []
        if state.open is None:
            state.open = _open(state, fix, fix.ts, Trigger.RESTRICTED)
        state.open.restricted = True
        return self._in_progress(state, fix, republish=True)

    def _opening(
        self, state: VehicleState, fix: VehicleTelemetry, far_off: bool
    ) -> OpenEpisode | None:
        """The episode the streaks, a fix far off the corridor or a long stop open, if any."""
        cfg = self.config
        if state.suspect_streak >= cfg.off_corridor_readings:
            return _open(state, fix, state.suspect_since, Trigger.UNASSIGNED_OR_OFF_HOURS)
        if state.off_streak >= cfg.off_corridor_readings or far_off:
            return _open(state, fix, state.off_since, Trigger.OFF_CORRIDOR)
        stop_start = state.stop_start
        if (
            stop_start is not None
            and state.stop_kind == StopKind.UNKNOWN
            and fix.ts - stop_start >= cfg.long_stop_s
        ):
            return _open(state, fix, stop_start, Trigger.LONG_STOP)
        return None

    def _off_distance(self, state: VehicleState, facts: FixFacts) -> float:
        """Metres from the fix to its route's corridor (any route's when unassigned)."""
        cells = state.corridor.distance_cells(facts.route, facts.row, facts.col)
        return cells * self.config.cell_m

    def _in_progress(
        self, state: VehicleState, fix: VehicleTelemetry, *, republish: bool = False
    ) -> list[Output]:
        """Classify the open episode so far; publish on a label change (or ``republish``).

        A confident unauthorized use raises the alert while the trip goes on.
        """
        episode = state.open
        if episode is None:
            return []
        features = episode.features(fix.ts, stop=state.stop_so_far(fix.ts))
        verdict = self.classifier.classify(features)
        outputs: list[Output] = []
        if verdict.label != episode.ongoing_label or republish:
            episode.ongoing_label = verdict.label
            episode.revision += 1
            outputs.append(ongoing_episode_output(fix.vehicle_id, episode, verdict, features))
        if self.alert.confident(verdict):
            eid = episode_id(fix.vehicle_id, episode.start_ts)
            outputs.extend(self.alert.raise_for(state, fix.vehicle_id, fix.ts, eid, verdict))
            outputs.extend(self.alert.ask_immobilizer(episode, fix, eid, verdict, features))
        return outputs

    def _close(
        self, state: VehicleState, fix: VehicleTelemetry, end: float, rejoin: tuple[float, float]
    ) -> list[Output]:
        """Close the open episode at ``end`` where the vehicle rejoined its route.

        Classifies it, keeps it, lets the area protocol hold a detour-shaped one for context,
        and alerts on a confident unauthorized use.
        """
        episode = state.open
        assert episode is not None
        state.open = None
        lat, lon = rejoin
        rejoin_m = haversine_m(episode.exit_lat, episode.exit_lon, lat, lon)
        features = episode.features(end, rejoin_m, state.stop_so_far(end))
        verdict = self.classifier.classify(features)
        vid = fix.vehicle_id
        areas = stretch_areas(episode.exit_lat, episode.exit_lon, lat, lon, self.config.area_cell_m)
        record = EpisodeRecord(
            episode_id=episode_id(vid, episode.start_ts),
            start_ts=episode.start_ts,
            end_ts=end,
            features=features,
            label=verdict.label,
            status=Status.FINAL,
            revision=episode.revision + 1,
            route_id=episode.route_id,
            area_id=areas[0],
            exit_lat=round(episode.exit_lat, 5),  # ~1 m: keeps the state compact
            exit_lon=round(episode.exit_lon, 5),
            rejoin_lat=round(lat, 5),
            rejoin_lon=round(lon, 5),
        )
        held = self.areas.hold(state, record, parked=not fix.ignition)
        state.remember(record)
        outputs = [closed_episode_output(vid, record, verdict)]
        if held:
            outputs.extend(self.areas.announce(vid, record, areas))
        if self.alert.confident(verdict):
            outputs.extend(self.alert.raise_for(state, vid, fix.ts, record.episode_id, verdict))
        unauthorized = verdict.label == Label.UNAUTHORIZED
        state.unauthorized_until = end + (self.config.alert_clear_after_s if unauthorized else 0.0)
        if record.status == Status.FINAL:
            self.verdicts.decided(state, verdict.label)
        return outputs


def _open(
    state: VehicleState, fix: VehicleTelemetry, start: float, trigger: Trigger
) -> OpenEpisode:
    """A new episode starting at ``start``, leaving from the vehicle's last normal position."""
    exit_lat, exit_lon = state.exit_lat, state.exit_lon
    if math.isnan(exit_lat):
        exit_lat, exit_lon = fix.lat, fix.lon
    return OpenEpisode(
        start_ts=start,
        last_ts=fix.ts,
        exit_lat=exit_lat,
        exit_lon=exit_lon,
        route_id=fix.route_id,
        trigger=trigger,
    )
