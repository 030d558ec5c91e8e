"""``python -m benchmarks.run_skab``: SKAB through ``aiot detect``, scored as SKAB scores it.

Every file of ``../shared/benchmarks/skab`` (relative to the project root) is run through the
code path of ``aiot detect`` (:func:`app.cli.detect.detect_csv`: a fresh detector per
file, default configuration, every sensor column a feature), its ``is_anomaly`` column is read
back and scored with :mod:`benchmarks.skab` (first 400 rows of each file learn only; F1, FAR,
MAR over the rest), beside the published results and two references computed here. Exits 0
with a message when the data is absent.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.cli.detect import detect_csv
from app.core.models.anomaly import AnomalyConfig
from benchmarks.skab import (
    LABEL_COLUMNS,
    PUBLISHED,
    SEPARATOR,
    TIMESTAMP_COLUMN,
    SkabFile,
    SkabScore,
    data_root,
    hotelling_baseline,
    load_corpus,
    score_file,
    score_files,
)

__all__ = ["SkabRun", "detect_file", "main", "render", "run"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class SkabRun:
    """Decisions per file, the pooled score and the throughput of one run."""

    files: tuple[SkabFile, ...]
    decisions: tuple[np.ndarray, ...]
    score: SkabScore
    rows: int
    seconds: float


def detect_file(f: SkabFile, target: Path, config: AnomalyConfig = AnomalyConfig()) -> np.ndarray:  # noqa: B008
    """Run ``aiot detect``'s code path over one SKAB file; return its ``is_anomaly`` column."""
    detect_csv(f.path, target, SEPARATOR, TIMESTAMP_COLUMN, LABEL_COLUMNS, config)
    with target.open(newline="") as handle:
        return np.array([int(r["is_anomaly"]) for r in csv.DictReader(handle)], dtype=np.int8)


def run(root: Path, config: AnomalyConfig = AnomalyConfig()) -> SkabRun:  # noqa: B008
    """Score every SKAB file under ``root`` with a fresh detector of ``config`` each."""
    files = tuple(load_corpus(root))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        decisions = tuple(detect_file(f, Path(tmp) / "out.csv", config) for f in files)
    seconds = time.perf_counter() - started
    return SkabRun(
        files, decisions, score_files(decisions, files), sum(f.rows for f in files), seconds
    )


def _row(name: str, s: SkabScore) -> str:
    return f"| {name} | {s.f1:.3f} | {s.far:.1f} | {s.mar:.1f} |"


def render(result: SkabRun, per_file: bool = False) -> str:
    """Markdown: the run beside the published results and the references, then details."""
    files = result.files
    everything = score_files([np.ones(f.rows, dtype=np.int8) for f in files], files)
    hotelling = score_files([hotelling_baseline(f) for f in files], files)
    lines = [
        f"SKAB: {len(files)} files, {sum(f.rows for f in files)} rows "
        f"(first 400 of each learn only)",
        "",
        "| detector | F1 | FAR % | MAR % |",
        "|---|---|---|---|",
        _row("**aiot AnomalyDetector** (this run)", result.score),
        _row("Hotelling T² on the first 400 rows, 99th percentile (here)", hotelling),
        _row("flag every row (here)", everything),
    ]
    lines += [
        f"| {name} (published, all of SKAB) | {f1:.2f} | {far:.1f} | {mar:.1f} |"
        for name, (f1, far, mar) in PUBLISHED.items()
    ]
    if per_file:
        lines += ["", "| file | TP | FP | FN | TN |", "|---|---|---|---|---|"]
        for f, pred in zip(files, result.decisions, strict=True):
            s = score_file(pred, f.labels)
            lines.append(f"| {f.name} | {s.tp} | {s.fp} | {s.fn} | {s.tn} |")
    lines += [
        "",
        f"Throughput: {result.rows} rows in {result.seconds:.2f} s = "
        f"{result.rows / result.seconds:,.0f} rows/s (CSV read, detect, CSV write).",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the benchmark and print the Markdown table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_skab", description=__doc__)
    parser.add_argument("--per-file", action="store_true", help="also print per-file counts")
    args = parser.parse_args(argv)
    root = data_root(PROJECT_ROOT)
    if not (root / "data").is_dir():
        print(f"SKAB data not found at ../shared/benchmarks/skab; skipped ({root})")
        return 0
    started = time.perf_counter()
    print(render(run(root), args.per_file))
    print(f"\n(total wall time {time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
