"""Recorded wearable motion on disk, in the WEDA-FALL layout, for replay, scoring and training.

A recordings directory holds ``<rate>Hz/<activity>/<subject>_<run>_accel.csv`` files (columns
``accel_time_list`` in seconds, ``accel_x_list``, ``accel_y_list``, ``accel_z_list`` in m/s^2),
optionally each with a ``..._gyro.csv`` beside it (same layout, rad/s), and optionally a
``fall_timestamps.csv`` (``filename,start_time,end_time``: when each fall trial's fall starts
and ends, seconds on the file's clock; ``filename`` is ``<activity>/<subject>_<run>``).
Activities starting with ``F`` are falls, the others daily activities. This is the layout of
Marques & Moreno's WEDA-FALL (Sensors 23(3):1146, 2023); a site can record its own trials the
same way to score or retrain the fall model on its people and wearables.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

__all__ = ["Recording", "rate_folder", "read_fall_windows", "read_recordings"]

_ACCEL_SUFFIX = "_accel.csv"
_RATE = re.compile(r"\d+Hz")


@dataclass(frozen=True, slots=True)
class Recording:
    """One trial: its name (``<activity>/<subject>_<run>``), who and what, and the samples.

    ``accel`` and ``gyro`` are ``(n, 4)`` arrays of time (s), x, y, z (m/s^2, rad/s).
    """

    name: str
    activity: str
    subject: str
    accel: NDArray[np.float64]
    gyro: NDArray[np.float64] | None

    @property
    def is_fall(self) -> bool:
        """Whether the activity is a fall (``F..``)."""
        return self.activity.startswith("F")


def rate_folder(directory: Path, rate: str | None = None) -> Path:
    """The ``<rate>Hz`` folder of ``directory`` (``50Hz`` when several and none is named).

    Raises ``ValueError`` saying what is missing.
    """
    if not directory.is_dir():
        raise ValueError(f"{directory} is not a directory")
    if rate is not None:
        folder = directory / rate
        if not folder.is_dir():
            raise ValueError(f"{directory} has no {rate} folder")
        return folder
    found = sorted(p for p in directory.iterdir() if p.is_dir() and _RATE.fullmatch(p.name))
    if not found:
        raise ValueError(
            f"{directory} has no <rate>Hz folder (expected e.g. 50Hz/<activity>/<subject>_<run>"
            "_accel.csv, the WEDA-FALL layout)"
        )
    preferred = [p for p in found if p.name == "50Hz"]
    return preferred[0] if preferred else found[0]


def _samples(path: Path) -> NDArray[np.float64]:
    """The ``(n, 4)`` samples of one CSV file (header skipped); ``ValueError`` naming it."""
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    if data.shape[1] != 4 or len(data) == 0 or not np.isfinite(data).all():
        raise ValueError(f"{path}: expected rows of time,x,y,z numbers")
    return data


def read_recordings(directory: Path, rate: str | None = None) -> Iterator[Recording]:
    """Every recording of ``directory`` (see the module docstring), in name order."""
    folder = rate_folder(directory, rate)
    for path in sorted(folder.glob(f"*/*{_ACCEL_SUFFIX}")):
        activity = path.parent.name
        base = path.name[: -len(_ACCEL_SUFFIX)]
        gyro_path = path.with_name(base + "_gyro.csv")
        yield Recording(
            name=f"{activity}/{base}",
            activity=activity,
            subject=base.split("_", 1)[0],
            accel=_samples(path),
            gyro=_samples(gyro_path) if gyro_path.exists() else None,
        )


def read_fall_windows(directory: Path) -> dict[str, tuple[float, float]]:
    """``fall_timestamps.csv`` of ``directory``: trial name -> (fall start, fall end) in
    seconds; empty when the file is absent."""
    path = directory / "fall_timestamps.csv"
    if not path.exists():
        return {}
    windows: dict[str, tuple[float, float]] = {}
    try:
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                windows[row["filename"]] = (float(row["start_time"]), float(row["end_time"]))
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{path}: expected filename,start_time,end_time rows ({exc})") from exc
    return windows
