"""MaintenanceEngine end to end without Kafka: readings in, records out, state round trip."""

from __future__ import annotations

import math

import numpy as np
import orjson
import pytest

from agents.maintenance.config import MaintenanceConfig
from agents.maintenance.engine import MaintenanceEngine
from agents.maintenance.settings import MaintenanceSettings
from app.core import OFFLINE, RecordMeta, StreamLimits
from tests.outputs import records, wire

NOW = 1_800_000_000.0  # the engine's wall clock: fixed, so no test depends on today's date
START = NOW - 30 * 86400.0
STEP = 600.0
TELEMETRY = RecordMeta("telemetry", "machine-telemetry", 3, OFFLINE, b"m-1")
MAINT = RecordMeta("maintenance", "machine-maintenance", 3, OFFLINE, b"m-1")


def reading(i: int, *, asset="m-1", degrade: float = 0.0, rng=None, **override) -> bytes:
    rng = rng or np.random.default_rng(i)
    ts = START + i * STEP
    load = 70 + 10 * math.sin(2 * math.pi * ts / 86400)
    record = {
        "v": 1,
        "asset_id": asset,
        "asset_class": "motor-a",
        "ts": ts,
        "vibration_rms": 2.0 + 0.01 * load + rng.normal(0, 0.05) + 1.5 * degrade,
        "kurtosis": 3.0 + rng.normal(0, 0.1) + 6 * degrade,
        "crest_factor": 3.2 + rng.normal(0, 0.05) + 2 * degrade,
        "dominant_freq_hz": 24.5 * (1 + 2.3 * (degrade > 0.5)) + rng.normal(0, 0.2),
        "bearing_temp_c": 45 + 0.1 * load + rng.normal(0, 0.2) + 2 * degrade,
        "ambient_temp_c": 22 + rng.normal(0, 0.2),
        "load_pct": load,
        "speed_rpm": 1470.0,
    }
    record.update(override)
    return orjson.dumps(record)


def maintenance(i: int, kind: str, **extra) -> bytes:
    return orjson.dumps(
        {
            "v": 1,
            "event_id": f"e{i}",
            "asset_id": "m-1",
            "asset_class": "motor-a",
            "ts": START + i * STEP,
            "kind": kind,
            **extra,
        }
    )


def make_engine(store: dict[str, bytes] | None = None, **settings) -> MaintenanceEngine:
    store = {} if store is None else store
    cfg = MaintenanceConfig.from_settings(MaintenanceSettings(**settings))
    return MaintenanceEngine(cfg, StreamLimits(), store.get, lambda: NOW)


def topics(outputs):
    return [o.topic for o in outputs]


def test_healthy_asset_gets_predictions_but_no_alerts():
    engine = make_engine()
    out = []
    for i in range(400):
        out += engine.handle(reading(i), TELEMETRY)
    assert "alerts" not in topics(out)
    predictions = records(out, "predictions")
    assert len(predictions) > 40
    last = predictions[-1]
    assert 0.0 <= last["anomaly_score"] <= 1.0
    assert last["horizon_h"] == 72.0
    assert {f["name"] for f in last["top_features"]} <= set(engine.config.channels)


def test_class_baselines_list_warmed_up_assets_vibration_level():
    engine = make_engine()
    for i in range(100):
        engine.handle(reading(i), TELEMETRY)
    (level,) = engine.class_baselines()["motor-a"]
    assert 2.5 < level < 3.0


def test_bad_records_become_dead_letters_with_reasons():
    engine = make_engine()
    cases = {
        b"{not json": "malformed_json",
        reading(1).replace(b'"vibration_rms":', b'"vibration_rms":Infinity,"x":'): "not_finite",
        orjson.dumps({"v": 1, "asset_id": "m-1"}): "missing_field",
        reading(2, kurtosis="high"): "wrong_type",
        reading(3, bearing_temp_c=900.0): "out_of_range",
        reading(4, asset="bad id!"): "bad_id",
        reading(5, ts=NOW + 3600): "timestamp_in_future",
        reading(6, ts=100.0): "timestamp_too_old",
    }
    for raw, reason in cases.items():
        (out,) = engine.handle(raw, TELEMETRY)
        letter = wire(out)
        assert out.topic == "dead_letters"
        assert letter["reason"] == reason, raw
        assert letter["detail"]
        assert letter["source_topic"] == "machine-telemetry"


def test_nan_token_is_dead_lettered_as_not_finite():
    engine = make_engine()
    raw = reading(1).replace(b'"kurtosis":', b'"kurtosis":NaN,"x":')
    (out,) = engine.handle(raw, TELEMETRY)
    assert wire(out)["reason"] == "not_finite"


def test_late_reading_is_dead_lettered_against_the_asset_watermark():
    engine = make_engine()
    for i in range(300):
        engine.handle(reading(i), TELEMETRY)
    (out,) = engine.handle(reading(0), TELEMETRY)
    assert wire(out)["reason"] == "timestamp_too_old"


def test_state_survives_a_restart_through_its_table_bytes():
    store: dict[str, bytes] = {}
    engine = make_engine(store)
    for i in range(200):
        engine.handle(reading(i), TELEMETRY)
    for asset_id, partition, value in engine.cache.take_dirty():
        assert partition == 3
        store[asset_id] = value
    restarted = make_engine(store)
    a = engine.handle(reading(200), TELEMETRY)
    b = restarted.handle(reading(200), TELEMETRY)
    assert restarted.state_of("m-1").tracker.count == engine.state_of("m-1").tracker.count
    assert [wire(o) for o in a] == [wire(o) for o in b]


def test_state_is_compact():
    engine = make_engine()
    for i in range(2000):
        engine.handle(reading(i), TELEMETRY)
    ((_, _, value),) = engine.cache.take_dirty()
    assert len(value) <= 4096


def test_many_readings_of_an_asset_make_one_write():
    engine = make_engine()
    for i in range(64):
        engine.handle(reading(i), TELEMETRY)
    assert [d.key for d in engine.cache.take_dirty()] == ["m-1"]
    assert engine.cache.take_dirty() == []


def test_failure_teaches_the_class_model_and_repair_resets_the_asset():
    engine = make_engine()
    for i in range(600):
        degrade = max(0.0, (i - 300) / 300)
        engine.handle(reading(i, degrade=degrade), TELEMETRY)
    model = engine.models.get("motor-a")
    before = model.n_labels
    engine.handle(maintenance(600, "failure"), MAINT)
    assert model.n_labels == before  # held: the asset's readings have not reached it yet
    engine.handle(reading(600, degrade=1.0), TELEMETRY)
    assert model.n_labels > before
    assert engine.quality.true_positives + engine.quality.false_negatives == 1
    engine.handle(maintenance(620, "repair"), MAINT)
    engine.handle(reading(620), TELEMETRY)
    assert engine.state_of("m-1").tracker.count == 1  # reset, then the reading after the repair
    assert engine.state_of("m-1").alert.active is False


def test_a_repair_arriving_before_older_readings_resets_only_after_them():
    """A backlog delivers the repair first: the degraded readings before it must not be learned
    into the fresh baseline the repair starts."""
    in_order = make_engine()
    backlog = make_engine()
    readings = [reading(i, degrade=max(0.0, (i - 100) / 100)) for i in range(200)]
    for raw in readings:
        in_order.handle(raw, TELEMETRY)
    in_order.handle(maintenance(200, "repair"), MAINT)
    backlog.handle(maintenance(200, "repair"), MAINT)
    for raw in readings:
        backlog.handle(raw, TELEMETRY)
    after = [reading(i) for i in range(200, 230)]
    for raw in after:
        a, b = in_order.handle(raw, TELEMETRY), backlog.handle(raw, TELEMETRY)
        assert [wire(o) for o in a] == [wire(o) for o in b]
    assert in_order.state_of("m-1").to_bytes() == backlog.state_of("m-1").to_bytes()


def test_degradation_raises_an_alert_with_evidence():
    engine = make_engine()
    alerts = []
    for i in range(900):
        degrade = max(0.0, (i - 500) / 300)
        alerts += records(engine.handle(reading(i, degrade=min(degrade, 1.0)), TELEMETRY), "alerts")
    raised = [a for a in alerts if a["state"] == "raised"]
    assert raised, "a degrading bearing must raise an alert"
    first = raised[0]
    assert first["first_ts"] >= START + 500 * STEP
    assert first["evidence"]["top_features"]
    assert first["alert_id"] and first["severity"] in ("warning", "critical")


def test_processing_error_is_a_dead_letter():
    engine = make_engine()
    letter = wire(engine.error_letter(b"{}", TELEMETRY, RuntimeError("boom")))
    assert letter["reason"] == "processing_error" and "boom" in letter["detail"]


@pytest.mark.parametrize("outcome", [None, "no_fault_found"])
def test_inspection_without_a_confirmed_fault_teaches_the_model_nothing(outcome):
    engine = make_engine()
    for i in range(100):
        engine.handle(reading(i), TELEMETRY)
    count = engine.state_of("m-1").tracker.count
    labels = engine.models.get("motor-a").n_labels
    assert engine.handle(maintenance(100, "inspection", outcome=outcome), MAINT) == []
    assert engine.state_of("m-1").tracker.count == count
    assert engine.models.get("motor-a").n_labels == labels


def _degrading_run(engine: MaintenanceEngine, start: int, until: int) -> list[list]:
    calls = []
    for i in range(start, until):
        degrade = min(max(0.0, (i - 300) / 300), 1.0)
        calls.append(engine.handle(reading(i, degrade=degrade), TELEMETRY))
    return calls


def _check_gate(calls: list[list], level: float, derated: bool) -> tuple[int, bool]:
    """Walk the engine's outputs like the derate rule: a command exactly when an armed asset's
    prediction reaches the level, re-armed below 0.8 x the level. Returns (commands, derated)."""
    commands = 0
    for outputs in calls:
        (prediction,) = records(outputs, "predictions") or [None]
        issued = records(outputs, "commands")
        if prediction is None:
            assert not issued
            continue
        p = prediction["failure_probability"]
        if derated:
            assert not issued
            derated = p >= level * 0.8
        elif p >= level:
            assert [c["action"] for c in issued] == ["derate"]
            commands += 1
            derated = True
        else:
            assert not issued
    return commands, derated


def test_high_failure_probability_derates_once_per_crossing_and_survives_a_restart():
    level = 0.2
    store: dict[str, bytes] = {}
    engine = make_engine(store, derate_probability=level)
    for _ in range(3):  # three failures teach the class model
        _degrading_run(engine, 0, 600)
        engine.handle(maintenance(600, "failure"), MAINT)
        engine.handle(maintenance(601, "repair"), MAINT)
        engine.handle(reading(601), TELEMETRY)  # the asset's stream passes both labels
        engine.cache.forget_partitions({3})
    assert engine.models.get("motor-a").ready
    commands, derated = _check_gate(_degrading_run(engine, 0, 500), level, derated=False)
    assert commands >= 1 and derated
    assert engine.state_of("m-1").derated
    for key, _, value in engine.cache.take_dirty():
        store[key] = value
    restarted = make_engine(store, derate_probability=level)
    restarted.models = engine.models
    assert restarted.handle(maintenance(499, "inspection"), MAINT) == []
    assert restarted.state_of("m-1").derated
    _check_gate(_degrading_run(restarted, 500, 580), level, derated=True)


def _degrade_until_alert(engine: MaintenanceEngine) -> int:
    for i in range(900):
        degrade = min(max(0.0, (i - 500) / 300), 1.0)
        outputs = engine.handle(reading(i, degrade=degrade), TELEMETRY)
        if any(alert["state"] == "raised" for alert in records(outputs, "alerts")):
            return i
    raise AssertionError("a degrading bearing must raise an alert")


def test_confirmed_fault_labels_like_a_failure_and_judges_the_alert_right():
    engine = make_engine()
    i = _degrade_until_alert(engine)
    model = engine.models.get("motor-a")
    before = model.n_labels
    engine.handle(maintenance(i, "inspection", outcome="fault_confirmed"), MAINT)
    assert model.n_labels > before
    assert engine.quality.true_positives == 1 and engine.quality.false_positives == 0


def test_no_fault_found_judges_the_open_alert_false_at_once():
    engine = make_engine()
    i = _degrade_until_alert(engine)
    engine.handle(maintenance(i, "inspection", outcome="no_fault_found"), MAINT)
    assert engine.quality.false_positives == 1 and engine.quality.true_positives == 0


def test_predictions_carry_the_risk_score_the_alert_compares():
    engine = make_engine()
    predictions = []
    for i in range(120):
        predictions += records(engine.handle(reading(i), TELEMETRY), "predictions")
    assert predictions and all(0.0 <= p["risk_score"] <= 1.0 for p in predictions)
