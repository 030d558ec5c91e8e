"""WEDA-FALL: where the data is, the trial-level scoring protocol, and the reference detectors.

The data lives outside the project at ``../shared/benchmarks/weda-fall`` (relative to the project
root; :func:`data_dir` returns None when it is absent, so tests and tools skip cleanly). Layout
and reader: :mod:`agents.safety.recordings`.

Protocol (the README of the data): each trial is streamed at its own pace and the detector
decides online; only a trial's **first** alarm counts.

* A fall trial is **detected** (true positive) when its first alarm comes between
  ``start_time - 1 s`` and ``end_time + 3 s``; its delay is ``alarm - start_time``. A first
  alarm before that is a false alarm (false positive) and the fall is missed (false negative);
  a later one, or none, is a miss.
* A daily-activity trial with any alarm is a false positive, without one a true negative.

Figures over trials: sensitivity = detected falls / falls, specificity = daily activities
without alarm / daily activities, F1 = 2 TP / (2 TP + FP + FN), median delay of the detections.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agents.safety.recordings import Recording

__all__ = [
    "EARLY_S",
    "LATE_S",
    "PUBLISHED",
    "FallScore",
    "Trial",
    "data_dir",
    "impact_rule_alarm",
    "score_trials",
    "trials_of",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
EARLY_S = 1.0
"""A fall's alarm may come this long before its start_time."""
LATE_S = 3.0
"""... and this long after its end_time."""

PUBLISHED: tuple[tuple[str, float], ...] = (
    ("Gated-CNN, leave-one-subject-out (arXiv 2605.20275)", 0.93),
    ("impact rule: first sample above 3 g (the data's README)", 0.64),
)
"""Published F1 over trials on this data."""


def data_dir(root: Path | None = None) -> Path | None:
    """The folder ``<root>/../shared/benchmarks/weda-fall``, or None when it is absent."""
    path = (root or PROJECT_ROOT).parent / "shared" / "benchmarks" / "weda-fall"
    return path if path.is_dir() else None


@dataclass(frozen=True, slots=True)
class Trial:
    """A trial to score: name, subject, whether it is a fall (then its window), first alarm."""

    name: str
    subject: str
    is_fall: bool
    window: tuple[float, float] | None
    alarm_s: float | None

    def outcome(self) -> str:
        """``tp``, ``fn``, ``early`` (false alarm before a fall: FP and FN), ``fp`` or ``tn``."""
        alarm = self.alarm_s
        if not self.is_fall:
            return "tn" if alarm is None else "fp"
        if self.window is None:
            raise ValueError(f"fall trial {self.name} has no fall_timestamps.csv row")
        start, end = self.window
        if alarm is None or alarm > end + LATE_S:
            return "fn"
        return "early" if alarm < start - EARLY_S else "tp"


@dataclass(slots=True)
class FallScore:
    """Trial counts and the protocol's figures (module docstring)."""

    falls: int = 0
    adls: int = 0
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    early: int = 0
    delays_s: list[float] = field(default_factory=list)

    @property
    def false_positives(self) -> int:
        """False alarms: daily activities alarmed and alarms before a fall's window."""
        return self.fp + self.early

    @property
    def missed(self) -> int:
        """Falls not detected (no alarm, too late, or preceded by an early false alarm)."""
        return self.fn + self.early

    @property
    def sensitivity(self) -> float | None:
        """Detected share of the falls."""
        return self.tp / self.falls if self.falls else None

    @property
    def specificity(self) -> float | None:
        """Share of daily activities without an alarm."""
        return self.tn / self.adls if self.adls else None

    @property
    def f1(self) -> float | None:
        """F1 over trials (None when there is no fall and no false alarm)."""
        denominator = 2 * self.tp + self.false_positives + self.missed
        return 2 * self.tp / denominator if denominator else None

    @property
    def median_delay_s(self) -> float | None:
        """Median seconds from fall start to the detecting alarm."""
        return statistics.median(self.delays_s) if self.delays_s else None

    def to_dict(self) -> dict[str, Any]:
        """Plain figures, rounded."""

        def r(value: float | None) -> float | None:
            """Three decimals (None stays None)."""
            return None if value is None else round(value, 3)

        return {
            "trials": self.falls + self.adls,
            "falls": self.falls,
            "daily_activities": self.adls,
            "detected": self.tp,
            "missed": self.missed,
            "false_alarms": self.false_positives,
            "sensitivity": r(self.sensitivity),
            "specificity": r(self.specificity),
            "f1": r(self.f1),
            "median_delay_s": r(self.median_delay_s),
        }


def score_trials(trials: Iterable[Trial]) -> FallScore:
    """Score trials by the protocol (module docstring)."""
    score = FallScore()
    for trial in trials:
        outcome = trial.outcome()
        if trial.is_fall:
            score.falls += 1
        else:
            score.adls += 1
        setattr(score, outcome, getattr(score, outcome) + 1)
        if outcome == "tp" and trial.window is not None and trial.alarm_s is not None:
            score.delays_s.append(trial.alarm_s - trial.window[0])
    return score


def trials_of(
    recordings: Iterable[Recording],
    alarms: Mapping[str, float | None],
    windows: Mapping[str, tuple[float, float]],
) -> list[Trial]:
    """:class:`Trial` of each recording with its alarm (absent: none)."""
    return [
        Trial(r.name, r.subject, r.is_fall, windows.get(r.name), alarms.get(r.name))
        for r in recordings
    ]


def impact_rule_alarm(recording: Recording, threshold_g: float = 3.0) -> float | None:
    """The README's reference: time of the first sample whose magnitude exceeds 3 g."""
    magnitude = np.sqrt(np.einsum("ij,ij->i", recording.accel[:, 1:], recording.accel[:, 1:]))
    above = np.flatnonzero(magnitude > threshold_g * 9.80665)
    return float(recording.accel[above[0], 0]) if len(above) else None
