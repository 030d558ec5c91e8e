"""SKAB: the scorer on hand-computed cases, the loader, and the benchmark (skips without data)."""

from pathlib import Path

import numpy as np
import pytest

from benchmarks import run_skab
from benchmarks.skab import (
    LEARN_ROWS,
    PUBLISHED,
    SkabScore,
    data_root,
    hotelling_baseline,
    load_corpus,
    load_file,
    score_file,
    score_files,
)

ROOT = data_root(run_skab.PROJECT_ROOT)


def _write(path: Path, labels: list[int], seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    lines = ["datetime;a;b;anomaly;changepoint"]
    for i, y in enumerate(labels):
        a, b = rng.normal(size=2) + 5.0 * y
        lines.append(f"2020-03-01 00:{i // 60:02d}:{i % 60:02d};{a};{b};{float(y)};0.0")
    path.write_text("\n".join(lines) + "\n")


def test_scores_count_only_rows_after_the_learning_rows():
    labels = np.array([0] * LEARN_ROWS + [0, 0, 1, 1, 1, 0], dtype=np.int8)
    decisions = np.array([1] * LEARN_ROWS + [1, 0, 1, 1, 0, 0])
    s = score_file(decisions, labels)
    assert (s.tp, s.fp, s.fn, s.tn) == (2, 1, 1, 2)
    assert s.f1 == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert s.far == pytest.approx(100 / 3)
    assert s.mar == pytest.approx(100 / 3)


def test_files_are_pooled_row_by_row_not_averaged():
    a = SkabScore(10, 0, 0, 10)
    b = SkabScore(0, 5, 10, 5)
    pooled = a + b
    assert (pooled.tp, pooled.fp, pooled.fn, pooled.tn) == (10, 5, 10, 15)
    assert pooled.far == pytest.approx(25.0)


def test_a_length_mismatch_is_refused():
    with pytest.raises(ValueError):
        score_file([0, 1], np.zeros(3, dtype=np.int8))


def test_loader_reads_sensors_and_labels_by_folder_and_file_number(tmp_path):
    folder = tmp_path / "data" / "valve1"
    folder.mkdir(parents=True)
    for n in (10, 2, 1):
        _write(folder / f"{n}.csv", [0] * 5 + [1] * 3, seed=n)
    files = load_corpus(tmp_path)
    assert [f.name for f in files] == ["valve1/1.csv", "valve1/2.csv", "valve1/10.csv"]
    assert files[0].columns == ("a", "b")
    assert files[0].values.shape == (8, 2)
    assert files[0].labels.tolist() == [0] * 5 + [1] * 3


def test_reference_hotelling_flags_a_clear_shift(tmp_path):
    path = tmp_path / "1.csv"
    _write(path, [0] * (LEARN_ROWS + 100) + [1] * 100, seed=3)
    f = load_file(path, "x/1.csv")
    s = score_files([hotelling_baseline(f)], [f])
    assert s.mar < 5.0 and s.far < 10.0


def test_benchmark_skips_cleanly_when_the_data_is_absent(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(run_skab, "data_root", lambda _root: tmp_path / "missing")
    assert run_skab.main([]) == 0
    assert "not found" in capsys.readouterr().out


@pytest.mark.benchmark_data
@pytest.mark.skipif(not (ROOT / "data").is_dir(), reason="SKAB data absent")
def test_skab_through_aiot_detect_beats_the_published_t_squared_at_a_low_false_alarm_rate():
    result = run_skab.run(ROOT)
    assert result.rows == sum(f.rows for f in result.files)
    assert result.score.f1 > PUBLISHED["T-squared"][0]
    assert result.score.far < PUBLISHED["T-squared"][1]
    assert "aiot AnomalyDetector" in run_skab.render(result)
