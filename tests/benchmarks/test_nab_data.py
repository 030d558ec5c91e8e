"""The NAB subset in ../shared/benchmarks: loader and the benchmark run (skip without data)."""

import json
from pathlib import Path

import pytest

from benchmarks.nab import PUBLISHED, data_root, load_corpus
from benchmarks.run_nab import PROJECT_ROOT, render, run

ROOT = data_root(PROJECT_ROOT)

pytestmark = [
    pytest.mark.benchmark_data,
    pytest.mark.skipif(not (ROOT / "windows.json").is_file(), reason="NAB data absent"),
]


def test_data_root_is_the_shared_folder_next_to_the_project():
    assert Path(PROJECT_ROOT).parent / "shared" / "benchmarks" / "nab" == ROOT


def test_loader_reads_every_file_and_maps_each_window_to_its_rows():
    corpus = load_corpus(ROOT)
    labels = json.loads((ROOT / "windows.json").read_text())
    assert len(corpus) == 35
    assert sum(len(f.windows) for f in corpus) == 55
    for f in corpus:
        assert len(f.timestamps) == len(f.values)
        for (left, right), (start, end) in zip(f.windows, labels[f.name], strict=True):
            assert f.timestamps[left].startswith(start[:19])
            assert f.timestamps[right].startswith(end[:19])


def test_benchmark_scores_the_corpus_above_most_published_detectors():
    result = run(ROOT)
    assert result.rows == sum(len(f.values) for f in load_corpus(ROOT))
    standard = result.scores["standard"].score
    assert standard > PUBLISHED["KNN CAD"][0]
    assert result.scores["reward_low_FN_rate"].score > PUBLISHED["KNN CAD"][2]
    table = render(result)
    assert "aiot AnomalyDetector" in table and "rows/s" in table
