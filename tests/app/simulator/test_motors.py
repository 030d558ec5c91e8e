"""Behaviour of the simulated motor fleet: determinism, physics ranges, episodes, timing."""

from __future__ import annotations

import re

import numpy as np
import orjson

from app.simulator.motors import WARMUP_S, MotorFleet
from app.simulator.wire import PHYSICAL_RANGES, SENSOR_FIELDS
from tests.app.simulator.runs import DAY, START, Run, simulate

HOUR = 3600.0
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


def _asset_mask(run: Run, asset_id: str) -> np.ndarray:
    index = int(np.flatnonzero(run.fleet.asset_ids == asset_id)[0])
    return run.batch.asset == index


def _window(run: Run, asset_id: str, lo: float, hi: float) -> np.ndarray:
    """Boolean mask of the asset's readings with ``lo <= ts < hi``."""
    ts = run.batch.ts
    return _asset_mask(run, asset_id) & (ts >= lo) & (ts < hi)


def _overloaded(run: Run, asset_id: str) -> np.ndarray:
    """Mask of the asset's readings during an overload or the 4 h it takes to cool down."""
    mask = np.zeros(len(run.batch), dtype=bool)
    for ep in run.fleet.ground_truth:
        if ep.kind == "overload" and ep.asset_id == asset_id:
            mask |= _window(run, asset_id, ep.start_ts, ep.end_ts + 4 * HOUR)
    return mask


def _failures(run: Run) -> list:
    return [e for e in run.fleet.ground_truth if e.is_failure and e.failure_ts <= run.end_ts]


def test_same_seed_gives_identical_readings_and_truth_however_advanced() -> None:
    whole = simulate(30, 6.0, seed=5, mtbf_days=3.0)
    fleet = MotorFleet(30, seed=5, start_ts=START, mtbf_days=3.0)
    steps = START + np.cumsum(np.random.default_rng(0).uniform(10.0, 5000.0, 400))
    parts = [fleet.advance(float(t)) for t in steps[steps < whole.end_ts]]
    parts.append(fleet.advance(whole.end_ts))
    assert np.array_equal(np.concatenate([p.ts for p in parts]), whole.batch.ts)
    assert np.array_equal(np.concatenate([p.asset for p in parts]), whole.batch.asset)
    for name in SENSOR_FIELDS:
        joined = np.concatenate([p.columns[name] for p in parts])
        assert np.array_equal(joined, whole.batch.columns[name]), name
    assert [e for p in parts for e in p.ground_truth] == whole.batch.ground_truth
    assert [e for p in parts for e in p.maintenance] == whole.batch.maintenance
    assert fleet.ground_truth == whole.fleet.ground_truth
    assert any(e.is_failure for e in fleet.ground_truth)


def test_different_seed_gives_different_readings_and_schedule() -> None:
    a = simulate(30, 2.0, seed=1)
    b = simulate(30, 2.0, seed=2)
    assert not np.array_equal(a.batch.columns["vibration_rms"], b.batch.columns["vibration_rms"])
    plan_a = [a.fleet.planned_episode(i).failure_ts for i in range(30)]
    plan_b = [b.fleet.planned_episode(i).failure_ts for i in range(30)]
    assert plan_a != plan_b


def test_all_readings_stay_inside_the_physical_ranges(failing_run: Run) -> None:
    healthy = simulate(300, 5.0, seed=3)
    for run in (healthy, failing_run):
        for name, (lo, hi) in PHYSICAL_RANGES.items():
            column = run.batch.columns[name]
            assert np.isfinite(column).all(), name
            assert column.min() >= lo and column.max() <= hi, name


def test_healthy_dominant_frequency_is_the_running_speed(healthy_twin: Run) -> None:
    cols = healthy_twin.batch.columns
    ratio = cols["dominant_freq_hz"] / (cols["speed_rpm"] / 60.0)
    assert np.abs(ratio - 1.0).max() < 0.05


def test_precursor_moves_signals_like_a_bearing_defect(failing_run: Run) -> None:
    episodes = [e for e in _failures(failing_run) if e.start_ts - START >= 36 * HOUR]
    assert len(episodes) >= 5
    cols = failing_run.batch.columns
    vib_ratios = []
    for ep in episodes:
        base = _window(failing_run, ep.asset_id, ep.start_ts - 24 * HOUR, ep.start_ts)
        base &= ~_overloaded(failing_run, ep.asset_id)
        late_from = ep.failure_ts - 0.15 * (ep.failure_ts - ep.start_ts)
        late = _window(failing_run, ep.asset_id, late_from, ep.failure_ts)
        assert base.sum() > 50 and late.sum() > 5
        defect_hz = ep.detail["defect_freq_hz"]
        freq = cols["dominant_freq_hz"]
        assert np.median(np.abs(freq[late] - defect_hz)) < np.median(np.abs(freq[base] - defect_hz))
        assert np.median(cols["kurtosis"][late]) > np.percentile(cols["kurtosis"][base], 99)
        assert np.median(cols["crest_factor"][late]) > np.percentile(cols["crest_factor"][base], 95)
        vib_ratios.append(
            np.mean(cols["vibration_rms"][late]) / np.mean(cols["vibration_rms"][base])
        )
    assert np.median(vib_ratios) > 1.05


def test_precursor_creeps_bearing_temperature_against_the_healthy_twin(
    failing_run: Run, healthy_twin: Run
) -> None:
    key = failing_run.batch.asset * 1e10 + failing_run.batch.ts
    twin_key = healthy_twin.batch.asset * 1e10 + healthy_twin.batch.ts
    first_episodes = [e for e in _failures(failing_run) if e.episode_id.endswith(".1")]
    checked = 0
    for ep in first_episodes:
        elapsed_h = (ep.failure_ts - ep.start_ts) / HOUR
        late = _window(failing_run, ep.asset_id, ep.failure_ts - 6 * HOUR, ep.failure_ts)
        late &= ~_overloaded(failing_run, ep.asset_id)
        twin = np.isin(twin_key, key[late]) & ~_overloaded(healthy_twin, ep.asset_id)
        mine = np.isin(key, twin_key[twin]) & late
        if mine.sum() < 10:
            continue
        rise = np.mean(
            failing_run.batch.columns["bearing_temp_c"][mine]
            - healthy_twin.batch.columns["bearing_temp_c"][twin]
        )
        assert 0.5 * elapsed_h / 48.0 < rise < 3.5 * elapsed_h / 48.0, ep.episode_id
        checked += 1
    assert checked >= 5


def test_overload_raises_load_vibration_and_temperature_but_not_defect_signs(
    healthy_twin: Run,
) -> None:
    overloads = [e for e in healthy_twin.fleet.ground_truth if e.kind == "overload"]
    assert len(overloads) >= 5
    cols = healthy_twin.batch.columns
    for ep in overloads:
        during = _window(healthy_twin, ep.asset_id, ep.start_ts + HOUR, ep.end_ts)
        before = _window(healthy_twin, ep.asset_id, ep.start_ts - 12 * HOUR, ep.start_ts)
        before &= ~_overloaded(healthy_twin, ep.asset_id)
        if during.sum() < 3 or before.sum() < 30:
            continue
        assert cols["load_pct"][during].mean() > cols["load_pct"][before].mean() + 10
        assert cols["vibration_rms"][during].mean() > cols["vibration_rms"][before].mean()
        rise = cols["bearing_temp_c"] - cols["ambient_temp_c"]
        assert rise[during].mean() > rise[before].mean() + 2.0
        assert abs(cols["kurtosis"][during].mean() - cols["kurtosis"][before].mean()) < 0.4
        shaft_hz = cols["speed_rpm"][during] / 60.0
        assert np.allclose(cols["dominant_freq_hz"][during], shaft_hz, rtol=0.02)


def test_heat_wave_warms_the_site_without_defect_signs() -> None:
    run = simulate(40, 30.0, seed=4, mtbf_days=1e9)
    waves = [e for e in run.fleet.ground_truth if e.kind == "heat_wave" and e.end_ts < run.end_ts]
    assert waves
    ep = waves[0]
    site = run.fleet.site_names[run.batch.asset] == ep.site
    mid = (ep.start_ts + ep.end_ts) / 2
    during = site & (run.batch.ts >= mid - 6 * HOUR) & (run.batch.ts < mid + 6 * HOUR)
    before = (
        site
        & (run.batch.ts >= mid - DAY * 4 - 6 * HOUR)
        & (run.batch.ts < mid - DAY * 4 + 6 * HOUR)
    )
    cols = run.batch.columns
    assert cols["ambient_temp_c"][during].mean() > cols["ambient_temp_c"][before].mean() + 3
    assert abs(cols["kurtosis"][during].mean() - cols["kurtosis"][before].mean()) < 0.2
    truth = [g for g in run.batch.ground_truth if g["episode_id"] == ep.episode_id]
    assert {g["kind"] for g in truth} == {"disturbance_start", "disturbance_end"}
    assert len(truth) == 2 * int((run.fleet.site_names == ep.site).sum())


def test_failure_then_downtime_without_readings_then_repair_resets_the_unit(
    failing_run: Run,
) -> None:
    repaired = [e for e in _failures(failing_run) if e.repair_ts < failing_run.end_ts - DAY]
    assert len(repaired) >= 5
    for ep in repaired:
        truth = [g for g in failing_run.batch.ground_truth if g["episode_id"] == ep.episode_id]
        assert [g["kind"] for g in truth] == ["precursor_start", "failure", "repair"]
        assert [g["ts"] for g in truth] == sorted(g["ts"] for g in truth)
        maintenance = [
            m
            for m in failing_run.batch.maintenance
            if m["asset_id"] == ep.asset_id and ep.start_ts <= m["ts"] <= ep.repair_ts + 0.01
        ]
        assert [m["kind"] for m in maintenance if m["kind"] != "inspection"] == [
            "failure",
            "repair",
        ]
        assert 4 * HOUR <= ep.repair_ts - ep.failure_ts <= 24 * HOUR
        assert not _window(failing_run, ep.asset_id, ep.failure_ts, ep.repair_ts).any()
        after = _window(failing_run, ep.asset_id, ep.repair_ts, ep.repair_ts + 12 * HOUR)
        assert after.sum() >= 60
        assert np.median(failing_run.batch.columns["kurtosis"][after]) < 3.5
        freq = failing_run.batch.columns["dominant_freq_hz"][after]
        shaft = failing_run.batch.columns["speed_rpm"][after] / 60.0
        assert np.allclose(freq, shaft, rtol=0.02)


def test_every_precursor_starts_after_a_24h_warm_up(failing_run: Run) -> None:
    fleet = MotorFleet(500, seed=9, start_ts=START, mtbf_days=1.0)
    for i in range(500):
        ep = fleet.planned_episode(i)
        assert ep.start_ts >= START + WARMUP_S
        assert 24 * HOUR <= ep.failure_ts - ep.start_ts <= 120 * HOUR
    repairs = [g for g in failing_run.batch.ground_truth if g["kind"] == "repair"]
    checked = 0
    for ep in failing_run.fleet.ground_truth:
        before = [
            g["ts"] for g in repairs if g["asset_id"] == ep.asset_id and g["ts"] < ep.start_ts
        ]
        if ep.is_failure and before:
            assert ep.start_ts >= max(before) + WARMUP_S - 0.01
            checked += 1
    assert checked >= 3


def test_readings_are_staggered_and_periodic_per_motor() -> None:
    fleet = MotorFleet(200, seed=2, start_ts=START)
    first = fleet.advance(START + 600.0)
    assert len(first) == 200
    assert np.unique(first.ts).size > 190
    assert first.ts.max() - first.ts.min() > 400.0
    assert np.all(np.diff(first.ts) >= 0)
    second = fleet.advance(START + 1200.0)
    order_a = np.argsort(first.asset)
    order_b = np.argsort(second.asset)
    assert np.allclose(second.ts[order_b] - first.ts[order_a], 600.0, atol=0.002)


def test_maintenance_and_truth_cover_every_kind(failing_run: Run) -> None:
    assert {m["kind"] for m in failing_run.batch.maintenance} == {"failure", "repair", "inspection"}
    assert {g["kind"] for g in failing_run.batch.ground_truth} == {
        "precursor_start",
        "failure",
        "repair",
        "disturbance_start",
        "disturbance_end",
    }


def test_messages_have_the_wire_shape_and_asset_key(failing_run: Run) -> None:
    batch = failing_run.batch
    telemetry = list(batch.telemetry_messages())
    assert len(telemetry) == len(batch)
    for key, value in telemetry[:500]:
        record = orjson.loads(value)
        assert key == record["asset_id"].encode()
        assert ID_RE.match(record["asset_id"]) and ID_RE.match(record["asset_class"])
        assert set(record) == {"v", "asset_id", "asset_class", "ts", *SENSOR_FIELDS}
        assert record["v"] == 1
    for key, value in batch.maintenance_messages():
        record = orjson.loads(value)
        assert key == record["asset_id"].encode()
        assert ID_RE.match(record["event_id"])
        assert set(record) == {
            "v",
            "event_id",
            "asset_id",
            "asset_class",
            "ts",
            "kind",
            "component",
            "note",
        }
    for key, value in batch.ground_truth_messages():
        record = orjson.loads(value)
        assert key == record["asset_id"].encode()
        assert record["domain"] == "maintenance"
        assert set(record) == {"v", "domain", "asset_id", "kind", "ts", "episode_id", "detail"}
    precursor = next(g for g in batch.ground_truth if g["kind"] == "precursor_start")
    assert precursor["detail"]["failure_ts"] > precursor["ts"]


def test_advancing_backwards_or_to_the_same_time_yields_nothing() -> None:
    fleet = MotorFleet(10, seed=1, start_ts=START)
    assert len(fleet.advance(START + 3600.0)) > 0
    assert len(fleet.advance(START + 3600.0)) == 0
    assert len(fleet.advance(START + 100.0)) == 0


def test_100k_motors_advance_one_interval() -> None:
    fleet = MotorFleet(100_000, seed=1, start_ts=START)
    assert len(fleet.advance(START + 600.0)) == 100_000
