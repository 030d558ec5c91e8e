"""The fleet vehicle engine: raw fixes, verdicts and area context in, episodes and alerts out.

Per GPS fix of a vehicle (state in :class:`fleet.vehicle_state.VehicleState`):

1. geofences: entered / left / dwell events; a restricted zone raises an alert at once;
2. habits: while the vehicle behaves normally it learns its corridor per route (cells), its
   driving hours and its usual stop places - online, nothing is configured per vehicle;
3. episodes: leaving the corridor, driving without an assignment or at unusual hours, a long
   stop at an unknown place or a restricted zone opens an episode; normal fixes close it;
4. classification (:class:`fleet.classifier.EpisodeClassifier`) while the episode runs (so an
   off-hours trip alerts during the trip) and when it closes. A closed episode shaped like a
   detour is *provisional*: it is announced to the area agent (:mod:`fleet.area`), whose
   answer - other vehicles deviating nearby at the same time - can turn it into a traffic
   detour; after ``hold_s`` the vehicle probes its areas for the final count and decides.
   A drive to or from a short stop at the vehicle's home depot (:mod:`fleet.home`) is a
   depot trip, normal whatever other vehicles did;
5. unauthorized use raises an ``unauthorized_use`` alert through :mod:`alerting` and a
   ``notify`` command to the dispatcher; a confident one on a moving vehicle also asks the
   dispatcher to confirm immobilisation (a request - nothing is ever executed silently).

Dispatcher verdicts (delayed labels) are matched to the vehicle's recent episodes and teach the
shared classifier once the episode is decided. Redelivered or reordered fixes (not newer than
the vehicle's newest) are skipped and counted. The engine never touches Kafka or Faust.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.fleet.area import stretch_areas
from agents.fleet.classifier import Classification, EpisodeClassifier
from agents.fleet.config import DOMAIN, RESTRICTED, UNAUTHORIZED, FleetConfig
from agents.fleet.episode import EpisodeRecord, OpenEpisode
from agents.fleet.geo import cell_rowcol, haversine_m
from agents.fleet.geofences import GeofenceIndex
from agents.fleet.outputs import (
    episode_emit,
    episode_id,
    geofence_emit,
    immobilizer_request,
    notify_command,
    record_emit,
    unauthorized_evidence,
)
from agents.fleet.vehicle_state import VehicleState
from app.core import Entry, KeyedEngine, Output, Route, StateLoader, StreamLimits
from app.core.alerting import (
    AlertPolicy,
    AlertTransition,
    Evidence,
    Severity,
    alert_output,
    clear_event,
    raise_event,
)
from schemas import ValidationError
from schemas.vehicle import (
    AreaContext,
    AreaNotice,
    DispatcherVerdict,
    Geofence,
    VehicleTelemetry,
    decode_area_context,
    decode_geofence,
    decode_vehicle_telemetry,
    decode_verdict,
)

__all__ = ["FleetEngine", "FleetStats"]

IN_PROGRESS_EVERY = 5
MAX_PENDING_VERDICTS = 4
VERDICT_WAIT_S = 86400.0
FAR_OFF_CELLS = 5
LEARN_STOP_S = 10 * 60.0
DEPOT_TRIP_GAP_S = 30 * 60.0
"""An episode starting this soon after a short stop at the home depot is a depot trip."""
DEPOT_ARRIVAL_S = 15 * 60.0
"""A short home stop starting this soon after an episode ended makes it a depot trip."""
HOME_NONE, HOME_WAIT, HOME_TRIP = 0, 1, 2
"""``EpisodeRecord.home``: no depot link / ended parked at the home depot / a depot trip."""


@dataclass(slots=True)
class FleetStats:
    """Counters for metrics and tests."""

    fixes: int = 0
    stale: int = 0
    episodes: dict[str, int] = field(default_factory=dict)
    verdicts: int = 0
    verdicts_agreed: int = 0
    verdicts_unmatched: int = 0
    learned: dict[str, int] = field(default_factory=dict)


def _hash32(text: str) -> int:
    """A stable 32-bit hash of a route id."""
    return zlib.crc32(text.encode("utf-8"))


def _alerts(transition: AlertTransition | None) -> list[Output]:
    """The alert record of a lifecycle transition, if any."""
    return [] if transition is None else [alert_output(transition)]


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
        self.unauthorized_policy = AlertPolicy(
            alert_type=UNAUTHORIZED,
            domain=DOMAIN,
            raise_threshold=config.alert_confidence,
            clear_threshold=min(0.3, config.alert_confidence / 2),
            min_duration_s=0.0,
            cooldown_s=0.0,
            severities=(
                (config.alert_confidence, Severity.WARNING),
                (0.85, Severity.CRITICAL),
            ),
        )
        self.restricted_policy = AlertPolicy(
            alert_type=RESTRICTED,
            domain=DOMAIN,
            raise_threshold=0.5,
            clear_threshold=0.1,
            min_duration_s=0.0,
            cooldown_s=0.0,
            severities=((0.5, Severity.CRITICAL),),
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

    # ---- fixes -----------------------------------------------------------------------------

    def process_fix(self, fix: VehicleTelemetry, entry: Entry[VehicleState]) -> list[Output]:
        """Run one validated fix through the vehicle's state (see the module docstring)."""
        st = entry.state
        if st.last_ts is not None and fix.ts <= st.last_ts:
            self.stats.stale += 1  # a redelivered or reordered fix: its effect is already in
            return []
        self.stats.fixes += 1
        entry.touch()
        cfg = self.config
        emits: list[Output] = []
        ts = fix.ts
        local = ts + cfg.utc_offset_h * 3600.0
        day = int(local // 86400)
        hour = int((local % 86400) // 3600)
        moving = fix.ignition and fix.speed_kmh >= cfg.moving_kmh
        assigned = fix.route_id is not None or fix.shift_id is not None
        if moving and day != st.last_day:
            st.last_day = day
            st.days_seen += 1
        warmed = st.days_seen > cfg.warmup_days
        row, col = cell_rowcol(fix.lat, fix.lon, cfg.cell_m)
        corridor = st.corridor
        rc = corridor.route(_hash32(fix.route_id)) if fix.route_id else None
        if rc is not None and moving:
            rc.see_day(day)

        fences = self.geofences.containing(fix.lat, fix.lon) if len(self.geofences) else []
        emits.extend(self._presence(st, fix, fences))
        legit_here = any(f.kind != "restricted" for f in fences)
        in_restricted = any(f.kind == "restricted" for f in fences)
        depots = [f.geofence_id for f in fences if f.kind == "depot"]
        at_depot = bool(depots)

        self._track_stop(st, fix, moving, legit_here, row, col, day)
        home_stop = st.depot.observe(ts, fix.ignition, depots)
        if home_stop is not None:
            emits.extend(self._depot_trips(st, fix.vehicle_id, home_stop))

        learned = cfg.route_warmup_days
        checkable = False
        on = True
        if rc is not None and rc.days > learned:
            checkable = True
            on = corridor.near(rc, row, col)
        elif fix.route_id is None and any(r.days > learned for r in corridor.routes):
            checkable = True
            on = corridor.near_any(row, col, learned + 1)
        unusual_hour = warmed and not st.hours.usual(hour)
        on_route = on or not checkable
        normal = (
            (moving and assigned and on_route)
            or (not fix.ignition and at_depot)
            or (not moving and assigned and on_route and (legit_here or st.stop_kind > 0))
        )

        learn_now = False
        if st.open is None and assigned:
            if moving and on_route:
                st.hours.learn(hour)
            if rc is not None and (rc.days <= learned or on):
                learn_now = True
                recent = st.last_ts is not None and ts - st.last_ts <= 600.0 and st.learned_last
                start = (st.last_lat, st.last_lon) if recent else None
                corridor.learn_segment(rc, start, (fix.lat, fix.lon), cfg.cell_m)

        if warmed:
            emits.extend(
                self._episode_step(st, fix, moving, assigned, unusual_hour, checkable, on, normal)
            )
            if in_restricted and (st.open is None or not st.open.restricted):
                if st.open is None:
                    st.open = self._open(st, fix, ts, "restricted")
                st.open.restricted = True
                emits.extend(self._in_progress(st, fix, force=True))
            emits.extend(self._settle_pending(st, fix))
        if st.open is None and normal:
            st.exit_lat, st.exit_lon = fix.lat, fix.lon
        emits.extend(self._maybe_clear(st, fix))
        st.last_ts = ts
        st.last_lat, st.last_lon = fix.lat, fix.lon
        st.learned_last = learn_now
        return emits

    def _track_stop(
        self,
        st: VehicleState,
        fix: VehicleTelemetry,
        moving: bool,
        legit_here: bool,
        row: int,
        col: int,
        day: int,
    ) -> None:
        """Start or end the vehicle's current stop; learn usual stop places outside episodes."""
        if not moving:
            if st.stop_start is None:
                st.stop_start = fix.ts
                st.stop_lat, st.stop_lon = fix.lat, fix.lon
                st.stop_kind = 2 if legit_here else (1 if st.places.usual(row, col) else 0)
            return
        if st.stop_start is None:
            return
        duration = fix.ts - st.stop_start
        ep = st.open
        if ep is not None:
            if st.stop_kind:
                ep.stop_known_s = max(ep.stop_known_s, duration)
            else:
                ep.stop_unknown_s = max(ep.stop_unknown_s, duration)
        elif duration >= LEARN_STOP_S and st.stop_kind < 2:
            srow, scol = cell_rowcol(st.stop_lat, st.stop_lon, self.config.cell_m)
            st.places.learn(srow, scol, day)
        st.stop_start = None

    def _open(self, st: VehicleState, fix: VehicleTelemetry, start: float, why: str) -> OpenEpisode:
        """A new episode starting at ``start``, leaving from the last normal position."""
        exit_lat, exit_lon = st.exit_lat, st.exit_lon
        if math.isnan(exit_lat):
            exit_lat, exit_lon = fix.lat, fix.lon
        return OpenEpisode(
            start_ts=start,
            last_ts=fix.ts,
            exit_lat=exit_lat,
            exit_lon=exit_lon,
            route_id=fix.route_id,
            trigger=why,
        )

    def _episode_step(
        self,
        st: VehicleState,
        fix: VehicleTelemetry,
        moving: bool,
        assigned: bool,
        unusual_hour: bool,
        checkable: bool,
        on: bool,
        normal: bool,
    ) -> list[Output]:
        """Open, extend or close the vehicle's episode with this fix."""
        cfg = self.config
        ts = fix.ts
        off = moving and checkable and not on
        if off:
            if st.off_streak == 0:
                st.off_since = ts
            st.off_streak += 1
        else:
            st.off_streak = 0
        suspect = moving and (not assigned or (unusual_hour and off))
        if suspect:
            if st.suspect_streak == 0:
                st.suspect_since = ts
            st.suspect_streak += 1
        else:
            st.suspect_streak = 0
        off_m = math.nan  # metres off the corridor: a search over the corridor, at most once a fix
        if st.open is None:
            long_stop = (
                st.stop_start is not None
                and not st.stop_kind
                and ts - st.stop_start >= cfg.long_stop_s
            )
            if off:
                off_m = self._off_distance(st, fix)
            far = off and off_m >= FAR_OFF_CELLS * cfg.cell_m
            if st.suspect_streak >= cfg.off_corridor_readings:
                st.open = self._open(st, fix, st.suspect_since, "unassigned_or_off_hours")
            elif st.off_streak >= cfg.off_corridor_readings or far:
                st.open = self._open(st, fix, st.off_since, "off_corridor")
            elif long_stop and st.stop_start is not None:
                st.open = self._open(st, fix, st.stop_start, "long_stop")
            else:
                return []
        ep = st.open
        ep.readings += 1
        if moving:
            ep.moving += 1
            ep.unassigned += 0 if assigned else 1
            ep.unusual_hour += 1 if unusual_hour else 0
        if st.last_ts is not None and st.last_ts >= ep.start_ts and not math.isnan(st.last_lat):
            ep.path_m += haversine_m(st.last_lat, st.last_lon, fix.lat, fix.lon)
        if moving and (off or (not checkable and not assigned)):
            if math.isnan(off_m):
                off_m = self._off_distance(st, fix)
            ep.max_off_m = max(ep.max_off_m, off_m)
        ep.last_ts = ts
        if normal:
            if ep.normal_streak == 0:
                ep.normal_since = ts
                ep.rejoin_lat, ep.rejoin_lon = fix.lat, fix.lon
            ep.normal_streak += 1
        else:
            ep.normal_streak = 0
            ep.normal_since = None
        if ep.normal_streak >= cfg.normal_readings_to_close:
            end = ep.normal_since if ep.normal_since is not None else ts
            return self._close(st, fix, end, ep.rejoin_lat, ep.rejoin_lon)
        if ts - ep.start_ts >= cfg.max_episode_s:
            return self._close(st, fix, ts, fix.lat, fix.lon)
        if ep.readings % IN_PROGRESS_EVERY == 1:
            return self._in_progress(st, fix)
        return []

    def _off_distance(self, st: VehicleState, fix: VehicleTelemetry) -> float:
        """Metres from the fix to the route's corridor (any route's when unassigned)."""
        row, col = cell_rowcol(fix.lat, fix.lon, self.config.cell_m)
        rc = st.corridor.route(_hash32(fix.route_id), create=False) if fix.route_id else None
        return st.corridor.distance_cells(rc, row, col) * self.config.cell_m

    def _current_stop(self, st: VehicleState, ts: float) -> tuple[float, bool]:
        """(seconds, known place) of the stop in progress, (0, False) when moving."""
        if st.stop_start is None:
            return 0.0, False
        return ts - st.stop_start, st.stop_kind > 0

    def _in_progress(
        self, st: VehicleState, fix: VehicleTelemetry, force: bool = False
    ) -> list[Output]:
        """Classify the open episode so far; publish on a label change, alert when unauthorized."""
        ep = st.open
        if ep is None:
            return []
        features = ep.features(fix.ts, fix.lat, fix.lon, 0.0, self._current_stop(st, fix.ts))
        verdict = self.classifier.classify(features)
        emits: list[Output] = []
        if verdict.label != ep.ongoing_label or force:
            ep.ongoing_label = verdict.label
            ep.revision += 1
            emits.append(
                episode_emit(
                    fix.vehicle_id,
                    episode_id(fix.vehicle_id, ep.start_ts),
                    ep.start_ts,
                    None,
                    "ongoing",
                    verdict,
                    features,
                    ep.route_id,
                    None,
                    ep.revision,
                )
            )
        if verdict.label == "unauthorized" and verdict.confidence >= self.config.alert_confidence:
            eid = episode_id(fix.vehicle_id, ep.start_ts)
            emits.extend(self._raise_unauthorized(st, fix.vehicle_id, fix.ts, eid, verdict))
            strong = features["unassigned_frac"] >= 0.5 or features["restricted"] > 0
            if (
                strong
                and not ep.immobilizer_asked
                and verdict.confidence >= self.config.immobilizer_confidence
                and fix.ignition
            ):
                ep.immobilizer_asked = True
                emits.append(immobilizer_request(fix, eid, verdict, self._clock()))
        return emits

    def _close(
        self, st: VehicleState, fix: VehicleTelemetry, end: float, lat: float, lon: float
    ) -> list[Output]:
        """Close the open episode at ``end``: classify, remember, announce, alert."""
        ep = st.open
        assert ep is not None
        st.open = None
        rejoin_m = haversine_m(ep.exit_lat, ep.exit_lon, lat, lon)
        features = ep.features(end, lat, lon, rejoin_m, self._current_stop(st, end))
        verdict = self.classifier.classify(features)
        vid = fix.vehicle_id
        eid = episode_id(vid, ep.start_ts)
        depot_trip = st.depot.left_recently(ep.start_ts, DEPOT_TRIP_GAP_S)
        detour_like = (
            features["stop_unknown_min"] + features["stop_known_min"] < 3.0
            and features["rejoin_km"] >= 0.4
            and features["duration_min"] <= 60.0
            and features["restricted"] == 0.0
            and features["unassigned_frac"] < 0.5
            and not depot_trip
        )
        areas = stretch_areas(ep.exit_lat, ep.exit_lon, lat, lon, self.config.area_cell_m)
        status = "provisional" if detour_like else "final"
        record = EpisodeRecord(
            episode_id=eid,
            start_ts=ep.start_ts,
            end_ts=end,
            features=features,
            label=verdict.label,
            status=status,
            revision=ep.revision + 1,
            route_id=ep.route_id,
            area_id=areas[0],
            exit_lat=round(ep.exit_lat, 5),  # ~1 m: keeps the state compact
            exit_lon=round(ep.exit_lon, 5),
            rejoin_lat=round(lat, 5),
            rejoin_lon=round(lon, 5),
        )
        if depot_trip:
            record.home = HOME_TRIP
        elif detour_like and not fix.ignition and st.depot.parked_at_home():
            record.home = HOME_WAIT
        st.remember(record)
        emits = [record_emit(vid, record, verdict)]
        if detour_like:
            emits.extend(self._notices(vid, record, areas, probe=False))
        if verdict.label == "unauthorized" and verdict.confidence >= self.config.alert_confidence:
            emits.extend(self._raise_unauthorized(st, vid, fix.ts, eid, verdict))
        st.unauthorized_until = end + (
            self.config.alert_clear_after_s if verdict.label == "unauthorized" else 0.0
        )
        if status == "final":
            self._count(verdict.label)
            self._retry_verdicts(st)
        return emits

    def _settle_pending(self, st: VehicleState, fix: VehicleTelemetry) -> list[Output]:
        """Probe the areas of provisional episodes whose hold is over; expire old verdicts.

        After ``hold_s`` the vehicle asks its areas for the final count of concurrent detours
        (the answers come back as final area context and decide the episode). Should the
        answers not come within another ``hold_s``, the episode is decided as it is.
        """
        waiting = st.pending_verdicts
        if waiting and fix.ts > min(float(v[2]) for v in waiting) + VERDICT_WAIT_S:
            self._retry_verdicts(st)
        emits: list[Output] = []
        hold = self.config.hold_s
        for record in st.recent:
            if record.status != "provisional" or fix.ts < record.end_ts + hold:
                continue
            if record.probes_waiting < 0:
                areas = self._stretch_areas(record)
                record.probes_waiting = len(areas)
                emits.extend(self._notices(fix.vehicle_id, record, areas, probe=True))
            elif fix.ts >= record.end_ts + 2 * hold:
                emits.extend(self._decide(st, fix.vehicle_id, record))
        return emits

    def _depot_trips(self, st: VehicleState, vid: str, stop_start: float) -> list[Output]:
        """Decide as depot trips the episodes that ended where a short home stop began.

        The vehicle parked at its home depot at ``stop_start`` and drove off again before
        :data:`fleet.home.SHORT_STOP_S`: an episode that ended there was the drive to the depot,
        not a detour, whatever other vehicles did nearby.
        """
        emits: list[Output] = []
        for record in st.recent:
            if record.home != HOME_WAIT or record.status != "provisional":
                continue
            if not record.end_ts - DEPOT_ARRIVAL_S <= stop_start <= record.end_ts + DEPOT_ARRIVAL_S:
                continue
            record.home = HOME_TRIP
            record.features["area_vehicles"] = 0.0
            emits.extend(self._decide(st, vid, record))
        return emits

    def _stretch_areas(self, record: EpisodeRecord) -> list[str]:
        """The areas the episode's skipped stretch of route touches."""
        return stretch_areas(
            record.exit_lat,
            record.exit_lon,
            record.rejoin_lat,
            record.rejoin_lon,
            self.config.area_cell_m,
        )

    @staticmethod
    def _notices(vid: str, record: EpisodeRecord, areas: list[str], probe: bool) -> list[Output]:
        """Announce (or probe) the episode's skipped stretch to each of ``areas``."""
        emits = []
        for area in areas:
            notice = AreaNotice(
                area,
                vid,
                record.episode_id,
                record.start_ts,
                record.end_ts,
                True,
                record.exit_lat,
                record.exit_lon,
                probe=probe,
                rejoin_lat=record.rejoin_lat,
                rejoin_lon=record.rejoin_lon,
            )
            emits.append(Output("area_notices", area, notice))
        return emits

    def _decide(self, st: VehicleState, vid: str, record: EpisodeRecord) -> list[Output]:
        """Make a provisional episode final with what is known now."""
        verdict = self.classifier.classify(record.features)
        record.label = verdict.label
        record.status = "final"
        record.revision += 1
        self._count(verdict.label)
        self._retry_verdicts(st)
        return [record_emit(vid, record, verdict)]

    def apply_context(self, context: AreaContext, entry: Entry[VehicleState]) -> list[Output]:
        """Add other vehicles' concurrent deviations to an episode and re-decide it.

        A final answer to the vehicle's probe counts down the answers awaited; the last one
        decides a provisional episode.
        """
        st = entry.state
        record = next((r for r in st.recent if r.episode_id == context.episode_id), None)
        if record is None or record.home == HOME_TRIP:
            return []
        entry.touch()
        more = context.other_vehicles > record.features.get("area_vehicles", 0)
        if more:
            record.features["area_vehicles"] = float(context.other_vehicles)
            if record.verdict is not None:
                # Judged before this late context arrived: learn the corrected example too.
                self.classifier.learn(record.features, record.verdict)
        if context.final and record.probes_waiting > 0:
            record.probes_waiting -= 1
            if record.probes_waiting == 0 and record.status == "provisional":
                return self._decide(st, context.vehicle_id, record)
        if not more:
            return []
        verdict = self.classifier.classify(record.features)
        changed = verdict.label != record.label
        record.label = verdict.label
        was_final = record.status == "final"
        if verdict.label == "traffic_detour" and not was_final and record.home != HOME_WAIT:
            record.status = "final"
            self._count(verdict.label)
        if not changed and not (record.status == "final" and not was_final):
            return []
        record.revision += 1
        if changed and was_final:
            self._count(verdict.label)
        self._retry_verdicts(st)
        return [record_emit(context.vehicle_id, record, verdict)]

    def apply_verdict(self, verdict: DispatcherVerdict, entry: Entry[VehicleState]) -> None:
        """Learn from a dispatcher verdict matched to one of the vehicle's recent episodes.

        Verdicts and fixes travel on different topics, so a verdict may arrive before the
        engine has decided the episode it judges (closed it, and for a provisional one heard
        the area context or waited out the hold): it then waits in the vehicle's state (at most
        :data:`MAX_PENDING_VERDICTS`) and teaches once the episode is final, or is given up once
        the vehicle's fixes are a day past the judged episode.
        """
        self.stats.verdicts += 1
        st = entry.state
        entry.flush_soon()
        item = [
            verdict.episode_id,
            verdict.episode_start_ts,
            verdict.episode_end_ts,
            verdict.label,
        ]
        if self._teach(st, item):
            return
        if st.last_ts is not None and st.last_ts > verdict.episode_end_ts + VERDICT_WAIT_S:
            self.stats.verdicts_unmatched += 1
            return
        st.pending_verdicts.append(item)
        if len(st.pending_verdicts) > MAX_PENDING_VERDICTS:
            del st.pending_verdicts[0]
            self.stats.verdicts_unmatched += 1

    def _retry_verdicts(self, st: VehicleState) -> None:
        """Match waiting verdicts against the episodes decided since; give up stale ones."""
        if not st.pending_verdicts:
            return
        keep = []
        for item in st.pending_verdicts:
            if self._teach(st, item):
                continue
            if st.last_ts is not None and st.last_ts > float(item[2]) + VERDICT_WAIT_S:
                self.stats.verdicts_unmatched += 1
                continue
            keep.append(item)
        st.pending_verdicts = keep

    def _teach(self, st: VehicleState, item: list[Any]) -> bool:
        """Learn from verdict ``[episode id, start, end, label]`` if it matches an episode."""
        eid, start, end, label = item
        record = next((r for r in st.recent if eid is not None and r.episode_id == eid), None)
        if record is None:
            best = 0.0
            for r in st.recent:
                overlap = min(r.end_ts, float(end)) - max(r.start_ts, float(start))
                if overlap > best:
                    best, record = overlap, r
        if record is None or record.status != "final":
            return False  # not closed yet, or still waiting for area context
        if record.verdict is not None:
            return True  # already judged: a duplicate verdict teaches nothing
        record.verdict = str(label)
        if record.label == label:
            self.stats.verdicts_agreed += 1
        if self.classifier.learn(record.features, str(label)):
            self.stats.learned[label] = self.stats.learned.get(label, 0) + 1
        return True

    # ---- geofences -------------------------------------------------------------------------

    def _presence(
        self, st: VehicleState, fix: VehicleTelemetry, fences: list[Geofence]
    ) -> list[Output]:
        """Entered / left / dwell events of this fix, and the restricted-zone alert."""
        emits: list[Output] = []
        inside = {f.geofence_id: f for f in fences}
        kept = []
        for item in st.presence:
            gid, kind, enter_ts, dwell_sent = item
            if gid in inside:
                fence = inside[gid]
                dwell = fix.ts - enter_ts
                if fence.max_dwell_s is not None and not dwell_sent and dwell >= fence.max_dwell_s:
                    item[3] = True
                    emits.append(geofence_emit(fix, gid, kind, "dwell", dwell))
                kept.append(item)
                continue
            emits.append(geofence_emit(fix, gid, kind, "left", fix.ts - enter_ts))
            if kind == "restricted":
                transition = clear_event(
                    self.restricted_policy,
                    st.restricted_alert,
                    asset_id=fix.vehicle_id,
                    ts=fix.ts,
                    detail=f"left {gid}",
                )
                emits.extend(_alerts(transition))
        known = {item[0] for item in kept}
        for gid, fence in inside.items():
            if gid in known or len(kept) >= 8:
                continue
            kept.append([gid, fence.kind, fix.ts, False])
            emits.append(geofence_emit(fix, gid, fence.kind, "entered", 0.0))
            if fence.kind == "restricted":
                evidence = Evidence(
                    top_features=(),
                    score=1.0,
                    threshold=self.restricted_policy.raise_threshold,
                    model_version="geofence",
                    extra={"geofence_id": gid, "lat": fix.lat, "lon": fix.lon},
                )
                transition = raise_event(
                    self.restricted_policy,
                    st.restricted_alert,
                    asset_id=fix.vehicle_id,
                    ts=fix.ts,
                    evidence=evidence,
                    detail=f"entered {gid}",
                )
                emits.extend(_alerts(transition))
        st.presence = kept
        return emits

    # ---- outputs ---------------------------------------------------------------------------

    def _count(self, label: str) -> None:
        self.stats.episodes[label] = self.stats.episodes.get(label, 0) + 1

    def _raise_unauthorized(
        self, st: VehicleState, vid: str, ts: float, eid: str, verdict: Classification
    ) -> list[Output]:
        features = {} if st.open is None else st.open.features(ts, 0, 0, 0, (0.0, False))
        for record in st.recent:
            if record.episode_id == eid:
                features = record.features
        transition = raise_event(
            self.unauthorized_policy,
            st.unauthorized_alert,
            asset_id=vid,
            ts=ts,
            score=verdict.confidence,
            evidence=lambda: unauthorized_evidence(
                eid, verdict, features, self.unauthorized_policy.raise_threshold
            ),
            detail="; ".join(verdict.reasons),
        )
        emits = _alerts(transition)
        if transition is not None and transition.state.value == "raised":
            emits.append(notify_command(vid, ts, verdict, self._clock()))
        return emits

    def _maybe_clear(self, st: VehicleState, fix: VehicleTelemetry) -> list[Output]:
        """Clear the unauthorized-use alert once the vehicle is back to normal for a while."""
        if not st.unauthorized_alert.active or st.open is not None:
            return []
        until = st.unauthorized_until
        if until is None or fix.ts < until:
            return []
        transition = clear_event(
            self.unauthorized_policy,
            st.unauthorized_alert,
            asset_id=fix.vehicle_id,
            ts=fix.ts,
            detail="vehicle back to its usual behaviour",
        )
        return _alerts(transition)
