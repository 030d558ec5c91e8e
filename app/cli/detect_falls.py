"""``aiot detect-falls DIR -o OUT.csv``: the product's fall detection over recorded trials.

Every trial of DIR (the WEDA-FALL layout, :mod:`agents.safety.recordings`) is streamed sample
by sample through the edge gateway's code and the safety worker engine
(:mod:`app.simulator.safety.replay`) - the motion features, the fall model and the alert
lifecycle the product runs - and OUT.csv gets one row per trial: ``trial,alarm_time_s,kind``
with the trial's first ``fall_suspected`` or ``man_down`` alarm, in seconds on the trial's
clock (empty time and kind when none).
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.safety.fall_model import FallModel
from agents.safety.recordings import read_recordings
from agents.safety.settings import SafetySettings
from app.settings import Settings, load_settings
from app.simulator.safety.replay import FallReplay

__all__ = ["DetectFallsStats", "detect_falls", "register"]


@dataclass(frozen=True, slots=True)
class DetectFallsStats:
    """What one run did: trials, trials with an alarm, messages sent, dead letters, seconds."""

    trials: int
    alarmed: int
    messages: int
    dead_letters: int
    seconds: float
    model_version: str


def detect_falls(
    directory: Path,
    target: Path,
    settings: Settings | None = None,
    model: FallModel | None = None,
    rate: str | None = None,
) -> DetectFallsStats:
    """Replay every trial of ``directory`` and write each one's first alarm to ``target``.

    ``model`` defaults to the one of the settings (``AIOT_SAFETY_FALL_MODEL``, else packaged).
    Raises ``ValueError`` when the directory or the model cannot be used.
    """
    settings = settings or load_settings()
    model = model or FallModel.load(settings.of(SafetySettings).safety_fall_model)
    replay = FallReplay(settings, model)
    started = time.perf_counter()
    trials = alarmed = messages = dead = 0
    with target.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("trial", "alarm_time_s", "kind"))
        for recording in read_recordings(directory, rate):
            result = replay.run(recording)
            first = result.first
            trials += 1
            messages += result.messages
            dead += result.dead_letters
            if first is None:
                writer.writerow((recording.name, "", ""))
            else:
                alarmed += 1
                writer.writerow((recording.name, f"{first.time_s:.3f}", first.kind))
    if trials == 0:
        raise ValueError(f"no <activity>/<subject>_<run>_accel.csv trial found under {directory}")
    return DetectFallsStats(
        trials, alarmed, messages, dead, time.perf_counter() - started, model.version
    )


def _handle(args: argparse.Namespace) -> int:
    """Run ``aiot detect-falls`` from parsed arguments; report on stderr (the edge's dead
    letters - samples stepping back too far - are counted there, not logged one by one)."""
    logging.getLogger("app.edge.processor").setLevel(logging.ERROR)
    settings = load_settings()
    try:
        default = settings.of(SafetySettings).safety_fall_model
        model = FallModel.load(args.model if args.model is not None else default)
        stats = detect_falls(Path(args.directory), Path(args.output), settings, model, args.rate)
    except (OSError, ValueError) as exc:
        print(f"aiot detect-falls: {exc}", file=sys.stderr)
        return 2
    print(
        f"aiot detect-falls: {stats.trials} trials, {stats.alarmed} with an alarm, "
        f"{stats.messages} wearable messages ({stats.dead_letters} dead letters), "
        f"model {stats.model_version}, {stats.seconds:.1f} s",
        file=sys.stderr,
    )
    return 0


def register(subparsers: Any) -> None:
    """Add the ``detect-falls`` sub-command to the ``aiot`` parser."""
    parser = subparsers.add_parser(
        "detect-falls",
        help="stream recorded trials through the edge and safety engine; first alarm per trial",
        description=(
            "Stream every trial of DIRECTORY (WEDA-FALL layout: <rate>Hz/<activity>/"
            "<subject>_<run>_accel.csv, optional _gyro.csv) sample by sample through the edge "
            "gateway's motion features and the safety engine, and write "
            "trial,alarm_time_s,kind with each trial's first fall alarm (empty when none)."
        ),
    )
    parser.add_argument("directory", help="directory of recorded trials")
    parser.add_argument("-o", "--output", required=True, help="output CSV file")
    parser.add_argument(
        "--model", default=None, help="fall model weights (default: AIOT_SAFETY_FALL_MODEL)"
    )
    parser.add_argument("--rate", default=None, help="rate folder, e.g. 50Hz (default: 50Hz)")
    parser.set_defaults(handler=_handle)
