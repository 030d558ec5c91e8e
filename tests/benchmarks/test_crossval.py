"""Cross-validation across files: grids, the held-out NAB score, and both fold procedures."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from app.core.models.anomaly import AnomalyConfig
from benchmarks import crossval, nab
from benchmarks.skab import LEARN_ROWS, load_corpus

STD = nab.PROFILES["standard"]


def test_grid_points_set_joint_and_detector_fields_and_include_the_defaults():
    points = crossval.configs({"joint.dof": (6.0, 10.0), "alert_nats": (7.0, 8.0)})
    assert len(points) == 4
    label, config = points[1]
    assert label == "joint.dof=6.0, alert_nats=8.0"
    assert config.joint.dof == 6.0 and config.alert_nats == 8.0
    assert any(c == AnomalyConfig() for _, c in crossval.configs(crossval.SKAB_GRID))


def test_score_at_the_chosen_threshold_equals_the_corpus_score():
    rng = np.random.default_rng(1)
    corpus = []
    for _ in range(3):
        scores = rng.random(400).tolist()
        corpus.append((scores, [(300, 320)]))
    best = nab.score_corpus(corpus, STD)
    again = nab.score_at(corpus, STD, best.threshold)
    assert again.raw == pytest.approx(best.raw)
    assert again.score == pytest.approx(best.score)
    assert (again.detected_windows, again.false_positives) == (
        best.detected_windows,
        best.false_positives,
    )


def test_score_at_has_no_normalised_score_without_windows():
    result = nab.score_at([([0.9] * 200, [])], STD, 0.5)
    assert math.isnan(result.score)
    assert result.raw < 0.0 and result.false_positives > 0


def _skab_file(path: Path, shift_at: int, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lines = ["datetime;a;b;c;anomaly;changepoint"]
    for i in range(rows):
        y = int(shift_at <= i < shift_at + 150)
        a, b, c = rng.normal(size=3) + np.array([4.0, 0.0, -4.0]) * y
        lines.append(
            f"2020-03-01 {i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d};{a};{b};{c};{y};0"
        )
    path.write_text("\n".join(lines) + "\n")


def test_skab_folds_choose_on_the_other_files_and_pool_the_held_out_rows(tmp_path):
    folder = tmp_path / "data" / "other"
    folder.mkdir(parents=True)
    for n in range(4):
        _skab_file(folder / f"{n + 1}.csv", LEARN_ROWS + 150 + 20 * n, 900, seed=n)
    files = load_corpus(tmp_path)
    grid = {"joint.dof": (6.0, 10.0)}
    folds, decisions = crossval.skab_folds(files, grid, folds=2)
    assert [f.files for f in folds] == [
        ("other/1.csv", "other/2.csv"),
        ("other/3.csv", "other/4.csv"),
    ]
    assert set(decisions) == {"joint.dof=6.0", "joint.dof=10.0"}
    pooled = folds[0].score + folds[1].score
    assert pooled.tp + pooled.fn == 4 * 150  # every held-out anomalous row counted once
    assert pooled.f1 > 0.8  # a clear joint shift is found on files not used to choose
    table = crossval.render_skab(files, folds, decisions)
    assert "pooled" in table


def test_nab_folds_leave_each_folder_out(tmp_path):
    files = []
    windows = {}
    rng = np.random.default_rng(4)
    for folder in ("alpha", "beta"):
        (tmp_path / "data" / folder).mkdir(parents=True)
        for n in range(2):
            name = f"{folder}/f{n}.csv"
            values = rng.normal(10.0, 1.0, 1200)
            values[900:905] += 15.0
            stamps = [
                f"2014-01-{1 + i // 288:02d} {i // 12 % 24:02d}:{i % 12 * 5:02d}:00"
                for i in range(1200)
            ]
            lines = ["timestamp,value"] + [f"{t},{v}" for t, v in zip(stamps, values, strict=True)]
            (tmp_path / "data" / name).write_text("\n".join(lines) + "\n")
            windows[name] = [[stamps[880], stamps[940]]]
    (tmp_path / "windows.json").write_text(json.dumps(windows))
    files = nab.load_corpus(tmp_path)
    folds, full = crossval.nab_folds(files, {"alert_nats": (7.0, 9.0)})
    assert [f.folder for f in folds] == ["alpha", "beta"]
    assert all(f.score.n_windows == 2 for f in folds)
    assert set(full) == {"alert_nats=7.0", "alert_nats=9.0"}
    assert "held-out folder" in crossval.render_nab(folds, full)
