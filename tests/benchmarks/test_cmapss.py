"""C-MAPSS: scorers on hand-computed cases, the loader, the rul stream and the real FD001 run."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from app.cli.main import main as aiot_main
from app.core.models.failure_rul import N_SENSORS, RulStream, read_cmapss
from benchmarks.cmapss import data_dir, load_rul, load_subset, phm08_score, rmse


def test_rmse_matches_a_hand_computed_case() -> None:
    # d = -2, 0, 5 -> sqrt((4 + 0 + 25) / 3)
    assert rmse([10, 20, 30], [12, 20, 25]) == pytest.approx(math.sqrt(29 / 3))


def test_phm08_penalises_late_more_than_early() -> None:
    # d = -2 -> e^(2/13) - 1 = 0.166311; d = 5 -> e^(5/10) - 1 = 0.64872
    assert phm08_score([10, 20, 30], [12, 20, 25]) == pytest.approx(0.815032, abs=1e-5)
    assert phm08_score([110], [100]) > phm08_score([90], [100])
    assert phm08_score([7], [7]) == 0.0


def test_scorers_reject_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        rmse([1, 2], [1])
    with pytest.raises(ValueError):
        phm08_score([], [])


def _fleet(units: int, seed: int, truncate: bool) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic C-MAPSS-format rows: sensors drift exponentially towards each unit's failure."""
    rng = np.random.default_rng(seed)
    rows: list[np.ndarray] = []
    rul = []
    for unit in range(1, units + 1):
        life = int(rng.integers(120, 220))
        end = int(rng.integers(40, life - 5)) if truncate else life
        offset = rng.normal(0.0, 0.3, size=N_SENSORS)
        gain = np.linspace(-1.0, 1.0, N_SENSORS)
        for cycle in range(1, end + 1):
            wear = math.exp((cycle - life) / 40.0)
            sensors = 10.0 + offset + 3.0 * gain * wear + rng.normal(0.0, 0.2, N_SENSORS)
            rows.append(np.concatenate([[unit, cycle, 0.0, 0.0, 100.0], sensors]))
        rul.append(life - end)
    return np.array(rows), np.array(rul, dtype=np.float64)


def test_read_cmapss_parses_the_space_separated_format(tmp_path: Path) -> None:
    rows, _ = _fleet(2, 0, truncate=False)
    path = tmp_path / "train.txt"
    np.savetxt(path, rows, fmt="%.4f", delimiter=" ")
    back = read_cmapss(path)
    assert back.shape == rows.shape
    assert np.allclose(back, rows, atol=1e-4)
    (tmp_path / "bad.txt").write_text("1 2 3\n")
    with pytest.raises(ValueError, match="columns"):
        read_cmapss(tmp_path / "bad.txt")


def test_rul_stream_beats_a_constant_guess_on_a_synthetic_fleet() -> None:
    train, _ = _fleet(40, 1, truncate=False)
    test, truth = _fleet(30, 2, truncate=True)
    stream = RulStream()
    stream.learn(train)
    assert stream.model.n_failures == 40
    assert stream.model.n_labels == len(train)  # every cycle became exactly one label
    predicted = stream.predict(test)
    pred = np.array([predicted[u] for u in sorted(predicted)])
    assert rmse(pred, truth) < 0.6 * rmse(np.full(30, np.mean(truth)), truth)


def test_aiot_rul_writes_unit_and_rul_per_test_unit(tmp_path: Path) -> None:
    train, _ = _fleet(20, 3, truncate=False)
    test, _ = _fleet(5, 4, truncate=True)
    np.savetxt(tmp_path / "train.txt", train, fmt="%.4f")
    np.savetxt(tmp_path / "test.txt", test, fmt="%.4f")
    out = tmp_path / "rul.csv"
    code = aiot_main(
        [
            "rul",
            "--train",
            str(tmp_path / "train.txt"),
            "--test",
            str(tmp_path / "test.txt"),
            "-o",
            str(out),
        ]
    )
    assert code == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "unit,rul"
    assert [int(line.split(",")[0]) for line in lines[1:]] == [1, 2, 3, 4, 5]
    assert all(0.0 <= float(line.split(",")[1]) <= 125.0 for line in lines[1:])


def test_aiot_rul_reports_a_missing_file(tmp_path: Path) -> None:
    code = aiot_main(
        [
            "rul",
            "--train",
            str(tmp_path / "no.txt"),
            "--test",
            str(tmp_path / "no.txt"),
            "-o",
            str(tmp_path / "out.csv"),
        ]
    )
    assert code == 2


def test_data_dir_is_none_without_the_shared_folder(tmp_path: Path) -> None:
    assert data_dir(tmp_path / "project") is None


@pytest.mark.benchmark_data
def test_fd001_meets_the_issue_targets_rmse_13_phm08_300() -> None:
    if data_dir() is None:
        pytest.skip("C-MAPSS data not at ../shared/benchmarks/cmapss")
    data = load_subset("FD001")
    assert len(load_rul(data_dir() / "RUL_FD001.txt")) == 100  # type: ignore[operator]
    stream = RulStream()
    stream.learn(data.train)
    predicted = stream.predict(data.test)
    pred = np.array([predicted[u] for u in range(1, 101)])
    assert rmse(pred, data.rul) <= 13.0
    assert phm08_score(pred, data.rul) <= 300.0
