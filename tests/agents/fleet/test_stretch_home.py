"""Skipped stretches matched across vehicles, and trips to the home depot told from detours."""

from __future__ import annotations

import orjson

from agents.fleet.area import AreaEngine, area_ids, stretch_areas
from agents.fleet.config import FleetConfig
from agents.fleet.episode import EpisodeRecord
from agents.fleet.geo import haversine_m, segment_distance_m
from agents.fleet.home import OVERNIGHT_S, HomeDepot
from agents.fleet.vehicle_state import VehicleState
from app.core import OFFLINE, RecordMeta, StreamLimits
from schemas.vehicle import AreaContext, Geofence
from tests.agents.fleet.helpers import (
    DAY,
    LAT,
    LON_EAST,
    LON_WEST,
    T0,
    detour_leg,
    drive,
    engine,
    fix,
    routine_day,
)
from tests.outputs import wire

NORTH = LAT + 0.009  # ~1 km north of the road


def _records(emits, topic):
    return [wire(e) for e in emits if e.topic == topic]


def _run(eng, fixes):
    out = []
    for f in fixes:
        out.extend(eng.feed_fix(f))
    return out


def _notice(vehicle, episode, start, stretch, area="area:1:1"):
    lat, lon, rejoin_lat, rejoin_lon = stretch
    return orjson.dumps(
        {
            "area_id": area,
            "vehicle_id": vehicle,
            "episode_id": episode,
            "start_ts": start,
            "end_ts": start + 600.0,
            "detour_like": True,
            "lat": lat,
            "lon": lon,
            "rejoin_lat": rejoin_lat,
            "rejoin_lon": rejoin_lon,
        }
    )


def test_segment_distance_is_zero_for_crossing_stretches_and_the_gap_for_parallel_ones():
    east_west = (45.0, 7.60, 45.0, 7.66)
    north_south = (44.98, 7.63, 45.02, 7.63)
    parallel = (45.01, 7.60, 45.01, 7.66)
    assert segment_distance_m(east_west, north_south) == 0.0
    assert abs(segment_distance_m(east_west, parallel) - 1113.2) < 5.0
    point = (45.0, 7.70, 45.0, 7.70)
    assert abs(segment_distance_m(east_west, point) - haversine_m(45.0, 7.66, 45.0, 7.70)) < 5.0


def test_stretch_areas_cover_both_ends_and_the_middle_of_a_long_stretch():
    areas = stretch_areas(45.0, 7.60, 45.0, 7.68, 2000.0)  # ~6.3 km
    assert len(areas) == len(set(areas)) <= 16
    for lon in (7.60, 7.64, 7.68):
        assert area_ids(45.0, lon, 2000.0)[0] in areas
    assert stretch_areas(45.0, 7.6, 45.0, 7.6, 2000.0) == area_ids(45.0, 7.6, 2000.0)


def test_area_counts_overlapping_long_stretches_whose_middles_are_kilometres_apart():
    engine_ = AreaEngine(FleetConfig(), StreamLimits(), lambda _: None, lambda: 2e9)
    meta = RecordMeta("notices", "area", 0, OFFLINE, b"area:1:1")
    first = (45.0, 7.60, 45.0, 7.66)
    second = (45.0, 7.635, 45.0, 7.70)
    middles_m = haversine_m(45.0, 7.63, 45.0, 7.6675)
    assert middles_m > 2500.0
    assert engine_.handle(_notice("a", "e1", 1e9, first), meta) == []
    answers = [wire(e) for e in engine_.handle(_notice("b", "e2", 1e9, second), meta)]
    assert {(a["vehicle_id"], a["other_vehicles"]) for a in answers} == {("a", 1), ("b", 1)}


def test_area_ignores_a_parallel_stretch_three_kilometres_away_at_the_same_time():
    engine_ = AreaEngine(FleetConfig(), StreamLimits(), lambda _: None, lambda: 2e9)
    meta = RecordMeta("notices", "area", 0, OFFLINE, b"area:1:1")
    engine_.handle(_notice("a", "e1", 1e9, (45.0, 7.60, 45.0, 7.66)), meta)
    assert engine_.handle(_notice("b", "e2", 1e9, (45.027, 7.60, 45.027, 7.66)), meta) == []


def test_area_reads_a_notice_without_rejoin_point_as_a_one_point_stretch():
    engine_ = AreaEngine(FleetConfig(), StreamLimits(), lambda _: None, lambda: 2e9)
    meta = RecordMeta("notices", "area", 0, OFFLINE, b"area:1:1")
    engine_.handle(_notice("a", "e1", 1e9, (45.0, 7.60, 45.0, 7.66)), meta)
    legacy = orjson.loads(_notice("b", "e2", 1e9, (45.005, 7.63, 0.0, 0.0)))
    del legacy["rejoin_lat"], legacy["rejoin_lon"]
    answers = [wire(e) for e in engine_.handle(orjson.dumps(legacy), meta)]
    assert {(a["vehicle_id"], a["other_vehicles"]) for a in answers} == {("a", 1), ("b", 1)}


def test_episode_record_reads_the_former_midpoint_format():
    record = EpisodeRecord("e1", 1.0, 2.0, {}, "normal", "final", 1, None, None)
    data = record.to_dict()
    for key in ("exit_lat", "exit_lon", "rejoin_lat", "rejoin_lon", "home"):
        del data[key]
    data.update(mid_lat=45.0, mid_lon=7.6)
    old = EpisodeRecord.from_dict(data)
    assert (old.exit_lat, old.exit_lon, old.rejoin_lat, old.rejoin_lon) == (45.0, 7.6, 45.0, 7.6)
    assert old.home == 0


def test_home_depot_is_where_the_vehicle_parks_overnight_and_short_stops_there_are_reported():
    home = HomeDepot()
    t = 1e9
    assert home.observe(t, False, ["depot-b"]) is None
    assert home.observe(t + 1800, True, []) is None  # a short stop before any home is known
    assert home.home is None
    home.observe(t + 3600, False, ["depot-a"])
    home.observe(t + 3600 + OVERNIGHT_S, False, ["depot-a"])
    assert home.home == "depot-a"
    assert home.observe(t + 3600 + OVERNIGHT_S + 60, True, []) is None  # the night was long
    home.observe(t + 2e5, False, ["depot-b"])
    assert home.observe(t + 2e5 + 900, True, []) is None  # short stop at another depot
    home.observe(t + 3e5, False, ["depot-a"])
    assert home.parked_at_home()
    assert home.observe(t + 3e5 + 900, True, []) == t + 3e5
    assert home.left_recently(t + 3e5 + 1200, 1800) and not home.left_recently(t + 4e5, 1800)
    assert HomeDepot.from_list(home.to_list()) == home
    assert HomeDepot.from_list(None) == HomeDepot()


def _depot_engine():
    """A vehicle that parks every night at a depot at the west end of its road (5 days)."""
    eng = engine()
    eng.apply_geofence(b"depot-w", Geofence("depot-w", "depot", LAT, LON_WEST, 300.0).to_json())
    for day in range(5):
        for f in routine_day(day):
            eng.feed_fix(f)
    return eng


def _park(t: float, minutes: int) -> list:
    return [fix(t + k * 300.0, LAT, LON_WEST, 0.0, ignition=False) for k in range(minutes // 5 + 1)]


def test_detour_shaped_drive_right_after_a_short_home_depot_stop_is_a_final_normal_trip():
    eng = _depot_engine()
    t = T0 + 5 * DAY + 8 * 3600.0
    fixes = [fix(t, LAT, LON_WEST, 0.0, ignition=False)]
    fixes += list(drive(t, LAT, LON_WEST, LAT, LON_EAST))
    fixes += list(drive(fixes[-1].ts, LAT, LON_EAST, LAT, LON_WEST))
    fixes += _park(fixes[-1].ts + 60.0, 15)
    fixes += detour_leg(fixes[-1].ts)
    emits = _run(eng, fixes)
    closed = [e for e in _records(emits, "episodes") if e["status"] != "ongoing"]
    assert [(e["status"], e["label"]) for e in closed] == [("final", "normal")]
    assert _records(emits, "area_notices") == []


def test_same_drive_after_the_overnight_park_is_still_announced_as_a_possible_detour():
    eng = _depot_engine()
    t = T0 + 5 * DAY + 8 * 3600.0
    emits = _run(eng, [fix(t, LAT, LON_WEST, 0.0, ignition=False), *detour_leg(t)])
    closed = [e for e in _records(emits, "episodes") if e["status"] != "ongoing"]
    assert [e["status"] for e in closed] == ["provisional"]
    assert _records(emits, "area_notices")


def test_drive_back_to_the_home_depot_mid_shift_ignores_other_vehicles_detours():
    eng = _depot_engine()
    t = T0 + 5 * DAY + 8 * 3600.0
    out = [fix(t, LAT, LON_WEST, 0.0, ignition=False)]
    out += list(drive(t, LAT, LON_WEST, LAT, LON_EAST))
    out += list(drive(out[-1].ts, LAT, LON_EAST, NORTH, LON_EAST - 0.005))
    out += list(drive(out[-1].ts, NORTH, LON_EAST - 0.005, NORTH, LON_WEST))
    out += list(drive(out[-1].ts, NORTH, LON_WEST, LAT, LON_WEST))
    arrive = _park(out[-1].ts + 60.0, 20)
    emits = _run(eng, out + arrive[:2])
    (closed,) = [e for e in _records(emits, "episodes") if e["status"] != "ongoing"]
    assert closed["status"] == "provisional"
    state = eng.state_of("truck-1")
    assert state is not None and state.depot.parked_at_home()
    context = AreaContext("truck-1", closed["episode_id"], "area:1:1", 2, arrive[1].ts)
    revised = _records(eng.feed_context(context), "episodes")
    assert all(e["status"] == "provisional" for e in revised)  # waits to see the depot stop
    emits = _run(eng, arrive[2:] + list(drive(arrive[-1].ts, LAT, LON_WEST, LAT, LON_EAST)))
    decided = [e for e in _records(emits, "episodes") if e["episode_id"] == closed["episode_id"]]
    assert [(e["status"], e["label"]) for e in decided] == [("final", "normal")]
    assert decided[0]["features"]["area_vehicles"] == 0.0
    assert eng.feed_context(context) == []
    again = VehicleState.from_bytes(state.to_bytes())
    assert again.depot == state.depot
