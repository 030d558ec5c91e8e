"""``python -m benchmarks.train_fall_model DIR``: learn the fall model's weights, subjects apart.

DIR holds recorded trials in the WEDA-FALL layout (:mod:`agents.safety.recordings`), e.g.
``../shared/benchmarks/weda-fall`` or a site's own recordings. Steps:

1. Every trial is replayed sample by sample through the edge gateway's code
   (:class:`app.simulator.safety.replay.FallReplay` without a model): its impact readings are
   exactly what the safety engine would score.
2. Labels: in a fall trial, readings from ``start - 1 s`` to ``end + 3 s`` of an impact inside
   the fall (``start - 0.5 s`` to ``end + 1 s``) are falls, readings before ``start - 1 s``
   are not (an alarm there is false), the rest are left out; every reading of a daily
   activity is no fall. Falls and non-falls get equal total weight.
3. Leave-subjects-out: for each subject, a model is trained on the other subjects, its alarm
   threshold chosen on them by an inner grouped cross-validation (maximum F1 over their
   trials, the middle of the best plateau), and it scores the held-out subject's trials as
   ``aiot detect-falls`` would (an alarm at the first reading reaching the threshold). The
   report gives every held-out fold and the pooled figures (:mod:`benchmarks.weda_fall`).
4. The shipped model: trained on every subject, threshold from a grouped cross-validation over
   all of them, written with its provenance and the held-out figures (``-o``, default: the
   packaged ``fall_model.json`` beside :mod:`agents.safety.fall_model`). The data itself is
   never written.

Hyper-parameters (:class:`agents.safety.fall_model.TrainingConfig`) are fixed in advance;
``--hidden``, ``--members``, ``--epochs`` change them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from agents.safety.fall_model import (
    INPUTS,
    PACKAGED_MODEL,
    FallModel,
    TrainingConfig,
    impact_inputs,
    inputs_matrix,
)
from agents.safety.recordings import read_fall_windows, read_recordings
from app.edge.motion import FEATURES_VERSION
from app.settings import Settings
from app.simulator.safety.replay import FallReplay
from benchmarks.weda_fall import EARLY_S, LATE_S, FallScore, Trial, score_trials

__all__ = [
    "ImpactSet",
    "choose_threshold",
    "collect",
    "first_alarms",
    "leave_subjects_out",
    "main",
    "train",
]

FALL_MARGIN_S = (0.5, 1.0)
"""An impact counts as the fall's when its peak lies from 0.5 s before the start to 1 s after
the end of the fall."""
THRESHOLDS = np.concatenate([np.linspace(0.30, 0.99, 139), 1.0 - np.logspace(-2.0, -4.0, 21)])


@dataclass(slots=True)
class ImpactSet:
    """The impact readings of one trial: times (s), peak times (s), inputs (rows)."""

    name: str
    subject: str
    is_fall: bool
    window: tuple[float, float] | None
    times: NDArray[np.float64]
    peaks: NDArray[np.float64]
    x: NDArray[np.float64]

    def labels(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per reading: label (1 fall) and whether it is used (module docstring, step 2)."""
        n = len(self.times)
        if not self.is_fall or self.window is None:
            return np.zeros(n), np.ones(n)
        start, end = self.window
        inside = (self.times >= start - EARLY_S) & (self.times <= end + LATE_S)
        own = (self.peaks >= start - FALL_MARGIN_S[0]) & (self.peaks <= end + FALL_MARGIN_S[1])
        positive = inside & own
        used = positive | (self.times < start - EARLY_S)
        return positive.astype(np.float64), used.astype(np.float64)


def collect(directory: Path, settings: Settings | None = None) -> list[ImpactSet]:
    """Replay every trial of ``directory`` through the edge; its impact readings per trial."""
    windows = read_fall_windows(directory)
    replay = FallReplay(settings or Settings())
    out = []
    for recording in read_recordings(directory):
        result = replay.run(recording)
        times = np.array([t for t, _ in result.impacts])
        peaks = np.array([t - f.age_s for t, f in result.impacts])
        x = inputs_matrix([impact_inputs(f) for _, f in result.impacts])
        window = windows.get(recording.name)
        if recording.is_fall and window is None:
            raise ValueError(f"fall trial {recording.name} has no row in fall_timestamps.csv")
        out.append(
            ImpactSet(recording.name, recording.subject, recording.is_fall, window, times, peaks, x)
        )
    return out


def train(sets: Sequence[ImpactSet], config: TrainingConfig) -> FallModel:
    """A model trained on the labelled readings of ``sets`` (falls and non-falls weighted
    equally)."""
    xs, ys = [], []
    for item in sets:
        y, used = item.labels()
        keep = used > 0
        xs.append(item.x[keep])
        ys.append(y[keep])
    x = np.vstack(xs) if xs else np.empty((0, len(INPUTS)))
    y = np.concatenate(ys) if ys else np.empty(0)
    positives = float(y.sum())
    if positives == 0 or positives == len(y):
        raise ValueError("training needs impact readings of falls and of other activities")
    weights = np.where(y > 0, 1.0, positives / (len(y) - positives))
    return FallModel().fit(x, y, weights, config)


def _running_max(model: FallModel, sets: Sequence[ImpactSet]) -> list[NDArray[np.float64]]:
    """Per trial, the running maximum of P(fall) over its readings (first crossings)."""
    return [
        np.maximum.accumulate(model.predict_proba_array(s.x)) if len(s.x) else np.empty(0)
        for s in sets
    ]


def first_alarms(
    sets: Sequence[ImpactSet], running: Sequence[NDArray[np.float64]], threshold: float
) -> list[Trial]:
    """The trials with their first alarm at ``threshold`` (as the engine raises it)."""
    out = []
    for s, peak in zip(sets, running, strict=True):
        i = int(np.searchsorted(peak, threshold, "left"))
        alarm = float(s.times[i]) if i < len(peak) else None
        out.append(Trial(s.name, s.subject, s.is_fall, s.window, alarm))
    return out


def choose_threshold(sets: Sequence[ImpactSet], running: Sequence[NDArray[np.float64]]) -> float:
    """The threshold of best F1 over the trials (the middle of the best plateau)."""
    f1 = np.array([score_trials(first_alarms(sets, running, th)).f1 or 0.0 for th in THRESHOLDS])
    best = np.flatnonzero(f1 >= f1.max() - 1e-12)
    return float(THRESHOLDS[best[len(best) // 2]])


def _grouped_threshold(sets: Sequence[ImpactSet], config: TrainingConfig, groups: int) -> float:
    """Threshold from a grouped cross-validation over the subjects of ``sets``."""
    subjects = sorted({s.subject for s in sets})
    folds = [subjects[i::groups] for i in range(min(groups, len(subjects)))]
    running: dict[str, NDArray[np.float64]] = {}
    for fold in folds:
        model = train([s for s in sets if s.subject not in fold], config)
        held = [s for s in sets if s.subject in fold]
        running.update(zip((s.name for s in held), _running_max(model, held), strict=True))
    return choose_threshold(sets, [running[s.name] for s in sets])


@dataclass(slots=True)
class HeldOut:
    """Leave-subjects-out outcome: trials with their held-out alarms, thresholds per subject."""

    trials: list[Trial]
    thresholds: dict[str, float]

    def score(self, subject: str | None = None) -> FallScore:
        """Score of one held-out subject, or pooled over all."""
        return score_trials(t for t in self.trials if subject in (None, t.subject))


def leave_subjects_out(
    sets: Sequence[ImpactSet], config: TrainingConfig, groups: int = 4, log: bool = False
) -> HeldOut:
    """Every subject held out in turn (module docstring, step 3)."""
    subjects = sorted({s.subject for s in sets})
    trials: list[Trial] = []
    thresholds: dict[str, float] = {}
    for subject in subjects:
        started = time.monotonic()
        rest = [s for s in sets if s.subject != subject]
        held = [s for s in sets if s.subject == subject]
        threshold = _grouped_threshold(rest, config, groups)
        model = train(rest, config)
        trials.extend(first_alarms(held, _running_max(model, held), threshold))
        thresholds[subject] = threshold
        if log:
            figures = score_trials(t for t in trials if t.subject == subject).to_dict()
            print(
                f"  held out {subject}: threshold {threshold:.4f}, {figures} "
                f"({time.monotonic() - started:.0f} s)",
                file=sys.stderr,
            )
    return HeldOut(trials, thresholds)


def report(held: HeldOut) -> str:
    """Markdown table of the held-out folds and the pooled figures."""
    lines = [
        "| held-out subject | threshold | falls | detected | daily activities | false alarms "
        "| F1 | sensitivity | specificity | median delay s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def cell(value: float | None) -> str:
        """A figure or a dash."""
        return "-" if value is None else f"{value:.3f}"

    for subject, threshold in held.thresholds.items():
        s = held.score(subject)
        lines.append(
            f"| {subject} | {threshold:.4f} | {s.falls} | {s.tp} | {s.adls} | "
            f"{s.false_positives} | {cell(s.f1 if s.falls else None)} | {cell(s.sensitivity)} | "
            f"{cell(s.specificity)} | {cell(s.median_delay_s)} |"
        )
    s = held.score()
    lines.append(
        f"| **pooled** | | {s.falls} | {s.tp} | {s.adls} | {s.false_positives} | "
        f"**{cell(s.f1)}** | {cell(s.sensitivity)} | {cell(s.specificity)} | "
        f"{cell(s.median_delay_s)} |"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line (module docstring); exit 2 when DIR cannot be read."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.train_fall_model", description=__doc__
    )
    parser.add_argument("directory", help="recorded trials in the WEDA-FALL layout")
    parser.add_argument("-o", "--output", default=str(PACKAGED_MODEL), help="weights file to write")
    defaults = TrainingConfig()
    parser.add_argument("--hidden", type=int, default=defaults.hidden, help="hidden units")
    parser.add_argument("--members", type=int, default=defaults.members, help="networks")
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help="training passes")
    parser.add_argument("--groups", type=int, default=4, help="inner folds choosing thresholds")
    parser.add_argument(
        "--no-held-out", action="store_true", help="skip the leave-subjects-out evaluation"
    )
    args = parser.parse_args(argv)
    config = TrainingConfig(hidden=args.hidden, members=args.members, epochs=args.epochs)
    directory = Path(args.directory)
    started = time.monotonic()
    try:
        sets = collect(directory)
    except ValueError as exc:
        print(f"train_fall_model: {exc}", file=sys.stderr)
        return 2
    readings = sum(len(s.times) for s in sets)
    print(
        f"{len(sets)} trials, {len({s.subject for s in sets})} subjects, {readings} impact "
        f"readings ({time.monotonic() - started:.0f} s)",
        file=sys.stderr,
    )
    info: dict[str, Any] = {
        "features": FEATURES_VERSION,
        "trained_on": {
            "directory": directory.resolve().name,
            "trials": len(sets),
            "falls": sum(s.is_fall for s in sets),
            "subjects": sorted({s.subject for s in sets}),
            "impact_readings": readings,
        },
        "training": {
            "hidden": config.hidden,
            "members": config.members,
            "epochs": config.epochs,
            "threshold_groups": args.groups,
        },
        "command": "python -m benchmarks.train_fall_model " + directory.resolve().name,
    }
    if not args.no_held_out:
        held = leave_subjects_out(sets, config, args.groups, log=True)
        print(report(held))
        info["held_out"] = {
            "pooled": held.score().to_dict(),
            "folds": {subject: held.score(subject).to_dict() for subject in held.thresholds},
        }
    threshold = _grouped_threshold(sets, config, args.groups)
    model = train(sets, config)
    model.threshold = threshold
    model.info = info
    model.save(Path(args.output))
    print(
        f"wrote {args.output}: {model.version}, threshold {threshold:.4f} "
        f"({time.monotonic() - started:.0f} s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
