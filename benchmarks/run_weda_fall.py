"""``python -m benchmarks.run_weda_fall``: man-down's first stage on real falls (WEDA-FALL).

Three rows, scored by the data's protocol (:mod:`benchmarks.weda_fall`) beside the published F1:

1. **held out** (the figure that counts): leave-subjects-out with the shipped training
   procedure - each subject's trials scored by a model trained, and thresholded, on the other
   subjects only (:func:`benchmarks.train_fall_model.leave_subjects_out`);
2. **shipped model**: ``aiot detect-falls``'s code path (:func:`app.cli.detect_falls.
   detect_falls`: edge features, safety engine, alert lifecycle) with the packaged weights.
   They were trained on these very subjects, so this row is an in-sample check that the
   product path reproduces the model, not a result;
3. **impact rule**: the README's reference, an alarm at the first sample above 3 g.

Exits 0 with a message when ``../shared/benchmarks/weda-fall`` is absent.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from agents.safety.fall_model import TrainingConfig
from agents.safety.recordings import read_fall_windows, read_recordings
from app.cli.detect_falls import detect_falls
from app.settings import Settings
from benchmarks.train_fall_model import collect, leave_subjects_out
from benchmarks.weda_fall import (
    PUBLISHED,
    FallScore,
    data_dir,
    impact_rule_alarm,
    score_trials,
    trials_of,
)

__all__ = ["main", "read_alarms", "render"]


def read_alarms(path: Path) -> dict[str, float | None]:
    """Trial -> first alarm time of an ``aiot detect-falls`` output file."""
    with path.open(newline="") as handle:
        return {
            row["trial"]: float(row["alarm_time_s"]) if row["alarm_time_s"] else None
            for row in csv.DictReader(handle)
        }


def render(rows: Sequence[tuple[str, FallScore]]) -> str:
    """Markdown table of scored rows and the published F1."""

    def cell(value: float | None) -> str:
        """A figure or a dash."""
        return "-" if value is None else f"{value:.3f}"

    lines = [
        "| detector | F1 | sensitivity | specificity | false alarms | median delay s |",
        "|---|---|---|---|---|---|",
    ]
    for name, s in rows:
        lines.append(
            f"| {name} | {cell(s.f1)} | {cell(s.sensitivity)} | {cell(s.specificity)} | "
            f"{s.false_positives} | {cell(s.median_delay_s)} |"
        )
    for name, f1 in PUBLISHED:
        lines.append(f"| {name} (published) | {f1:.2f} | | | | |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the table and timings."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_weda_fall", description=__doc__)
    parser.add_argument(
        "--no-held-out", action="store_true", help="skip the leave-subjects-out row (minutes)"
    )
    args = parser.parse_args(argv)
    logging.getLogger("app.edge.processor").setLevel(logging.ERROR)
    directory = data_dir()
    if directory is None:
        print("WEDA-FALL data not found at ../shared/benchmarks/weda-fall; nothing to run")
        return 0
    settings = Settings()
    windows = read_fall_windows(directory)
    recordings = list(read_recordings(directory))
    rows: list[tuple[str, FallScore]] = []
    timings = []
    if not args.no_held_out:
        started = time.perf_counter()
        held = leave_subjects_out(collect(directory, settings), TrainingConfig())
        rows.append(("aiot fall model, leave-subjects-out (held out)", held.score()))
        timings.append(f"held out {time.perf_counter() - started:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "alarms.csv"
        stats = detect_falls(directory, out, settings)
        alarms = read_alarms(out)
    rows.append(
        (
            f"aiot detect-falls, shipped model {stats.model_version} (in-sample)",
            score_trials(trials_of(recordings, alarms, windows)),
        )
    )
    timings.append(
        f"detect-falls {stats.seconds:.0f} s ({stats.messages / stats.seconds:,.0f} samples/s, "
        f"{stats.dead_letters} dead letters)"
    )
    rule = {r.name: impact_rule_alarm(r) for r in recordings}
    rows.append(
        ("impact rule, first sample > 3 g", score_trials(trials_of(recordings, rule, windows)))
    )
    print(f"WEDA-FALL: {len(recordings)} trials, {sum(r.is_fall for r in recordings)} falls")
    print(render(rows))
    print("; ".join(timings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
