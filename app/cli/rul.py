"""``aiot rul``: remaining useful life of C-MAPSS-format engines with the agent's model code.

Streams the training engines through :class:`analytics.failure_rul.RulStream` (per-engine
features and snapshot buffers, each engine's last cycle delivered as a delayed failure label,
one shared :class:`analytics.failure.FailureHorizonModel`), then streams the test engines and
writes ``unit,rul`` at each test engine's last cycle.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["register", "run_rul"]


def register(subparsers: Any) -> None:
    """Add the ``rul`` sub-command to the ``aiot`` parser."""
    parser = subparsers.add_parser(
        "rul",
        help="remaining useful life of C-MAPSS-format engines (learned from run-to-failure data)",
        description=__doc__,
    )
    parser.add_argument("--train", required=True, type=Path, help="run-to-failure engines")
    parser.add_argument("--test", required=True, type=Path, help="engines to predict")
    parser.add_argument("-o", "--output", required=True, type=Path, help="CSV to write")
    parser.set_defaults(handler=run_rul)


def run_rul(args: argparse.Namespace) -> int:
    """Train on ``args.train``, predict ``args.test``, write ``args.output``; exit code."""
    from app.core.models.failure_rul import RulStream, read_cmapss

    try:
        train = read_cmapss(args.train)
        test = read_cmapss(args.test)
    except (OSError, ValueError) as exc:
        print(f"aiot rul: {exc}", file=sys.stderr)
        return 2
    stream = RulStream()
    start = time.perf_counter()
    stream.learn(train)
    predicted = stream.predict(test)
    elapsed = time.perf_counter() - start
    with args.output.open("w", encoding="utf-8") as out:
        out.write("unit,rul\n")
        for unit in sorted(predicted):
            out.write(f"{unit},{predicted[unit]:.2f}\n")
    rows = len(train) + len(test)
    print(
        f"{len(predicted)} units -> {args.output} "
        f"({stream.model.n_failures} training failures, {rows} rows, "
        f"{rows / max(elapsed, 1e-9):,.0f} rows/s)"
    )
    return 0
