"""The fleet simulator: deterministic, valid records, ground truth where it should be."""

from __future__ import annotations

import numpy as np
import pytest

from agents.fleet.config import FleetConfig
from agents.fleet.vehicle_state import VehicleState
from app.simulator.fleet.sim import FleetSimulation, point_polyline_distance
from benchmarks.fleet_offline import OfflineFleet
from schemas.vehicle import decode_vehicle_telemetry


@pytest.fixture(scope="module")
def days():
    sim = FleetSimulation(vehicles=8, seed=5)
    return sim, list(sim.days(14))


def test_same_seed_same_fixes():
    a = FleetSimulation(vehicles=3, seed=9).next_day()
    b = FleetSimulation(vehicles=3, seed=9).next_day()
    assert a.fixes == b.fixes


def test_fixes_are_ordered_and_pass_validation(days):
    _, out = days
    for day in out[:3]:
        ts = [f.ts for f in day.fixes]
        assert ts == sorted(ts)
        for f in day.fixes[::97]:
            decoded = decode_vehicle_telemetry(
                f.to_json(), now=2e9, min_event_time=0.0, max_future_skew_s=0.0
            )
            assert decoded == f


def test_no_episode_is_injected_during_the_learning_period(days):
    sim, out = days
    for day in out:
        for truth in day.ground_truth:
            v = int(truth.asset_id.split("-")[1])
            assert sim.eligible(v, day.day)
    labels = {t.detail["label"] for day in out for t in day.ground_truth}
    assert labels == {"normal", "traffic_detour", "unauthorized"}


def test_traffic_blocks_make_several_vehicles_detour(days):
    _, out = days
    blocked_days = [d for d in out if d.blocks]
    assert blocked_days
    shared = [
        d
        for d in blocked_days
        if len({t.asset_id for t in d.ground_truth if t.detail["label"] == "traffic_detour"}) >= 2
    ]
    assert shared


def test_restricted_zones_lie_off_every_route(days):
    sim, _ = days
    zones = sim.map.network.nodes[sim.map.restricted]
    for plan in sim.plans:
        route = sim._route_nodes_xy(plan)
        assert point_polyline_distance(zones, route).min() > 400.0


def test_engine_restored_from_state_bytes_continues_identically():
    sim = FleetSimulation(vehicles=6, seed=13)
    out = list(sim.days(12))
    fences = sim.geofences()
    straight = OfflineFleet(FleetConfig())
    straight.load_geofences(fences)
    for day in out:
        straight.run_day(day)
    first = OfflineFleet(FleetConfig())
    first.load_geofences(fences)
    for day in out[:8]:
        first.run_day(day)
    second = OfflineFleet(FleetConfig())
    second.load_geofences(fences)
    second.engine.classifier.load(first.engine.classifier.to_bytes())
    for key, entry in first.engine.cache.items():
        restored = VehicleState.from_bytes(entry.state.to_bytes())
        second.engine.cache.entry(key, 0, lambda s=restored: s)
    for key, entry in first.area.cache.items():
        second.area.cache.entry(key, 0, lambda s=entry.state: s)
    second._verdicts = list(first._verdicts)
    for day in out[8:]:
        second.run_day(day)
    tail = [e for e in straight.episodes if e["start_ts"] >= out[8].fixes[0].ts]
    resumed = [e for e in second.episodes if e["start_ts"] >= out[8].fixes[0].ts]
    assert resumed and resumed == tail
    sizes = [len(entry.state.to_bytes()) for _, entry in straight.engine.cache.items()]
    assert max(sizes) < 8192 and np.median(sizes) < 4096
