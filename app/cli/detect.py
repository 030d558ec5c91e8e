"""``aiot detect``: score a CSV file, row by row, with the maintenance agent's anomaly detector.

The file is read as a stream (the csv module, one row at a time) and every output row is
written as soon as its input row is scored, so memory does not grow with the file. One fresh
:class:`~app.core.models.anomaly.AnomalyDetector` serves the whole file, as for one new asset; every
numeric column except the timestamp and ``--exclude`` columns is a feature (two or more also
get the detector's joint model). Each output row holds ``anomaly_score``, the row's own score
in [0, 1] (0.5 at the alert level; high when something new happens), and ``is_anomaly``, the
alert state: 1 from the row where the detector raises its alert until the row where it clears
it, so a sustained fault is flagged for its duration. Both use only rows up to that one: a
prefix of a file gets the same output as the start of the whole file.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from app.core.models.anomaly import AnomalyConfig, AnomalyDetector

__all__ = ["DetectStats", "detect_csv", "detect_stream", "parse_timestamp", "register"]


@dataclass(frozen=True, slots=True)
class DetectStats:
    """What one run of :func:`detect_csv` did: rows scored, features used, seconds taken."""

    rows: int
    features: tuple[str, ...]
    seconds: float

    @property
    def rows_per_second(self) -> float:
        """Throughput of the run."""
        return self.rows / self.seconds if self.seconds > 0 else math.inf


def parse_timestamp(text: str, fallback: float) -> float:
    """Return ``text`` as Unix seconds: a number as is, else ISO 8601 (naive means UTC).

    Unparseable text gives ``fallback`` (the row number), so a stream is never rejected for
    its clock alone.
    """
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return fallback
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _to_float(text: str) -> float | None:
    """Parse a cell as a float, or None when it is empty or not a number."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def detect_stream(
    reader: Iterable[Sequence[str]],
    writer: Any,
    timestamp_col: str = "timestamp",
    exclude: Sequence[str] = (),
    config: AnomalyConfig = AnomalyConfig(),  # noqa: B008 - frozen, immutable default
) -> tuple[int, tuple[str, ...]]:
    """Score rows from a csv ``reader`` (header first) and write results to a csv ``writer``.

    Feature columns are the columns, other than the timestamp and ``exclude``, whose value in
    the first data row is a number. Returns ``(rows scored, feature names)``.
    """
    rows = iter(reader)
    header = next(rows, None)
    if header is None:
        raise ValueError("empty input: no header row")
    if timestamp_col not in header:
        raise ValueError(f"timestamp column {timestamp_col!r} not in header {header}")
    ts_index = header.index(timestamp_col)
    skip = {ts_index} | {i for i, name in enumerate(header) if name in set(exclude)}
    writer.writerow(("timestamp", "anomaly_score", "is_anomaly"))
    detector: AnomalyDetector | None = None
    columns: list[tuple[int, str]] = []
    count = 0
    for row in rows:
        if not row:
            continue
        if detector is None:
            columns = [
                (i, header[i])
                for i in range(len(header))
                if i not in skip and i < len(row) and _to_float(row[i]) is not None
            ]
            if not columns:
                raise ValueError("no numeric feature column in the first data row")
            detector = AnomalyDetector([name for _, name in columns], config)
        x: dict[str, float] = {}
        for i, name in columns:
            if i < len(row):
                value = _to_float(row[i])
                if value is not None:
                    x[name] = value
        stamp = row[ts_index] if ts_index < len(row) else ""
        result = detector.update(x, parse_timestamp(stamp, float(count)))
        writer.writerow((stamp, f"{result.score:.6f}", int(result.is_anomaly)))
        count += 1
    return count, tuple(name for _, name in columns)


def detect_csv(
    source: Path,
    target: Path,
    sep: str = ",",
    timestamp_col: str = "timestamp",
    exclude: Sequence[str] = (),
    config: AnomalyConfig = AnomalyConfig(),  # noqa: B008 - frozen, immutable default
) -> DetectStats:
    """Score CSV file ``source`` into ``target`` (``timestamp,anomaly_score,is_anomaly``)."""
    started = time.perf_counter()
    with source.open(newline="") as fin, target.open("w", newline="") as fout:
        count, features = _run(fin, fout, sep, timestamp_col, exclude, config)
    return DetectStats(count, features, time.perf_counter() - started)


def _run(
    fin: TextIO,
    fout: TextIO,
    sep: str,
    timestamp_col: str,
    exclude: Sequence[str],
    config: AnomalyConfig,
) -> tuple[int, tuple[str, ...]]:
    """Wire the csv reader and writer for :func:`detect_csv`."""
    reader = csv.reader(fin, delimiter=sep)
    writer = csv.writer(fout, lineterminator="\n")
    return detect_stream(reader, writer, timestamp_col, exclude, config)


def _handle(args: argparse.Namespace) -> int:
    """Run ``aiot detect`` from parsed arguments; report throughput on stderr."""
    exclude = tuple(c.strip() for c in args.exclude.split(",") if c.strip())
    sep = "\t" if args.sep in ("\\t", "tab") else args.sep
    try:
        stats = detect_csv(Path(args.input), Path(args.output), sep, args.timestamp_col, exclude)
    except (OSError, ValueError) as exc:
        print(f"aiot detect: {exc}", file=sys.stderr)
        return 2
    print(
        f"aiot detect: {stats.rows} rows, {len(stats.features)} feature(s) "
        f"({', '.join(stats.features)}), {stats.seconds:.2f} s, "
        f"{stats.rows_per_second:,.0f} rows/s",
        file=sys.stderr,
    )
    return 0


def register(subparsers: Any) -> None:
    """Add the ``detect`` sub-command to the ``aiot`` parser."""
    parser = subparsers.add_parser(
        "detect",
        help="score a CSV file row by row with the streaming anomaly detector",
        description=(
            "Read INPUT as a stream and write one row per input row, "
            "timestamp,anomaly_score,is_anomaly: the row's score in [0,1] (0.5 at the alert "
            "level) and the alert state (1 from the row the alert is raised until it clears, "
            "so a sustained fault stays flagged). Only earlier rows are used. Every numeric "
            "column but the timestamp and --exclude is a feature."
        ),
    )
    parser.add_argument("input", help="input CSV file")
    parser.add_argument("-o", "--output", required=True, help="output CSV file")
    parser.add_argument(
        "--sep", default=",", help="field separator (default ','; '\\t' or 'tab' for a tab)"
    )
    parser.add_argument(
        "--timestamp-col", default="timestamp", help="timestamp column (default 'timestamp')"
    )
    parser.add_argument(
        "--exclude", default="", help="comma-separated columns that are not features"
    )
    parser.set_defaults(handler=_handle)
