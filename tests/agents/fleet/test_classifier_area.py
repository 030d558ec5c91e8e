"""The episode classifier (prior, reasons, online learning) and the area engine."""

from __future__ import annotations

import struct

import numpy as np
import orjson
import pytest

from agents.fleet.area import AreaEngine, AreaState
from agents.fleet.classifier import CLASSES, EpisodeClassifier
from agents.fleet.config import FleetConfig
from app.core import OFFLINE, RecordMeta, StreamLimits
from tests.outputs import rejection, wire

BASE = {
    "duration_min": 20.0,
    "max_off_corridor_m": 800.0,
    "rejoin_km": 0.1,
    "stop_unknown_min": 0.0,
    "stop_known_min": 0.0,
    "restricted": 0.0,
    "unassigned_frac": 0.0,
    "unusual_hour_frac": 0.0,
    "area_vehicles": 0.0,
    "path_km": 3.0,
}


@pytest.mark.parametrize(
    ("changes", "label"),
    [
        ({"restricted": 1.0}, "unauthorized"),
        ({"unassigned_frac": 1.0}, "unauthorized"),
        ({"stop_unknown_min": 35.0}, "unauthorized"),
        ({"stop_unknown_min": 90.0, "max_off_corridor_m": 0.0}, "unauthorized"),
        ({"stop_known_min": 15.0}, "normal"),
        ({"rejoin_km": 1.5, "duration_min": 6.0}, "normal"),
        ({"rejoin_km": 1.5, "duration_min": 6.0, "area_vehicles": 2.0}, "traffic_detour"),
    ],
)
def test_prior_classifies_typical_episodes(changes, label):
    result = EpisodeClassifier().classify({**BASE, **changes})
    assert result.label == label
    assert result.confidence == pytest.approx(max(result.probabilities.values()), abs=1e-4)
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    assert result.reasons


def test_verdicts_move_the_classifier_towards_the_dispatchers_label():
    model = EpisodeClassifier(learning_rate=0.3)
    features = {**BASE, "rejoin_km": 1.5, "duration_min": 6.0}
    assert model.classify(features).label == "normal"
    for _ in range(30):
        model.learn(features, "traffic_detour")
    assert model.classify(features).label == "traffic_detour"
    assert model.updates == 30 and model.dirty
    assert not model.learn(features, "stolen")


def test_model_bytes_restore_only_a_more_learned_model():
    taught = EpisodeClassifier()
    for _ in range(3):
        taught.learn(BASE, "unauthorized")
    fresh = EpisodeClassifier()
    assert fresh.load(taught.to_bytes())
    assert fresh.updates == 3
    assert fresh.probabilities_of(BASE) == taught.probabilities_of(BASE)
    assert not fresh.load(EpisodeClassifier().to_bytes())
    with pytest.raises(ValueError):
        fresh.load(b"junk")
    poisoned = bytearray(taught.to_bytes())
    poisoned[-8:] = struct.pack("<d", float("nan"))
    bigger = EpisodeClassifier()
    with pytest.raises(ValueError, match="non-finite"):
        bigger.load(bytes(poisoned))
    assert np.isfinite(bigger.weights).all()
    assert set(CLASSES) == {"normal", "traffic_detour", "unauthorized"}


def _notice(vehicle, episode, start, lat=45.0, lon=7.6, area="area:1:1"):
    return orjson.dumps(
        {
            "area_id": area,
            "vehicle_id": vehicle,
            "episode_id": episode,
            "start_ts": start,
            "end_ts": start + 300.0,
            "detour_like": True,
            "lat": lat,
            "lon": lon,
        }
    )


def test_area_tells_every_vehicle_of_concurrent_detours_once():
    engine = AreaEngine(FleetConfig(), StreamLimits(), lambda _: None, lambda: 2e9)
    meta = RecordMeta("notices", "area", 0, OFFLINE, b"area:1:1")
    assert engine.handle(_notice("a", "e1", 1e9), meta) == []
    answers = [wire(e) for e in engine.handle(_notice("b", "e2", 1e9 + 1800), meta)]
    assert {(a["vehicle_id"], a["other_vehicles"]) for a in answers} == {("a", 1), ("b", 1)}
    assert engine.handle(_notice("b", "e2", 1e9 + 1800), meta) == []
    answers = [wire(e) for e in engine.handle(_notice("c", "e3", 1e9 + 3600), meta)]
    assert {(a["vehicle_id"], a["other_vehicles"]) for a in answers} == {
        ("a", 2),
        ("b", 2),
        ("c", 2),
    }


def test_area_ignores_detours_hours_or_kilometres_apart_and_dead_letters_garbage():
    engine = AreaEngine(FleetConfig(), StreamLimits(), lambda _: None, lambda: 2e9)
    meta = RecordMeta("notices", "area", 0, OFFLINE, b"area:1:1")
    engine.handle(_notice("a", "e1", 1e9), meta)
    assert engine.handle(_notice("b", "e2", 1e9 + 5 * 3600), meta) == []
    assert engine.handle(_notice("c", "e3", 1e9 + 600, lat=45.03), meta) == []
    (letter,) = engine.handle(b"nonsense", meta)
    assert letter.topic == "dead_letters"
    state = engine.cache.get("area:1:1").state
    assert AreaState.from_bytes(state.to_bytes()).notices == state.notices


def test_probe_is_answered_with_the_final_count_even_when_zero():
    engine = AreaEngine(FleetConfig(), StreamLimits(), lambda _: None, lambda: 2e9)
    meta = RecordMeta("notices", "area", 0, OFFLINE, b"area:1:1")
    engine.handle(_notice("a", "e1", 1e9), meta)
    probe = orjson.loads(_notice("a", "e1", 1e9))
    (answer,) = engine.handle(orjson.dumps({**probe, "probe": True}), meta)
    assert wire(answer)["final"] is True
    assert wire(answer)["other_vehicles"] == 0
    engine.handle(_notice("b", "e2", 1e9 + 600), meta)
    (answer,) = engine.handle(orjson.dumps({**probe, "probe": True}), meta)
    assert wire(answer)["other_vehicles"] == 1
    assert len(engine.cache.get("area:1:1").state.notices) == 2


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"area_id": 5}, "bad_id"),
        ({"vehicle_id": ["v"]}, "bad_id"),
        ({"lat": 1e308}, "out_of_range"),
        ({"lat": "x"}, "wrong_type"),
        ({"probe": "false"}, "wrong_type"),
        ({"rejoin_lat": 45.0}, "missing_field"),
    ],
)
def test_malformed_area_notices_are_dead_lettered_with_the_reason_and_not_stored(changes, reason):
    engine = AreaEngine(FleetConfig(), StreamLimits(), lambda _: None, lambda: 2e9)
    notice = {**orjson.loads(_notice("a", "e1", 1e9)), **changes}
    (letter,) = engine.handle(
        orjson.dumps(notice), RecordMeta("notices", "area", 0, OFFLINE, b"area:1:1")
    )
    assert rejection(letter) == ("area", reason)
    assert len(engine.cache) == 0
