"""Edge thresholds derived from class baselines."""

from agents.maintenance.edge_params import EdgeParamsPolicy


def test_thresholds_are_multiples_of_the_class_median_baseline():
    params = EdgeParamsPolicy().params("motor-a", [1.0, 1.2, 1.4, 0.0], version=3, now=5.0)
    assert params is not None
    assert params.baseline_rms == 1.2
    assert params.derate_rms == 3.0 and params.stop_rms == 4.8
    assert params.version == 3 and params.asset_class == "motor-a"


def test_too_few_warmed_up_assets_publish_nothing():
    assert EdgeParamsPolicy(min_assets=3).params("c", [1.0, 2.0], version=1, now=0.0) is None
