"""The vehicle side of the cross-vehicle area protocol: which closed episodes wait, and for what.

A closed episode shaped like a detour (left the route and rejoined it further on without
stopping, short, assigned, no restricted zone) is *provisional*: the vehicle announces the
stretch of route it skipped to every area that stretch touches (:mod:`agents.fleet.area`), and
the areas answer with how many other vehicles skipped a nearby stretch at the same time - a
count that can turn it into a traffic detour at once. After ``hold_s`` the vehicle probes its
areas for the final count, and the last answer decides the episode; should the answers not
come within another ``hold_s``, it is decided as it is.

A drive to or from a short stop at the vehicle's home depot (:mod:`agents.fleet.home`) is a
depot trip, decided normal whatever other vehicles did nearby.
"""

from __future__ import annotations

from collections.abc import Mapping

from agents.fleet.area import stretch_areas
from agents.fleet.classifier import EpisodeClassifier
from agents.fleet.config import FleetConfig
from agents.fleet.episode import EpisodeRecord
from agents.fleet.kinds import HomeLink, Label, Status
from agents.fleet.outputs import closed_episode_output
from agents.fleet.vehicle_state import VehicleState
from agents.fleet.verdicts import VerdictLearner
from app.core import Output
from schemas.vehicle import AreaContext, AreaNotice, VehicleTelemetry

__all__ = ["DEPOT_ARRIVAL_S", "DEPOT_TRIP_GAP_S", "AreaProtocol", "detour_shaped"]

DEPOT_TRIP_GAP_S = 30 * 60.0
"""An episode starting this soon after a short stop at the home depot is a depot trip."""
DEPOT_ARRIVAL_S = 15 * 60.0
"""A short home stop starting this soon after an episode ended makes it a depot trip."""


def detour_shaped(features: Mapping[str, float]) -> bool:
    """Whether a closed episode looks like a detour that other vehicles' context may explain."""
    return (
        features["stop_unknown_min"] + features["stop_known_min"] < 3.0
        and features["rejoin_km"] >= 0.4
        and features["duration_min"] <= 60.0
        and features["restricted"] == 0.0
        and features["unassigned_frac"] < 0.5
    )


class AreaProtocol:
    """Holds, announces, probes and decides a vehicle's detour-shaped episodes."""

    def __init__(
        self, config: FleetConfig, classifier: EpisodeClassifier, verdicts: VerdictLearner
    ) -> None:
        self.config = config
        self.classifier = classifier
        self.verdicts = verdicts

    def hold(self, state: VehicleState, record: EpisodeRecord, *, parked: bool) -> bool:
        """Make a closed episode provisional if it is detour-shaped; link it to the home depot.

        ``parked``: the vehicle's ignition is off at the closing fix. Returns whether the
        episode waits for area context (then announce it with :meth:`announce`).
        """
        depot_trip = state.depot.left_recently(record.start_ts, DEPOT_TRIP_GAP_S)
        detour_like = detour_shaped(record.features) and not depot_trip
        if depot_trip:
            record.home = HomeLink.TRIP
        elif detour_like and parked and state.depot.parked_at_home():
            record.home = HomeLink.WAIT
        if detour_like:
            record.status = Status.PROVISIONAL
        return detour_like

    def announce(self, vehicle_id: str, record: EpisodeRecord, areas: list[str]) -> list[Output]:
        """Announce the episode's skipped stretch to each of ``areas``."""
        return _notices(vehicle_id, record, areas, probe=False)

    def settle(self, state: VehicleState, fix: VehicleTelemetry) -> list[Output]:
        """Probe the areas of provisional episodes whose hold is over; decide unanswered ones."""
        outputs: list[Output] = []
        hold = self.config.hold_s
        for record in state.recent:
            if record.status != Status.PROVISIONAL or fix.ts < record.end_ts + hold:
                continue
            if record.probes_waiting < 0:
                areas = stretch_areas(
                    record.exit_lat,
                    record.exit_lon,
                    record.rejoin_lat,
                    record.rejoin_lon,
                    self.config.area_cell_m,
                )
                record.probes_waiting = len(areas)
                outputs.extend(_notices(fix.vehicle_id, record, areas, probe=True))
            elif fix.ts >= record.end_ts + 2 * hold:
                outputs.extend(self._decide(state, fix.vehicle_id, record))
        return outputs

    def depot_trips(self, state: VehicleState, vehicle_id: str, stop_start: float) -> list[Output]:
        """Decide as depot trips the episodes that ended where a short home stop began.

        The vehicle parked at its home depot at ``stop_start`` and drove off again before
        :data:`agents.fleet.home.SHORT_STOP_S`: an episode that ended there was the drive to
        the depot, not a detour, whatever other vehicles did nearby.
        """
        outputs: list[Output] = []
        for record in state.recent:
            if record.home != HomeLink.WAIT or record.status != Status.PROVISIONAL:
                continue
            if not record.end_ts - DEPOT_ARRIVAL_S <= stop_start <= record.end_ts + DEPOT_ARRIVAL_S:
                continue
            record.home = HomeLink.TRIP
            record.features["area_vehicles"] = 0.0
            outputs.extend(self._decide(state, vehicle_id, record))
        return outputs

    @staticmethod
    def context_target(state: VehicleState, context: AreaContext) -> EpisodeRecord | None:
        """The recent episode an area context is about, unless gone or a depot trip."""
        record = next((r for r in state.recent if r.episode_id == context.episode_id), None)
        if record is None or record.home == HomeLink.TRIP:
            return None
        return record

    def apply_context(
        self, state: VehicleState, record: EpisodeRecord, context: AreaContext
    ) -> list[Output]:
        """Add other vehicles' concurrent deviations to ``record`` and re-decide it.

        A final answer to the vehicle's probe counts down the answers awaited; the last one
        decides a provisional episode. A larger count relabels the episode: a traffic detour is
        final at once (unless it may still prove a depot trip), and a change is published.
        """
        more = context.other_vehicles > record.features.get("area_vehicles", 0)
        if more:
            record.features["area_vehicles"] = float(context.other_vehicles)
            if record.verdict is not None:
                # Judged before this late context arrived: learn the corrected example too.
                self.classifier.learn(record.features, record.verdict)
        if context.final and record.probes_waiting > 0:
            record.probes_waiting -= 1
            if record.probes_waiting == 0 and record.status == Status.PROVISIONAL:
                return self._decide(state, context.vehicle_id, record)
        if not more:
            return []
        verdict = self.classifier.classify(record.features)
        changed = verdict.label != record.label
        record.label = verdict.label
        was_final = record.status == Status.FINAL
        now_final = (
            verdict.label == Label.TRAFFIC_DETOUR and not was_final and record.home != HomeLink.WAIT
        )
        if not changed and not now_final:
            return []
        record.revision += 1
        if now_final:
            record.status = Status.FINAL
        if was_final or now_final:
            self.verdicts.decided(state, verdict.label)  # newly final, or relabelled final
        else:
            self.verdicts.retry(state)
        return [closed_episode_output(context.vehicle_id, record, verdict)]

    def _decide(self, state: VehicleState, vehicle_id: str, record: EpisodeRecord) -> list[Output]:
        """Make a provisional episode final with what is known now."""
        verdict = self.classifier.classify(record.features)
        record.label = verdict.label
        record.status = Status.FINAL
        record.revision += 1
        self.verdicts.decided(state, verdict.label)
        return [closed_episode_output(vehicle_id, record, verdict)]


def _notices(vehicle_id: str, record: EpisodeRecord, areas: list[str], probe: bool) -> list[Output]:
    """Announce (or probe) the episode's skipped stretch to each of ``areas``."""
    outputs = []
    for area in areas:
        notice = AreaNotice(
            area_id=area,
            vehicle_id=vehicle_id,
            episode_id=record.episode_id,
            start_ts=record.start_ts,
            end_ts=record.end_ts,
            detour_like=True,
            lat=record.exit_lat,
            lon=record.exit_lon,
            probe=probe,
            rejoin_lat=record.rejoin_lat,
            rejoin_lon=record.rejoin_lon,
        )
        outputs.append(Output("area_notices", area, notice))
    return outputs
