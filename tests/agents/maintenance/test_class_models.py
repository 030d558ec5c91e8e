"""Shared class models: creation, dirty tracking and the publication record round trip."""

import numpy as np
import pytest

from agents.maintenance.class_models import ClassModels, ModelRecordError
from agents.maintenance.config import MaintenanceConfig
from agents.maintenance.settings import MaintenanceSettings

CFG = MaintenanceConfig.from_settings(MaintenanceSettings())


def _trained(models: ClassModels, cls: str) -> None:
    model = models.get(cls)
    rng = np.random.default_rng(0)
    for _ in range(5):
        model.learn_one(rng.normal(size=CFG.n_inputs), CFG.horizon_s)
    models.mark_learned(cls)


def test_only_changed_classes_are_published_once():
    models = ClassModels(CFG.new_failure_model)
    models.get("a")
    _trained(models, "b")
    assert [k for k, _ in models.take_dirty()] == [b"b"]
    assert list(models.take_dirty()) == []


def test_published_record_restores_an_identical_model_on_another_worker():
    source = ClassModels(CFG.new_failure_model)
    _trained(source, "b")
    ((key, value),) = source.take_dirty()
    target = ClassModels(CFG.new_failure_model)
    target.load(key, value)
    x = np.linspace(-1, 1, CFG.n_inputs)
    assert target.version("b") == source.version("b") == 1
    assert target.get("b").n_labels == source.get("b").n_labels
    assert target.get("b").predict_ttf(x) == pytest.approx(source.get("b").predict_ttf(x))


def test_an_older_record_does_not_replace_a_newer_model():
    source = ClassModels(CFG.new_failure_model)
    _trained(source, "b")
    ((key, old),) = source.take_dirty()
    _trained(source, "b")
    ((_, new),) = source.take_dirty()
    target = ClassModels(CFG.new_failure_model)
    target.load(key, new)
    target.load(key, old)
    assert target.version("b") == 2


def test_garbage_record_is_rejected():
    with pytest.raises(ModelRecordError):
        ClassModels(CFG.new_failure_model).load(b"b", b"\x09")


def test_routine_changes_wait_for_the_periodic_publication_but_failures_do_not():
    models = ClassModels(CFG.new_failure_model)
    models.get("a")
    models.mark_learned("a")
    models.get("b")
    models.mark_learned("b", urgent=True)
    assert [k for k, _ in models.take_dirty(routine=False)] == [b"b"]
    assert [k for k, _ in models.take_dirty(routine=True)] == [b"a"]
