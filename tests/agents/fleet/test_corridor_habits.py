"""Corridors, habits, geofences and area cells: the compact per-vehicle building blocks."""

from __future__ import annotations

import pytest

from agents.fleet.area import area_ids
from agents.fleet.corridor import MAX_ROUTES, Corridor
from agents.fleet.geo import cell_rowcol, haversine_m
from agents.fleet.geofences import GeofenceIndex
from agents.fleet.habits import HourActivity, StopPlaces
from schemas.vehicle import Geofence

CELL = 200.0


def _learn_road(corridor: Corridor, route_hash: int, passes: int = 2) -> None:
    rc = corridor.route(route_hash)
    for day in range(passes):
        rc.see_day(day)
        prev = None
        for k in range(0, 11):
            point = (45.0, 7.60 + 0.006 * k)
            corridor.learn_segment(rc, prev, point, CELL)
            prev = point


def test_two_passes_make_a_road_a_corridor_and_a_parallel_street_is_off_it():
    corridor = Corridor(min_count=2)
    _learn_road(corridor, 1)
    rc = corridor.route(1, create=False)
    assert rc is not None and rc.days == 2
    assert corridor.near(rc, *cell_rowcol(45.0001, 7.633, CELL))
    north = cell_rowcol(45.009, 7.633, CELL)  # ~1 km north
    assert not corridor.near(rc, *north)
    assert corridor.distance_cells(rc, *north) in (4, 5)


def test_one_pass_is_not_yet_a_corridor():
    corridor = Corridor(min_count=2)
    _learn_road(corridor, 1, passes=1)
    rc = corridor.route(1, create=False)
    assert not corridor.near(rc, *cell_rowcol(45.0, 7.633, CELL))


def test_corridor_round_trips_and_stays_bounded():
    corridor = Corridor(min_count=2, capacity=300)
    for route in range(MAX_ROUTES + 2):
        _learn_road(corridor, route)
    assert len(corridor.routes) == MAX_ROUTES
    assert corridor.size() <= 300
    data = corridor.to_bytes()
    decoded, end = Corridor.from_bytes(data, 0, 2, 300)
    assert end == len(data)
    assert decoded.to_bytes() == data


def test_hour_activity_flags_hours_the_vehicle_never_drives():
    hours = HourActivity()
    for _ in range(200):
        for hour in range(7, 16):
            hours.learn(hour)
    assert hours.usual(10) and hours.usual(16)
    assert not hours.usual(23) and not hours.usual(3)
    decoded, _ = HourActivity.from_bytes(hours.to_bytes(), 0)
    assert decoded.usual(10) and not decoded.usual(23)


def test_stop_place_becomes_usual_on_the_second_day():
    places = StopPlaces()
    cell = cell_rowcol(45.0, 7.6, CELL)
    places.learn(*cell, day=1)
    places.learn(*cell, day=1)
    assert not places.usual(*cell)
    places.learn(*cell, day=2)
    assert places.usual(*cell)
    decoded, _ = StopPlaces.from_bytes(places.to_bytes(), 0)
    assert decoded.usual(*cell)


def test_geofence_index_finds_containing_fences_and_forgets_withdrawn_ones():
    index = GeofenceIndex()
    depot = Geofence("depot-1", "depot", 45.0, 7.6, 150.0)
    index.upsert(depot)
    assert [f.geofence_id for f in index.containing(45.0005, 7.6005)] == ["depot-1"]
    assert index.containing(45.01, 7.6) == []
    index.upsert(Geofence("depot-1", "depot", 45.0, 7.6, 150.0, active=False))
    assert index.containing(45.0005, 7.6005) == [] and len(index) == 0


@pytest.mark.parametrize("offset", [0.0, 0.004, 0.0089, 0.0091])
def test_points_less_than_a_cell_apart_share_an_area(offset):
    a = area_ids(45.0, 7.6, 2000.0)
    b = area_ids(45.0 + offset, 7.6 + offset, 2000.0)
    assert len(set(a)) == 4
    assert set(a) & set(b)


def test_haversine_of_one_degree_of_latitude_is_about_111_km():
    assert haversine_m(45.0, 7.0, 46.0, 7.0) == pytest.approx(111_195, rel=1e-3)
