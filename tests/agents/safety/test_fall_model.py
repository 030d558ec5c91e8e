"""The fall model: River protocol, training, storage, the packaged weights."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import orjson
import pytest
from river import base

from agents.safety.fall_model import (
    INPUTS,
    PACKAGED_MODEL,
    FallModel,
    TrainingConfig,
    impact_inputs,
    inputs_matrix,
)
from app.edge.motion import FEATURES_VERSION
from tests.agents.safety.support import clap, decode_impact, fall_model, impact

FALL = impact_inputs(decode_impact(impact()))
CLAP = impact_inputs(decode_impact(clap()))


def test_it_is_a_river_classifier_giving_probabilities_that_sum_to_one() -> None:
    model = fall_model()
    assert isinstance(model, base.Classifier)
    p = model.predict_proba_one(FALL)
    assert p[True] + p[False] == pytest.approx(1.0)
    assert p[True] > 0.9 > 0.1 > model.predict_proba_one(CLAP)[True]
    assert model.predict_one(FALL) is True


def test_one_by_one_and_vectorised_predictions_agree() -> None:
    model = fall_model()
    rows = inputs_matrix([FALL, CLAP])
    assert model.predict_proba_array(rows) == pytest.approx(
        [model.predict_proba_one(FALL)[True], model.predict_proba_one(CLAP)[True]]
    )


def test_learn_one_moves_the_probability_towards_the_label() -> None:
    model = fall_model()
    before = model.predict_proba_one(CLAP)[True]
    version = model.version
    for _ in range(30):
        model.learn_one(CLAP, True)
    assert model.predict_proba_one(CLAP)[True] > before + 0.2
    assert model.learned == 30 and model.version != version


def test_an_untrained_model_refuses_to_learn_one_and_predicts_zero() -> None:
    model = FallModel()
    assert model.predict_proba_one(FALL)[True] == 0.0
    with pytest.raises(ValueError, match="untrained"):
        model.learn_one(FALL, True)


def test_absent_rotation_inputs_count_as_the_training_mean() -> None:
    model = fall_model()
    without = {k: v for k, v in FALL.items() if not str(k).startswith("rotation")}
    assert len(without) == len(INPUTS) - 10
    assert 0.0 <= model.predict_proba_one(without)[True] <= 1.0
    rows = inputs_matrix([without])
    assert np.isnan(rows[0, INPUTS.index("rotation_deg")])


def test_training_is_deterministic() -> None:
    a, b = fall_model(), fall_model()
    assert a.version == b.version
    assert a.predict_proba_one(CLAP) == b.predict_proba_one(CLAP)


def test_contributions_name_the_inputs_that_pushed_a_fall() -> None:
    parts = fall_model().contributions(FALL)
    assert parts and all(p.push > 0 for p in parts)
    assert {p.name for p in parts} <= set(INPUTS)
    assert parts == sorted(parts, key=lambda p: -p.push)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = fall_model()
    model.info = {"note": "test"}
    path = tmp_path / "model.json"
    model.save(path)
    loaded = FallModel.load(path)
    assert loaded.version == model.version and loaded.threshold == model.threshold
    assert loaded.predict_proba_one(FALL)[True] == pytest.approx(
        model.predict_proba_one(FALL)[True], abs=1e-5
    )
    assert loaded.info == {"note": "test"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"inputs": ["peak_g"]}, "inputs differ"),
        ({"threshold": 1.5}, "threshold"),
        ({"format": 9}, "format 1"),
        ({"nets": []}, "no network"),
        ({"mean": [0.0]}, "one value per input"),
    ],
)
def test_an_unusable_model_file_is_refused_naming_the_file(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    data = fall_model().to_dict()
    data.update(change)
    path = tmp_path / "bad.json"
    path.write_bytes(orjson.dumps(data))
    with pytest.raises(ValueError, match=message) as info:
        FallModel.load(path)
    assert str(path) in str(info.value) and "train_fall_model" in str(info.value)


def test_a_missing_model_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="train_fall_model"):
        FallModel.load(tmp_path / "absent.json")


def test_the_packaged_model_loads_and_records_how_it_was_made() -> None:
    model = FallModel.load()
    assert 0.5 < model.threshold < 1.0
    assert model.info["features"] == FEATURES_VERSION
    held = model.info["held_out"]["pooled"]
    assert held["trials"] > 0 and 0.0 <= held["f1"] <= 1.0
    assert "/" not in model.info["trained_on"]["directory"]
    assert len(model.nets) == TrainingConfig().members


def test_the_packaged_model_is_package_data_of_agents_safety() -> None:
    resource = resources.files("agents.safety").joinpath("fall_model.json")
    assert Path(str(resource)).resolve() == PACKAGED_MODEL
    from_resource = FallModel.from_dict(orjson.loads(resource.read_bytes()))
    assert from_resource.version == FallModel.load().version


def test_fit_needs_both_classes_through_the_training_script() -> None:
    from benchmarks.train_fall_model import ImpactSet, train

    only = ImpactSet("D01/U1_R1", "U1", False, None, np.zeros(3), np.zeros(3), np.zeros((3, 44)))
    with pytest.raises(ValueError, match="falls and of other activities"):
        train([only], TrainingConfig(epochs=1))
