"""The Skoltech Anomaly Benchmark (SKAB): loader of the stored subset, scorer and references.

SKAB is a water-pump test rig (two accelerometers, motor current, voltage, pressure,
temperature, a thermocouple and the volume flow rate, once a second) with induced faults.
The data lives outside the project at ``../shared/benchmarks/skab`` (relative to the project
root): ``data/<folder>/<n>.csv``, ``;``-separated, a ``datetime`` column, the sensor columns,
then the labels ``anomaly`` (0/1) and ``changepoint``. Every folder found is loaded, so the
same code scores SKAB's other folders where they are present.

Protocol (the data's README): a detector reads each file from its first row as a stream and
gives every row its own online decision (``is_anomaly``). The first :data:`LEARN_ROWS` rows of
each file are for learning and are not scored. Over all scored rows of all files: F1 with
anomaly as the positive class, FAR = false positives / normal rows (%), MAR = missed anomalous
rows / anomalous rows (%).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "LABEL_COLUMNS",
    "LEARN_ROWS",
    "PUBLISHED",
    "SkabFile",
    "SkabScore",
    "data_root",
    "hotelling_baseline",
    "load_corpus",
    "score_files",
]

LEARN_ROWS = 400
LABEL_COLUMNS = ("anomaly", "changepoint")
TIMESTAMP_COLUMN = "datetime"
SEPARATOR = ";"

#: Published results on the whole SKAB (leaderboard, all folders): F1, FAR %, MAR %.
PUBLISHED: dict[str, tuple[float, float, float]] = {
    "Conv-AE": (0.78, 13.6, 28.0),
    "MSET": (0.78, 39.7, 14.1),
    "T-squared+Q (PCA)": (0.76, 26.6, 24.9),
    "LSTM-AE": (0.74, 30.0, 25.9),
    "T-squared": (0.66, 19.2, 42.6),
    "Isolation forest": (0.29, 2.6, 82.9),
}


def data_root(project_root: Path) -> Path:
    """Where SKAB lives: ``../shared/benchmarks/skab`` from the project root."""
    return project_root.parent / "shared" / "benchmarks" / "skab"


@dataclass(frozen=True, slots=True)
class SkabFile:
    """One SKAB experiment: its name (``folder/n.csv``), path, sensor matrix and labels."""

    name: str
    path: Path
    columns: tuple[str, ...]
    values: np.ndarray
    labels: np.ndarray

    @property
    def rows(self) -> int:
        """Rows in the file."""
        return int(self.labels.shape[0])


def _sort_key(path: Path) -> tuple[str, int, str]:
    """Folder, then the file's number (``10.csv`` after ``9.csv``), then its name."""
    stem = path.stem
    return (path.parent.name, int(stem) if stem.isdigit() else -1, stem)


def load_file(path: Path, name: str) -> SkabFile:
    """Read one SKAB csv: sensor columns (all but the timestamp and labels) and ``anomaly``."""
    with path.open(newline="") as handle:
        reader = csv.reader(handle, delimiter=SEPARATOR)
        header = next(reader)
        rows = [row for row in reader if row]
    sensors = [i for i, c in enumerate(header) if c not in (TIMESTAMP_COLUMN, *LABEL_COLUMNS)]
    label = header.index("anomaly")
    values = np.array([[float(row[i]) for i in sensors] for row in rows], dtype=np.float64)
    labels = np.array([round(float(row[label])) for row in rows], dtype=np.int8)
    return SkabFile(name, path, tuple(header[i] for i in sensors), values, labels)


def load_corpus(root: Path) -> list[SkabFile]:
    """Load every ``data/<folder>/*.csv`` under ``root``, by folder and file number."""
    paths = sorted((root / "data").glob("*/*.csv"), key=_sort_key)
    return [load_file(p, f"{p.parent.name}/{p.name}") for p in paths]


@dataclass(frozen=True, slots=True)
class SkabScore:
    """Row counts over the scored rows and the three SKAB figures."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def f1(self) -> float:
        """F1 of the anomalous class."""
        return 2.0 * self.tp / (2.0 * self.tp + self.fp + self.fn) if self.tp else 0.0

    @property
    def far(self) -> float:
        """False alarm rate: false positives over normal rows, in %."""
        return 100.0 * self.fp / max(self.fp + self.tn, 1)

    @property
    def mar(self) -> float:
        """Missed alarm rate: missed anomalous rows over anomalous rows, in %."""
        return 100.0 * self.fn / max(self.fn + self.tp, 1)

    def __add__(self, other: SkabScore) -> SkabScore:
        """Pool the counts of two sets of files."""
        return SkabScore(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn
        )


def score_file(decisions: Sequence[int] | np.ndarray, labels: np.ndarray) -> SkabScore:
    """Counts of one file's decisions against its labels, past the learning rows."""
    pred = np.asarray(decisions, dtype=bool)
    if pred.shape != labels.shape:
        raise ValueError(f"{pred.shape[0]} decisions for {labels.shape[0]} rows")
    p = pred[LEARN_ROWS:]
    y = labels[LEARN_ROWS:].astype(bool)
    return SkabScore(
        int(np.sum(p & y)), int(np.sum(p & ~y)), int(np.sum(~p & y)), int(np.sum(~p & ~y))
    )


def score_files(
    decisions: Iterable[Sequence[int] | np.ndarray], files: Iterable[SkabFile]
) -> SkabScore:
    """Pooled counts over files (the benchmark's figure is over all scored rows at once)."""
    total = SkabScore(0, 0, 0, 0)
    for pred, f in zip(decisions, files, strict=True):
        total = total + score_file(pred, f.labels)
    return total


def hotelling_baseline(f: SkabFile, quantile: float = 0.99) -> np.ndarray:
    """The README's reference: Hotelling T² fitted on the learning rows, flagged above their
    ``quantile``. Offline (one fit per file), only to reproduce the published reference."""
    train = f.values[:LEARN_ROWS]
    mean = train.mean(axis=0)
    inv = np.linalg.pinv(np.cov(train, rowvar=False))
    d = f.values - mean
    t2 = np.einsum("ij,jk,ik->i", d, inv, d)
    return (t2 > np.quantile(t2[:LEARN_ROWS], quantile)).astype(np.int8)
