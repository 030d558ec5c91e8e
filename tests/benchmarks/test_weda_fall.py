"""WEDA-FALL: the trial protocol, the recordings reader, detect-falls and the training script."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from agents.safety.fall_model import FallModel
from agents.safety.recordings import read_fall_windows, read_recordings
from app.cli.main import main as aiot_main
from app.settings import Settings
from app.simulator.safety.replay import FallReplay
from benchmarks import train_fall_model as training
from benchmarks.run_weda_fall import read_alarms
from benchmarks.weda_fall import Trial, data_dir, impact_rule_alarm, score_trials, trials_of
from tests.app.edge.motion_signals import clapping, fall, to_ms2, walking

HEADER = ("time_list", "x_list", "y_list", "z_list")


def test_the_protocol_counts_first_alarms_by_hand() -> None:
    window = (5.0, 8.0)
    trials = [
        Trial("F01/U1_R1", "U1", True, window, 6.2),  # detected, delay 1.2
        Trial("F01/U1_R2", "U1", True, window, 3.9),  # 1.1 s early: false alarm and a miss
        Trial("F01/U1_R3", "U1", True, window, 11.5),  # after end + 3: a miss
        Trial("F01/U1_R4", "U1", True, window, 4.0),  # 1 s early: still detected
        Trial("F01/U1_R5", "U1", True, window, None),
        Trial("D01/U1_R1", "U1", False, None, 2.0),
        Trial("D01/U1_R2", "U1", False, None, None),
    ]
    s = score_trials(trials)
    assert (s.tp, s.fn, s.early, s.fp, s.tn) == (2, 2, 1, 1, 1)
    assert s.false_positives == 2 and s.missed == 3
    assert s.f1 == pytest.approx(4 / (4 + 2 + 3))
    assert s.sensitivity == pytest.approx(2 / 5) and s.specificity == pytest.approx(0.5)
    assert s.median_delay_s == pytest.approx((1.2 - 1.0) / 2)
    assert s.to_dict()["false_alarms"] == 2


def test_a_fall_trial_without_its_window_cannot_be_scored() -> None:
    with pytest.raises(ValueError, match="fall_timestamps"):
        score_trials([Trial("F01/U1_R1", "U1", True, None, 1.0)])


def _write(path: Path, t: np.ndarray, xyz: np.ndarray) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"accel_{h}" for h in HEADER])
        for row in zip(t, *xyz.T, strict=True):
            writer.writerow([f"{v:.4f}" for v in row])


def recordings_dir(root: Path, subjects: int = 3) -> Path:
    """A small WEDA-layout directory: per subject two falls, one walk, one clapping trial."""
    rate = root / "50Hz"
    windows = []
    for s in range(1, subjects + 1):
        user = f"U{s:02d}"
        trials = {
            f"F01/{user}_R01": fall(0.0, seed=10 * s, peak_g=4.2 + 0.2 * s),
            f"F01/{user}_R02": fall(0.0, seed=10 * s + 1, peak_g=4.6),
            f"D01/{user}_R01": walking(12.0, 0.0, seed=10 * s + 2),
            f"D10/{user}_R01": clapping(12.0, 0.0, seed=10 * s + 3),
        }
        for name, (t, accel, gyro) in trials.items():
            folder = rate / name.split("/")[0]
            folder.mkdir(parents=True, exist_ok=True)
            base = folder / name.split("/")[1]
            _write(Path(f"{base}_accel.csv"), t, to_ms2(accel))
            _write(Path(f"{base}_gyro.csv"), t[:-2] + 0.003, gyro[:-2])
            if name.startswith("F"):
                windows.append((name, 5.0, 8.0))
    with (root / "fall_timestamps.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("filename", "start_time", "end_time"))
        writer.writerows(windows)
    return root


def test_the_reader_finds_trials_subjects_gyroscopes_and_fall_windows(tmp_path: Path) -> None:
    root = recordings_dir(tmp_path, subjects=1)
    recs = list(read_recordings(root))
    assert [r.name for r in recs] == ["D01/U01_R01", "D10/U01_R01", "F01/U01_R01", "F01/U01_R02"]
    assert [r.is_fall for r in recs] == [False, False, True, True]
    assert recs[0].subject == "U01" and recs[0].accel.shape[1] == 4
    assert recs[0].gyro is not None and len(recs[0].gyro) == len(recs[0].accel) - 2
    assert read_fall_windows(root)["F01/U01_R02"] == (5.0, 8.0)


def test_the_reader_says_what_is_wrong_with_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no <rate>Hz folder"):
        list(read_recordings(tmp_path))
    bad = tmp_path / "50Hz" / "F01"
    bad.mkdir(parents=True)
    (bad / "U1_R1_accel.csv").write_text("accel_time_list,x\n0.0,oops\n")
    with pytest.raises(ValueError, match=r"U1_R1_accel\.csv"):
        list(read_recordings(tmp_path))


def test_training_and_detect_falls_end_to_end_on_recorded_trials(tmp_path: Path) -> None:
    root = recordings_dir(tmp_path / "data")
    model_path = tmp_path / "model.json"
    args = [str(root), "-o", str(model_path), "--epochs", "30", "--members", "2", "--groups", "2"]
    assert training.main(args) == 0
    model = FallModel.load(model_path)
    held = model.info["held_out"]
    assert set(held["folds"]) == {"U01", "U02", "U03"}
    assert held["pooled"]["trials"] == 12
    out = tmp_path / "alarms.csv"
    assert aiot_main(["detect-falls", str(root), "-o", str(out), "--model", str(model_path)]) == 0
    alarms = read_alarms(out)
    assert len(alarms) == 12
    recs = list(read_recordings(root))
    score = score_trials(trials_of(recs, alarms, read_fall_windows(root)))
    assert score.tp == 6 and score.false_positives == 0
    rows = list(csv.DictReader(out.open()))
    assert {r["kind"] for r in rows if r["alarm_time_s"]} == {"fall_suspected"}
    assert {r["kind"] for r in rows if not r["alarm_time_s"]} == {""}


def test_detect_falls_reports_an_unusable_directory(tmp_path: Path, capsys) -> None:
    assert aiot_main(["detect-falls", str(tmp_path), "-o", str(tmp_path / "o.csv")]) == 2
    assert "no <rate>Hz folder" in capsys.readouterr().err


needs_data = pytest.mark.skipif(data_dir() is None, reason="../shared/benchmarks/weda-fall absent")


@pytest.mark.benchmark_data
@needs_data
def test_the_impact_rule_reproduces_the_readme_figures() -> None:
    directory = data_dir()
    assert directory is not None
    recs = list(read_recordings(directory))
    alarms = {r.name: impact_rule_alarm(r) for r in recs}
    score = score_trials(trials_of(recs, alarms, read_fall_windows(directory)))
    assert (score.falls, score.adls) == (250, 425)
    assert score.sensitivity == pytest.approx(0.92, abs=0.005)
    assert score.f1 == pytest.approx(0.64, abs=0.005)


@pytest.mark.benchmark_data
@needs_data
def test_detect_falls_alarms_where_the_training_evaluation_says(tmp_path: Path) -> None:
    directory = data_dir()
    assert directory is not None
    subset = tmp_path / "subset"
    names = ["F01/U03_R01", "F05/U07_R02", "F08/U09_R01", "D07/U05_R01", "D10/U22_R01"]
    for name in names:
        folder = subset / "50Hz" / name.split("/")[0]
        folder.mkdir(parents=True, exist_ok=True)
        for kind in ("accel", "gyro"):
            source = directory / "50Hz" / f"{name}_{kind}.csv"
            (folder / source.name).symlink_to(source)
    (subset / "fall_timestamps.csv").symlink_to(directory / "fall_timestamps.csv")
    model = FallModel.load()
    sets = training.collect(subset)
    expected = training.first_alarms(sets, training._running_max(model, sets), model.threshold)
    out = tmp_path / "alarms.csv"
    assert aiot_main(["detect-falls", str(subset), "-o", str(out)]) == 0
    alarms = read_alarms(out)
    assert {t.name: t.alarm_s for t in expected} == pytest.approx(alarms, abs=1e-3)
    replay = FallReplay(Settings(), model)
    first = next(read_recordings(subset))
    assert replay.run(first).messages == len(first.accel)
