"""NASA C-MAPSS turbofan run-to-failure data: loader, RUL ground truth and the two scorers.

The data lives outside the project at ``../shared/benchmarks/cmapss`` (relative to the project
root); :func:`data_dir` returns None when it is absent so tests and tools can skip cleanly.
Scorers follow Saxena et al., "Damage propagation modeling for aircraft engine run-to-failure
simulation" (PHM 2008), with ``d = predicted - true`` per test unit:

- RMSE: ``sqrt(mean(d^2))``;
- PHM08 score: ``sum(exp(-d / 13) - 1 if d < 0 else exp(d / 10) - 1)``: late predictions
  (d > 0) cost more than early ones; lower is better.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.models.failure_rul import read_cmapss

__all__ = [
    "PUBLISHED",
    "CmapssSubset",
    "data_dir",
    "load_rul",
    "load_subset",
    "phm08_score",
    "read_cmapss",
    "rmse",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]

PUBLISHED: tuple[tuple[str, float, float], ...] = (
    ("constant mean", 43.1, 33600.0),
    ("linear regression, last cycle", 21.7, 1290.0),
    ("SVR", 20.96, 1380.0),
    ("CNN (Babu et al. 2016)", 18.45, 1299.0),
    ("deep LSTM (Zheng et al. 2017)", 16.14, 338.0),
    ("DCNN (Li et al. 2018)", 12.61, 274.0),
)
"""Published FD001 results as ``(method, RMSE, PHM08)``, from the data's README."""


def data_dir(root: Path | None = None) -> Path | None:
    """The C-MAPSS folder ``<root>/../shared/benchmarks/cmapss``, or None when absent.

    Parameters:
        root: the project root; default the checkout this module belongs to.
    """
    path = (root or PROJECT_ROOT).parent / "shared" / "benchmarks" / "cmapss"
    return path if path.is_dir() else None


def load_rul(path: str | Path) -> np.ndarray:
    """Read a ``RUL_FDxxx.txt`` file: the true RUL of test unit ``i + 1`` at index ``i``."""
    return np.loadtxt(path, dtype=np.float64, ndmin=1)


@dataclass(frozen=True, slots=True)
class CmapssSubset:
    """One C-MAPSS subset: training rows, test rows and the test units' true RUL."""

    name: str
    train: np.ndarray
    test: np.ndarray
    rul: np.ndarray


def load_subset(name: str = "FD001", directory: Path | None = None) -> CmapssSubset:
    """Load ``train_<name>.txt``, ``test_<name>.txt`` and ``RUL_<name>.txt``.

    Parameters:
        name: subset name, e.g. ``FD001``.
        directory: folder of the files; default :func:`data_dir`.
    """
    folder = directory or data_dir()
    if folder is None:
        raise FileNotFoundError("C-MAPSS data not found at ../shared/benchmarks/cmapss")
    return CmapssSubset(
        name,
        read_cmapss(folder / f"train_{name}.txt"),
        read_cmapss(folder / f"test_{name}.txt"),
        load_rul(folder / f"RUL_{name}.txt"),
    )


def _errors(
    predicted: Sequence[float] | np.ndarray, true: Sequence[float] | np.ndarray
) -> np.ndarray:
    """``predicted - true`` as floats, checking the lengths match."""
    p = np.asarray(predicted, dtype=np.float64)
    t = np.asarray(true, dtype=np.float64)
    if p.shape != t.shape or p.size == 0:
        raise ValueError(f"need equal, non-empty shapes, got {p.shape} and {t.shape}")
    return p - t


def rmse(predicted: Sequence[float] | np.ndarray, true: Sequence[float] | np.ndarray) -> float:
    """Root mean squared error of the predicted RUL."""
    d = _errors(predicted, true)
    return math.sqrt(float(np.mean(d * d)))


def phm08_score(
    predicted: Sequence[float] | np.ndarray, true: Sequence[float] | np.ndarray
) -> float:
    """PHM08 challenge score: asymmetric exponential penalty, late predictions cost more."""
    d = _errors(predicted, true)
    return float(np.sum(np.where(d < 0.0, np.expm1(-d / 13.0), np.expm1(d / 10.0))))
