"""The offline evaluation runs the real engines over a simulated site and scores them."""

from __future__ import annotations

import orjson

from benchmarks.safety_evaluate import evaluate, main


def test_engines_meet_the_goal_on_a_development_seed():
    result = evaluate(1, workers=14, shifts=1)
    for name, kind in result.score.kinds.items():
        assert kind.episodes >= 1, name
        assert (kind.recall or 0.0) >= 0.9 and (kind.precision or 0.0) >= 0.9, (name, kind)
    assert result.dead_letters == 0 and result.commands >= 3
    assert 0 < result.presence < result.readings / 2
    assert result.worker_state_bytes < 1024 and result.zone_state_bytes < 4096


def test_command_line_prints_per_kind_figures(capsys):
    code = main(["--seed", "2", "--workers", "8", "--shifts", "1"])
    report = orjson.loads(capsys.readouterr().out)
    assert code in (0, 1)
    assert report["seed"] == 2 and report["readings"] > 8 * 2800
    for kind in ("fatigue", "man_down", "stationary_cluster"):
        assert {"episodes", "detected", "recall", "precision"} <= set(report[kind])
    ok = all(
        (report[k]["recall"] or 0) >= 0.9 and (report[k]["precision"] or 1) >= 0.9
        for k in ("fatigue", "man_down", "stationary_cluster")
    )
    assert code == (0 if ok else 1)
