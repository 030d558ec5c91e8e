"""Benchmark the fleet model: ``python -m app.simulator.bench [--motors N] [--intervals K]``.

Measures, without Kafka, how long building the fleet, advancing it one reading interval
and encoding that interval's telemetry take, so the simulator's own cost at 100k motors is
known separately from the producer's.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from app.simulator.motors import MotorFleet

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print one line per measured step."""
    parser = argparse.ArgumentParser(prog="python -m app.simulator.bench", description=__doc__)
    parser.add_argument("--motors", type=int, default=100_000)
    parser.add_argument("--intervals", type=int, default=3)
    parser.add_argument("--interval-s", type=float, default=600.0)
    args = parser.parse_args(argv)

    start = 1_700_000_000.0
    t0 = time.perf_counter()
    fleet = MotorFleet(args.motors, seed=1, start_ts=start, interval_s=args.interval_s)
    print(f"build {args.motors} motors: {time.perf_counter() - t0:.3f} s")
    for k in range(1, args.intervals + 1):
        t0 = time.perf_counter()
        batch = fleet.advance(start + k * args.interval_s)
        advanced = time.perf_counter() - t0
        t0 = time.perf_counter()
        size = sum(len(value) for _, value in batch.telemetry_messages())
        encoded = time.perf_counter() - t0
        print(
            f"interval {k}: {len(batch)} readings, advance {advanced:.3f} s, "
            f"encode {encoded:.3f} s ({len(batch) / max(advanced + encoded, 1e-9):,.0f} "
            f"readings/s, {size / max(len(batch), 1):.0f} B/reading)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
