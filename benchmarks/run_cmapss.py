"""Run ``aiot rul``'s code path on C-MAPSS and print its scores beside published results.

Usage: ``python -m benchmarks.run_cmapss [--subset FD001]``. Streams the training engines once
through :class:`analytics.failure_rul.RulStream` (the maintenance agent's per-asset features,
snapshot buffers, delayed failure labels and shared model), streams the test engines, scores
the RUL at each test unit's last cycle (RMSE, PHM08) and reports throughput in rows/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.core.models.failure_rul import RulStream
from benchmarks.cmapss import PUBLISHED, data_dir, load_subset, phm08_score, rmse

__all__ = ["main", "run"]


def run(subset: str = "FD001", directory: Path | None = None) -> dict[str, float]:
    """Train and test on one subset; return RMSE, PHM08 and throughput figures.

    Parameters:
        subset: subset name, e.g. ``FD001``.
        directory: folder of the C-MAPSS files; default ``../shared/benchmarks/cmapss``.
    """
    data = load_subset(subset, directory)
    stream = RulStream()
    t0 = time.perf_counter()
    stream.learn(data.train)
    t1 = time.perf_counter()
    predicted = stream.predict(data.test)
    t2 = time.perf_counter()
    units = sorted(predicted)
    pred = np.array([predicted[u] for u in units])
    true = data.rul[np.array(units, dtype=int) - 1]
    return {
        "rmse": rmse(pred, true),
        "phm08": phm08_score(pred, true),
        "units": float(len(units)),
        "train_rows": float(len(data.train)),
        "test_rows": float(len(data.test)),
        "train_rows_per_s": len(data.train) / (t1 - t0),
        "test_rows_per_s": len(data.test) / (t2 - t1),
        "labels": float(stream.model.n_labels),
        "failures": float(stream.model.n_failures),
        "model_bytes": float(len(stream.model.to_bytes())),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: run, print the table, return 0 (2 when the data is absent)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_cmapss")
    parser.add_argument("--subset", default="FD001", help="C-MAPSS subset (default FD001)")
    args = parser.parse_args(argv)
    if data_dir() is None:
        print("C-MAPSS data not found at ../shared/benchmarks/cmapss; nothing to run")
        return 2
    r = run(args.subset)
    print(f"C-MAPSS {args.subset}: {int(r['units'])} test units")
    print("| method | RMSE | PHM08 |\n|---|---|---|")
    print(f"| aiot rul (this run) | {r['rmse']:.2f} | {r['phm08']:.0f} |")
    if args.subset == "FD001":
        for name, e, s in PUBLISHED:
            print(f"| {name} | {e:.2f} | {s:,.0f} |")
    print(
        f"train: {int(r['train_rows'])} rows at {r['train_rows_per_s']:,.0f} rows/s "
        f"({int(r['failures'])} failures, {int(r['labels'])} labels); "
        f"test: {int(r['test_rows'])} rows at {r['test_rows_per_s']:,.0f} rows/s; "
        f"model {r['model_bytes'] / 1024:.0f} KiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
