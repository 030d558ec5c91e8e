"""``python -m benchmarks.run_nab``: the NAB subset through ``aiot detect``, scored by our scorer.

Every file of ``../shared/benchmarks/nab`` (relative to the project root) is run through the
very code path of ``aiot detect`` (:func:`app.commands.detect.detect_csv`, a fresh detector per
file, default configuration), the output scores are read back and scored with
:mod:`benchmarks.nab` under the three profiles, and a Markdown table is printed beside the
published results, with throughput. Exits 0 with a message when the data is absent.
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

from app.cli.detect import detect_csv
from benchmarks.nab import (
    PROFILES,
    PUBLISHED,
    CorpusScore,
    NabFile,
    data_root,
    load_corpus,
    score_corpus,
    score_rows,
)

__all__ = ["NabRun", "main", "render", "run"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class NabRun:
    """Scores of one run over the corpus, per profile, and its throughput."""

    scores: dict[str, CorpusScore]
    rows: int
    seconds: float
    per_file: dict[str, tuple[int, int, int]]  # name -> (windows, detected, false positives)


def _read_scores(path: Path) -> list[float]:
    """Read the ``anomaly_score`` column of an ``aiot detect`` output file."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return [float(row["anomaly_score"]) for row in reader]


def _per_file(
    files: Sequence[NabFile], outputs: Sequence[list[float]], threshold: float
) -> dict[str, tuple[int, int, int]]:
    """Windows, detected windows and false-positive rows of each file at ``threshold``."""
    table = {}
    profile = PROFILES["standard"]
    for f, scores in zip(files, outputs, strict=True):
        scored = score_rows(len(scores), f.windows, profile)
        hit = {w for r, w in zip(scored.rows, scored.window, strict=True) if scores[r] >= threshold}
        fps = sum(
            1
            for r, w in zip(scored.rows, scored.window, strict=True)
            if w < 0 and scores[r] >= threshold
        )
        table[f.name] = (scored.n_windows, len(hit - {-1}), fps)
    return table


def run(root: Path) -> NabRun:
    """Run ``aiot detect``'s code path over every file under ``root`` and score the corpus."""
    files = load_corpus(root)
    outputs: list[list[float]] = []
    rows = 0
    seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i, f in enumerate(files):
            target = Path(tmp) / f"{i}.csv"
            stats = detect_csv(f.path, target)
            rows += stats.rows
            seconds += stats.seconds
            outputs.append(_read_scores(target))
    corpus = [(scores, f.windows) for scores, f in zip(outputs, files, strict=True)]
    scores = {name: score_corpus(corpus, profile) for name, profile in PROFILES.items()}
    per_file = _per_file(files, outputs, scores["standard"].threshold)
    return NabRun(scores, rows, seconds, per_file)


def render(result: NabRun) -> str:
    """Return the results as Markdown: the score table beside the published ones, and details."""
    std = result.scores["standard"]
    low_fp = result.scores["reward_low_FP_rate"]
    low_fn = result.scores["reward_low_FN_rate"]
    lines = [
        "| detector | standard | reward low FP | reward low FN |",
        "|---|---|---|---|",
        f"| **aiot AnomalyDetector** | **{std.score:.1f}** | **{low_fp.score:.1f}** "
        f"| **{low_fn.score:.1f}** |",
    ]
    lines += [f"| {name} | {a} | {b} | {c} |" for name, (a, b, c) in PUBLISHED.items()]
    lines += [
        "",
        "| profile | threshold | raw | windows detected | false-positive rows |",
        "|---|---|---|---|---|",
    ]
    for s in result.scores.values():
        lines.append(
            f"| {s.profile} | {s.threshold:.6f} | {s.raw:.2f} | "
            f"{s.detected_windows}/{s.n_windows} | {s.false_positives} |"
        )
    lines += [
        "",
        f"Throughput: {result.rows} rows in {result.seconds:.2f} s = "
        f"{result.rows / result.seconds:,.0f} rows/s (CSV read, detect, CSV write).",
    ]
    return "\n".join(lines)


def render_per_file(result: NabRun) -> str:
    """Return per-file detected windows and false positives at the standard threshold."""
    lines = ["| file | windows | detected | FP rows |", "|---|---|---|---|"]
    for name, (n, hit, fps) in result.per_file.items():
        lines.append(f"| {name} | {n} | {hit} | {fps} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the benchmark and print the Markdown tables."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_nab", description=__doc__)
    parser.add_argument("--per-file", action="store_true", help="also print per-file results")
    args = parser.parse_args(argv)
    root = data_root(PROJECT_ROOT)
    if not (root / "windows.json").is_file():
        print(f"NAB data not found at ../shared/benchmarks/nab; skipped ({root})")
        return 0
    started = time.perf_counter()
    result = run(root)
    print(render(result))
    if args.per_file:
        print()
        print(render_per_file(result))
    print(f"\n(total wall time {time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
