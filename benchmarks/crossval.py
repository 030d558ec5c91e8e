"""``python -m benchmarks.crossval skab|nab``: settings chosen on some files, judged on others.

The detector's defaults must work on data they were not chosen on, so settings are compared
by cross-validation across files, never by the best full-set figure:

- **SKAB** (``skab``): files in name order are cut into ``--folds`` groups of consecutive
  files (7 groups of two for the 14 stored files). For each group, every point of the grid is
  scored on the *other* files, the best one is chosen by ``F1 - 0.02 * max(FAR - 15, 0)``
  (the issue's target: F1 with FAR at most 15 %), and that choice's decisions on the held-out
  group are kept. The held-out decisions of all groups are pooled into one F1 / FAR / MAR.
- **NAB** (``nab``): leave one folder out. For each folder, the grid point and its corpus
  threshold are chosen on the other folders (standard profile, best total score), then the
  held-out folder is scored at that threshold. A folder without windows
  (``artificialNoAnomaly``) has no normalised score; its raw score (the cost of its false
  positives, 0 at best) is reported instead.

Every point runs ``aiot detect``'s code path (:func:`app.cli.detect.detect_csv`, a fresh
detector per file). The grids are the ones documented in ``docs/benchmarks.md``; the current
defaults are always one of their points, and their held-out figures are printed beside the
selection's.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import itertools
import math
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.cli.detect import detect_csv
from app.core.models.anomaly import AnomalyConfig
from benchmarks import nab, skab
from benchmarks.run_skab import detect_file

__all__ = ["NAB_GRID", "SKAB_GRID", "main", "nab_folds", "skab_folds"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]

Grid = dict[str, tuple[object, ...]]

#: The grid over the joint model's settings compared on SKAB (defaults included).
SKAB_GRID: Grid = {
    "joint.shrink": (0.5, 1.0, 2.0),
    "joint.dof": (6.0, 10.0),
    "joint.mature": (200, 400),
    "joint.rebase_after": (0, 50),
}

#: The structural choice compared on NAB's folders: a joint model for one feature too, or not.
NAB_GRID: Grid = {"joint_min_features": (1, 2)}


def configs(grid: Grid) -> list[tuple[str, AnomalyConfig]]:
    """Every point of ``grid`` as ``(label, AnomalyConfig)``; ``joint.x`` sets JointConfig.x."""
    out = []
    base = AnomalyConfig()
    for values in itertools.product(*grid.values()):
        top: dict[str, object] = {}
        joint: dict[str, object] = {}
        for key, value in zip(grid, values, strict=True):
            if key.startswith("joint."):
                joint[key.removeprefix("joint.")] = value
            else:
                top[key] = value
        joint_config = dataclasses.replace(base.joint, **joint)  # type: ignore[arg-type]
        config = dataclasses.replace(base, joint=joint_config, **top)  # type: ignore[arg-type]
        label = ", ".join(f"{k}={v}" for k, v in zip(grid, values, strict=True))
        out.append((label, config))
    return out


def _is_default(config: AnomalyConfig) -> bool:
    return config == AnomalyConfig()


# ---------------------------------------------------------------------------------- SKAB


def skab_objective(s: skab.SkabScore) -> float:
    """Selection criterion: F1, less 0.02 per point of FAR above 15 %."""
    return s.f1 - 0.02 * max(s.far - 15.0, 0.0)


@dataclass(frozen=True, slots=True)
class SkabFold:
    """One held-out group: its files, the chosen grid point and its held-out score."""

    files: tuple[str, ...]
    chosen: str
    score: skab.SkabScore
    default: skab.SkabScore


def skab_folds(
    files: Sequence[skab.SkabFile], grid: Grid, folds: int
) -> tuple[list[SkabFold], dict[str, list[np.ndarray]]]:
    """Run every grid point on every file; choose per held-out group (module docstring)."""
    points = configs(grid)
    decisions: dict[str, list[np.ndarray]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.csv"
        for label, config in points:
            decisions[label] = [detect_file(f, target, config) for f in files]
    default = next((label for label, c in points if _is_default(c)), points[0][0])
    groups = np.array_split(np.arange(len(files)), folds)

    def pooled(label: str, idx: Sequence[int]) -> skab.SkabScore:
        return skab.score_files([decisions[label][i] for i in idx], [files[i] for i in idx])

    out = []
    for group in groups:
        train = [i for i in range(len(files)) if i not in set(group.tolist())]
        best = max(decisions, key=lambda label: skab_objective(pooled(label, train)))
        out.append(
            SkabFold(
                tuple(files[i].name for i in group),
                best,
                pooled(best, group.tolist()),
                pooled(default, group.tolist()),
            )
        )
    return out, decisions


def render_skab(
    files: Sequence[skab.SkabFile], folds: list[SkabFold], decisions: dict[str, list[np.ndarray]]
) -> str:
    """Markdown: per held-out group, the pooled held-out figure, and the full-set grid."""

    def fmt(s: skab.SkabScore) -> str:
        return f"{s.f1:.3f} / {s.far:.1f} / {s.mar:.1f}"

    lines = [
        "| held-out files | chosen on the other files | held-out F1 / FAR / MAR "
        "| defaults, same files |",
        "|---|---|---|---|",
    ]
    held = skab.SkabScore(0, 0, 0, 0)
    dflt = skab.SkabScore(0, 0, 0, 0)
    for fold in folds:
        held = held + fold.score
        dflt = dflt + fold.default
        lines.append(
            f"| {', '.join(fold.files)} | {fold.chosen} | {fmt(fold.score)} | {fmt(fold.default)} |"
        )
    lines.append(f"| **pooled** | | **{fmt(held)}** | {fmt(dflt)} |")
    lines += ["", "Full-set figure of every grid point (for the record, not for choosing):", ""]
    lines += ["| grid point | F1 / FAR / MAR |", "|---|---|"]
    for label, dec in decisions.items():
        lines.append(f"| {label} | {fmt(skab.score_files(dec, files))} |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------- NAB


def _nab_scores(files: Sequence[nab.NabFile], config: AnomalyConfig) -> list[list[float]]:
    """``anomaly_score`` of every file through ``aiot detect``'s code path."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.csv"
        for f in files:
            detect_csv(f.path, target, config=config)
            with target.open(newline="") as handle:
                out.append([float(r["anomaly_score"]) for r in csv.DictReader(handle)])
    return out


@dataclass(frozen=True, slots=True)
class NabFold:
    """One held-out folder: the chosen grid point, its held-out score and the defaults'."""

    folder: str
    chosen: str
    score: nab.CorpusScore
    default: nab.CorpusScore


def nab_folds(files: Sequence[nab.NabFile], grid: Grid) -> tuple[list[NabFold], dict[str, float]]:
    """Leave each folder out in turn (module docstring); also the full-set score per point."""
    points = configs(grid)
    profile = nab.PROFILES["standard"]
    scores = {label: _nab_scores(files, config) for label, config in points}
    default = next((label for label, c in points if _is_default(c)), points[0][0])
    folders = sorted({f.name.split("/", 1)[0] for f in files})

    def corpus(label: str, keep: set[str]) -> list[tuple[list[float], tuple[tuple[int, int], ...]]]:
        return [
            (s, f.windows)
            for s, f in zip(scores[label], files, strict=True)
            if f.name.split("/", 1)[0] in keep
        ]

    out = []
    for folder in folders:
        others = set(folders) - {folder}
        fitted = {label: nab.score_corpus(corpus(label, others), profile) for label in scores}
        best = max(fitted, key=lambda label: fitted[label].score)
        held = nab.score_at(corpus(best, {folder}), profile, fitted[best].threshold)
        base = nab.score_at(corpus(default, {folder}), profile, fitted[default].threshold)
        out.append(NabFold(folder, best, held, base))
    everything = set(folders)
    full = {label: nab.score_corpus(corpus(label, everything), profile).score for label in scores}
    return out, full


def render_nab(folds: list[NabFold], full: dict[str, float]) -> str:
    """Markdown: per held-out folder, the chosen point and the held-out standard score."""

    def fmt(s: nab.CorpusScore) -> str:
        figure = f"raw {s.raw:.2f}" if math.isnan(s.score) else f"{s.score:.1f}"
        return f"{figure} ({s.detected_windows}/{s.n_windows} windows, {s.false_positives} FP)"

    lines = [
        "| held-out folder | chosen on the other folders | held-out standard | defaults |",
        "|---|---|---|---|",
    ]
    for fold in folds:
        lines.append(f"| {fold.folder} | {fold.chosen} | {fmt(fold.score)} | {fmt(fold.default)} |")
    lines += ["", "| grid point | all 35 files, standard |", "|---|---|"]
    lines += [f"| {label} | {score:.1f} |" for label, score in full.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run one benchmark's cross-validation and print Markdown tables."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crossval", description=__doc__)
    parser.add_argument("benchmark", choices=("skab", "nab"))
    parser.add_argument("--folds", type=int, default=7, help="SKAB: groups of files (default 7)")
    args = parser.parse_args(argv)
    if args.benchmark == "skab":
        root = skab.data_root(PROJECT_ROOT)
        if not (root / "data").is_dir():
            print(f"SKAB data not found at ../shared/benchmarks/skab; skipped ({root})")
            return 0
        files = skab.load_corpus(root)
        folds, decisions = skab_folds(files, SKAB_GRID, args.folds)
        print(render_skab(files, folds, decisions))
    else:
        root = nab.data_root(PROJECT_ROOT)
        if not (root / "windows.json").is_file():
            print(f"NAB data not found at ../shared/benchmarks/nab; skipped ({root})")
            return 0
        folds_nab, full = nab_folds(nab.load_corpus(root), NAB_GRID)
        print(render_nab(folds_nab, full))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
