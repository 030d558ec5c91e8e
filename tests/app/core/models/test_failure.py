"""The shared failure-horizon model: learns capped time to failure from delayed labels."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.models.failure import (
    MODEL_VERSION,
    FailureHorizonModel,
    FailureModelConfig,
    failure_inputs,
    n_failure_inputs,
)
from app.core.models.failure_norm import ConditionNormaliser, condition_key
from app.core.models.features import FeatureConfig, FeatureTracker

CFG = FailureModelConfig(horizon=10.0, cap=40.0, n_components=64, min_positive_labels=20)


def _life(rng: np.random.Generator, length: int) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic run to failure: 3 inputs, the first two rise as the failure nears."""
    t = np.arange(length, dtype=np.float64)
    ttf = length - 1 - t
    wear = np.exp(-ttf / 12.0)
    x = np.column_stack([2.0 * wear, -1.5 * wear, np.zeros(length)]) + rng.normal(
        0.0, 0.05, size=(length, 3)
    )
    return x, ttf


def _trained(model: FailureHorizonModel, lives: int = 12, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(lives):
        x, ttf = _life(rng, int(rng.integers(80, 140)))
        model.learn_failure([(x[i], float(ttf[i])) for i in range(len(ttf))])


def test_failure_inputs_layout_has_the_documented_length_and_order() -> None:
    tracker = FeatureTracker(2, FeatureConfig(warmup=3))
    for i in range(5):
        feats = tracker.update(np.array([1.0, 2.0 + i]), 100.0 + 10.0 * i)
    x = failure_inputs(feats, 0.25, tracker, age_unit=20.0)
    assert x.shape == (n_failure_inputs(2),)
    assert np.allclose(x[:6], np.sign(feats) * np.log1p(np.abs(feats)))
    level = tracker.level()
    assert np.allclose(x[6:8], np.sign(level) * np.log1p(np.abs(level)))
    assert x[-2] == pytest.approx(40.0 / 20.0)
    assert x[-1] == 0.25


def test_untrained_model_predicts_cap_and_is_not_ready() -> None:
    model = FailureHorizonModel(3, CFG)
    assert model.predict_ttf(np.zeros(3)) == CFG.cap
    assert model.predict_proba(np.zeros(3)) < 0.5
    assert not model.ready


def test_model_learns_that_wear_shortens_time_to_failure() -> None:
    model = FailureHorizonModel(3, CFG)
    _trained(model)
    healthy = np.array([0.0, 0.0, 0.0])
    worn = np.array([2.0 * np.exp(-3 / 12), -1.5 * np.exp(-3 / 12), 0.0])
    assert model.ready and model.n_failures == 12
    assert model.predict_ttf(healthy) > 35.0
    assert model.predict_ttf(worn) < 10.0
    assert model.predict_proba(worn) > 0.7
    assert model.predict_proba(healthy) < 0.1


def test_rare_positives_are_not_drowned_by_censored_negatives() -> None:
    rng = np.random.default_rng(3)
    model = FailureHorizonModel(3, CFG)
    for _ in range(4):  # 4 failures, each with the last 40 snapshots as positives
        x, ttf = _life(rng, 40)
        model.learn_failure([(x[i], float(ttf[i])) for i in range(40)])
    for _ in range(3000):  # 20 times more healthy, censored snapshots
        model.learn_one(rng.normal(0.0, 0.05, size=3), CFG.cap)
    worn = np.array([2.0 * np.exp(-2 / 12), -1.5 * np.exp(-2 / 12), 0.0])
    assert model.predict_ttf(worn) < 15.0
    assert model.predict_proba(worn) > 0.5


def test_learning_is_order_independent() -> None:
    rng = np.random.default_rng(5)
    x, ttf = _life(rng, 100)
    a = FailureHorizonModel(3, CFG)
    b = FailureHorizonModel(3, CFG)
    for i in range(100):
        a.learn_one(x[i], float(ttf[i]))
    for i in reversed(range(100)):
        b.learn_one(x[i], float(ttf[i]))
    probe = x[90]
    assert a.predict_ttf(probe) == pytest.approx(b.predict_ttf(probe), rel=1e-9)


def test_bytes_round_trip_predicts_identically_without_pickle() -> None:
    model = FailureHorizonModel(3, CFG)
    _trained(model, lives=5)
    data = model.to_bytes()
    assert data[:4] == b"AFHM" and b"pickle" not in data[:200]
    back = FailureHorizonModel.from_bytes(data)
    probe = np.array([0.8, -0.6, 0.0])
    assert back.predict_ttf(probe) == pytest.approx(model.predict_ttf(probe), rel=1e-12)
    assert back.predict_proba(probe) == pytest.approx(model.predict_proba(probe), rel=1e-12)
    assert (back.n_labels, back.n_failures) == (model.n_labels, model.n_failures)


def test_bytes_of_another_version_are_refused() -> None:
    data = FailureHorizonModel(3, CFG).to_bytes()
    stale = data.replace(f'"version":{MODEL_VERSION}'.encode(), b'"version":9', 1)
    with pytest.raises(ValueError, match="version"):
        FailureHorizonModel.from_bytes(stale)
    with pytest.raises(ValueError):
        FailureHorizonModel.from_bytes(b"junk" + data[4:])


def test_river_style_dict_wrappers_match_the_array_api() -> None:
    model = FailureHorizonModel(3, CFG)
    _trained(model, lives=3)
    x = {"a": 1.0, "b": -0.7, "c": 0.0}
    model.learn_one(x, 5.0)
    arr = np.array([1.0, -0.7, 0.0])
    assert model.predict_one(x) == model.predict_ttf(arr)
    proba = model.predict_proba_one(x)
    assert proba[True] == pytest.approx(model.predict_proba(arr))
    assert proba[True] + proba[False] == pytest.approx(1.0)


def test_horizon_beyond_cap_is_rejected() -> None:
    with pytest.raises(ValueError):
        FailureHorizonModel(3, FailureModelConfig(horizon=10.0, cap=5.0))


def test_condition_normaliser_scales_each_condition_separately() -> None:
    norm = ConditionNormaliser(1, warmup=5)
    rng = np.random.default_rng(0)
    for _ in range(500):
        norm.update(condition_key([0.001, 100.0], [0, 0]), np.array([rng.normal(10.0, 1.0)]))
        norm.update(condition_key([35.0, 60.0], [0, 0]), np.array([rng.normal(50.0, 5.0)]))
    assert len(norm) == 2
    assert norm.transform((0.0, 100.0), np.array([11.0]))[0] == pytest.approx(1.0, abs=0.15)
    assert norm.transform((35.0, 60.0), np.array([40.0]))[0] == pytest.approx(-2.0, abs=0.3)
    assert norm.transform((1.0, 1.0), np.array([40.0]))[0] == 0.0


def test_censored_labels_never_count_as_failures_when_cap_equals_horizon() -> None:
    model = FailureHorizonModel(3, FailureModelConfig(horizon=40.0, cap=40.0, n_components=32))
    for _ in range(200):
        model.learn_one(np.zeros(3), 40.0)
    assert model.n_within_horizon == 0
    assert not model.ready
    assert model.predict_proba(np.zeros(3)) < 0.1
