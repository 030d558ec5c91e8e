"""The offline evaluation entry point meets the issue's goals on a held-out seed."""

from __future__ import annotations

import orjson

from benchmarks.fleet_evaluate import main


def test_held_out_seed_meets_the_goals(capsys):
    assert main(["--seed", "42", "--days", "30", "--vehicles", "20"]) == 0
    report = orjson.loads(capsys.readouterr().out)
    assert {
        "episodes",
        "classified_correctly",
        "macro_f1",
        "false_unauthorized",
        "vehicle_days",
    } <= set(report)
    assert report["vehicle_days"] == 480.0
    assert report["episodes"] >= 100
    assert report["macro_f1"] >= 0.9
    assert report["false_unauthorized_per_vehicle_month"] <= 1.0
    assert report["verdicts_learned"] > 0 and report["commands"] > 0
    assert all(report["per_class"][c]["support"] >= 20 for c in report["per_class"])
