"""Typed vehicle and area state: enums in wire spelling, records that round-trip, fix facts."""

from __future__ import annotations

from typing import get_args

import orjson
import pytest

from agents.fleet.area import AreaState, NoticeRow
from agents.fleet.classifier import CLASSES
from agents.fleet.config import FleetConfig
from agents.fleet.facts import read_fix
from agents.fleet.kinds import FenceEvent, FenceKind, Label, Status, StopKind, Trigger
from agents.fleet.vehicle_state import PendingVerdict, PresenceEntry, VehicleState
from schemas.vehicle import (
    EPISODE_CLASSES,
    EPISODE_STATUSES,
    GEOFENCE_KINDS,
    DispatcherVerdict,
    Geofence,
    GeofenceTransition,
)
from tests.agents.fleet.helpers import DAY, LAT, LON_EAST, LON_WEST, T0, drive, fix, warmed_engine


def test_fleet_enums_spell_the_wire_values_in_the_classifiers_order():
    assert tuple(Label) == CLASSES
    assert tuple(label.value for label in Label) == EPISODE_CLASSES
    assert {status.value for status in Status} == set(EPISODE_STATUSES)
    assert {kind.value for kind in FenceKind} == set(GEOFENCE_KINDS)
    assert {event.value for event in FenceEvent} == set(get_args(GeofenceTransition))


def _busy_vehicle():
    """A warmed vehicle inside a restricted zone, with an open episode and a verdict waiting."""
    eng = warmed_engine(days=5)
    eng.geofences.upsert(Geofence("zone-1", "restricted", LAT + 0.018, LON_WEST + 0.02, 300.0))
    t = T0 + 5 * DAY + 9 * 3600.0
    leg = list(drive(t, LAT, LON_WEST + 0.02, LAT + 0.018, LON_WEST + 0.02))
    for f in leg:
        eng.feed_fix(f)
    eng.feed_verdict(DispatcherVerdict("v-1", "truck-1", leg[-1].ts, t, leg[-1].ts, "unauthorized"))
    return eng.state_of("truck-1")


def test_a_busy_vehicle_state_decodes_to_the_same_typed_records():
    state = _busy_vehicle()
    assert state.presence == [
        PresenceEntry("zone-1", FenceKind.RESTRICTED, state.presence[0].enter_ts)
    ]
    assert state.open is not None and state.open.restricted
    (pending,) = state.pending_verdicts
    assert pending.label is Label.UNAUTHORIZED
    data = state.to_bytes()
    again = VehicleState.from_bytes(data)
    assert again.to_bytes() == data
    assert again.presence == state.presence and again.pending_verdicts == state.pending_verdicts
    assert again.open == state.open and again.recent == state.recent
    assert again.presence[0].kind is FenceKind.RESTRICTED
    assert again.pending_verdicts[0].label is Label.UNAUTHORIZED
    assert isinstance(again.open.trigger, Trigger)
    assert isinstance(again.stop_kind, StopKind)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"restricted",', b'"volcano",'),
        (b'"unauthorized"]],"depot"', b'"stolen"]],"depot"'),
    ],
)
def test_a_state_whose_tail_holds_an_unknown_value_is_refused_with_a_value_error(old, new):
    data = _busy_vehicle().to_bytes()
    assert old in data
    with pytest.raises(ValueError, match="vehicle state unreadable"):
        VehicleState.from_bytes(data.replace(old, new, 1))


def test_pending_verdicts_and_presence_encode_as_the_compact_lists_of_format_1():
    entry = PresenceEntry("depot-1", FenceKind.DEPOT, 1e9, dwell_sent=True)
    assert entry.to_list() == ["depot-1", "depot", 1e9, True]
    assert PresenceEntry.from_list(orjson.loads(orjson.dumps(entry.to_list()))) == entry
    verdict = PendingVerdict(None, 1e9, 1e9 + 600, Label.TRAFFIC_DETOUR)
    assert verdict.to_list() == [None, 1e9, 1e9 + 600, "traffic_detour"]
    assert PendingVerdict.from_list(verdict.to_list()) == verdict


def test_area_state_reads_six_field_rows_of_the_one_point_format_as_point_stretches():
    old = orjson.dumps({"n": [["a", "e1", 1e9, 1e9 + 300, 45.0, 7.6]], "t": {"e1": 1}})
    state = AreaState.from_bytes(old)
    (row,) = state.notices
    assert row == NoticeRow("a", "e1", 1e9, 1e9 + 300, 45.0, 7.6, 45.0, 7.6)
    assert row.stretch == (45.0, 7.6, 45.0, 7.6)
    assert AreaState.from_bytes(state.to_bytes()).notices == [row]
    with pytest.raises(ValueError, match="area state unreadable"):
        AreaState.from_bytes(orjson.dumps({"n": [["a", "e1", 1e9]], "t": {}}))


def _learned_state():
    """A copy of the state of a vehicle that learned five routine days, moving (no stop)."""
    state = VehicleState.from_bytes(warmed_engine(days=5).state_of("truck-1").to_bytes())
    state.stop_start = None
    return state


def test_fix_facts_tell_on_and_off_the_learned_corridor():
    config = FleetConfig()
    t = T0 + 5 * DAY + 9 * 3600.0
    on_road = read_fix(fix(t, LAT, (LON_WEST + LON_EAST) / 2), _learned_state(), [], config)
    assert on_road.moving and on_road.assigned and on_road.warmed
    assert on_road.checkable and on_road.on_corridor and not on_road.off_corridor
    assert on_road.normal and on_road.hour == 9 and not on_road.unusual_hour
    north = read_fix(fix(t, LAT + 0.009, LON_WEST + 0.03), _learned_state(), [], config)
    assert north.off_corridor and not north.on_route and not north.normal
    late = read_fix(
        fix(t + 14 * 3600.0, LAT + 0.009, LON_WEST + 0.03), _learned_state(), [], config
    )
    assert late.unusual_hour


def test_fix_facts_name_the_place_of_a_stop_that_starts():
    config = FleetConfig()
    t = T0 + 5 * DAY + 9 * 3600.0
    depot = Geofence("depot-1", "depot", LAT, LON_WEST + 0.03, 300.0)
    at_depot = read_fix(fix(t, LAT, LON_WEST + 0.03, 0.0), _learned_state(), [depot], config)
    assert at_depot.new_stop is StopKind.GEOFENCE and at_depot.legit_here
    assert at_depot.depots == ["depot-1"] and at_depot.normal
    elsewhere = read_fix(fix(t, LAT, LON_WEST + 0.03, 0.0), _learned_state(), [], config)
    assert elsewhere.new_stop is StopKind.UNKNOWN and not elsewhere.normal
    state = _learned_state()
    state.stop_start = t - 60.0
    state.stop_kind = StopKind.USUAL
    ongoing = read_fix(fix(t, LAT, LON_WEST + 0.03, 0.0), state, [], config)
    assert ongoing.new_stop is None and ongoing.normal
