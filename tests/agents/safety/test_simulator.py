"""The simulated site: deterministic, realistic enough to be hard, private on the wire."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from agents.safety.site_map import load_site_map
from app.edge.config import EdgeConfig
from app.edge.payloads import PayloadLimits
from app.edge.payloads import decode_wearable as edge_decode
from app.settings import Settings
from app.simulator.safety.shift import SiteSimulation
from app.simulator.safety.wearable import WearableSynth
from app.simulator.safety.wire import device_payload
from schemas.wearable import decode_wearable

SITE = load_site_map()
START = 1_790_000_000.0


def _sim(seed: int = 5, workers: int = 18) -> SiteSimulation:
    return SiteSimulation(SITE, seed=seed, workers=workers, start_ts=START)


def _run(sim: SiteSimulation) -> tuple[list[tuple[bytes, bytes]], list]:
    readings, truth = [], []
    now = START
    while not sim.done:
        now += 300.0
        batch = sim.advance(now)
        readings += batch.readings
        truth += batch.truth
    return readings, truth


@pytest.fixture(scope="module")
def shift() -> tuple[SiteSimulation, list, list]:
    sim = _sim()
    readings, truth = _run(sim)
    return sim, readings, truth


def test_same_seed_same_shift():
    a, b = _sim(seed=9, workers=6), _sim(seed=9, workers=6)
    assert a.advance(START + 3600).readings == b.advance(START + 3600).readings


def test_shift_has_every_condition_and_every_distractor(shift):
    _, _, truth = shift
    kinds = Counter(e.kind for e in truth)
    for kind in ("fatigue", "man_down", "stationary_cluster"):
        assert kinds[kind] >= 1, kind
    for kind in ("stumble", "heavy_sit", "fall_recovered", "huddle", "small_group"):
        assert kinds[kind] >= 1, kind
    clusters = [e for e in truth if e.kind == "stationary_cluster"]
    assert all(SITE.zone(e.subject).high_risk and len(e.workers) >= 3 for e in clusters)
    assert all(e.condition_ts - e.ts == 120.0 for e in clusters)


def test_population_has_slow_walkers_and_high_heart_rates(shift):
    sim, _, _ = shift
    assert min(p.cadence for p in sim.profiles) < 95 < max(p.cadence for p in sim.profiles)
    assert max(p.hr_walk for p in sim.profiles) > 1.6


def test_wire_records_are_valid_pseudonymous_and_without_raw_biometrics(shift):
    _, readings, _ = shift
    assert len(readings) > 0.98 * 18 * 2880 * 0.99
    for key, value in readings[::97]:
        record = decode_wearable(value, now=START + 86400, min_event_time=0, max_future_skew_s=0)
        assert key.decode() == record.worker_id and record.worker_id.startswith("p-")
        assert b"heart_rate_bpm" not in value and b"W-0" not in value


def test_truth_is_published_once_the_condition_time_has_passed():
    sim = _sim(seed=5, workers=18)
    now = START
    while not sim.done:
        now += 600.0
        batch = sim.advance(now)
        assert all(e.condition_ts <= now for e in batch.truth)
        assert all(e.condition_ts <= now for e in batch.completed)


def test_device_payload_passes_the_edge_and_the_cloud_validator():
    sim = _sim(seed=3, workers=4)
    plan = sim._synths[(0, 0)].plan
    synth = WearableSynth(plan, sim.rng, sim.shift_s)
    window = synth.window(3600.0, 10.0)
    assert window is not None
    payload = device_payload(window, worker_id="W-0001", ts=START + 3600.0)
    assert payload["heart_rate_bpm"] is not None or payload["hr_ratio"] is None
    config = EdgeConfig.from_settings(Settings())
    edge = edge_decode(
        payload,
        "wb-0001",
        "site-1",
        now=START + 4000,
        limits=PayloadLimits(),
        secret=b"k",
        drop=config.biometric_fields,
    )
    assert "heart_rate_bpm" not in edge.record
    record = decode_wearable(
        orjson.dumps(edge.record), now=START + 4000, min_event_time=0, max_future_skew_s=300
    )
    assert record.worker_id == edge.worker and record.device_id == "wb-0001"
