"""Score the maintenance engine on simulated motors in-process (no Kafka): fast model iteration.

The same simulator and engine as ``make run``, without the broker and at full speed, so a model
change can be judged over many simulated months and several seeds in seconds:

``python -m benchmarks.maintenance_offline --motors 50 --days 30 --seeds 1,2,3``

Prints one JSON line per seed with the ``make run`` maintenance summary plus the alerts split by
the basis that raised them (cold-start deviation or the learned failure model).

The simulated clock starts at ``--start`` (default 2026-01-01 00:00 UTC), not at the wall
clock: the motors' daily load and ambient cycles follow the time of day, so a start tied to
when the command runs would give other figures at every run.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from agents.maintenance.config import MaintenanceConfig
from agents.maintenance.engine import MaintenanceEngine
from agents.maintenance.scoring import score_maintenance
from agents.maintenance.settings import MaintenanceSettings
from app.core import OFFLINE, RecordMeta, StreamLimits
from app.settings import Settings, load_settings
from app.simulator.motors import MotorFleet

__all__ = ["main", "simulate_and_score"]

DAY = 86400.0


DEFAULT_START = "2026-01-01T00:00:00+00:00"


def simulate_and_score(
    settings: Settings,
    motors: int,
    days: float,
    seed: int,
    step_h: float = 6.0,
    start: float | None = None,
) -> dict[str, Any]:
    """Run ``motors`` simulated motors for ``days`` through the engine; return the scores.

    ``start`` is the simulated start (Unix seconds; default :data:`DEFAULT_START`); the run
    must end before the wall clock, which the engine's future-skew check enforces.
    """
    if start is None:
        start = datetime.fromisoformat(DEFAULT_START).timestamp()
    if start + (days + 1) * DAY > time.time():
        raise ValueError(f"a run of {days} days from {start} would end in the future")
    fleet = MotorFleet(
        motors,
        seed=seed,
        start_ts=start,
        interval_s=settings.sim_interval_s,
        mtbf_days=settings.sim_mtbf_days,
    )
    engine = MaintenanceEngine(
        MaintenanceConfig.from_settings(settings.of(MaintenanceSettings)),
        StreamLimits(),
        lambda _: None,
    )
    telemetry = RecordMeta("telemetry", "telemetry", 0, OFFLINE, None)
    maintenance = RecordMeta("maintenance", "maintenance", 0, OFFLINE, None)
    alerts: list[dict[str, Any]] = []
    ground_truth: list[dict[str, Any]] = []
    events = 0
    t = start
    began = time.perf_counter()
    while t < start + days * DAY:
        t += step_h * 3600.0
        batch = fleet.advance(t)
        ground_truth.extend(batch.ground_truth)
        # Within a step, readings and maintenance events are merged in event-time order.
        stream = [
            (ts, 0, v) for ts, (_, v) in zip(batch.ts, batch.telemetry_messages(), strict=True)
        ]
        stream += [(float(m["ts"]), 1, orjson.dumps(m)) for m in batch.maintenance]
        for _, kind, value in sorted(stream, key=lambda item: (item[0], item[1])):
            events += 1
            outputs = engine.handle(value, telemetry if kind == 0 else maintenance)
            alerts.extend(orjson.loads(o.encode()[1]) for o in outputs if o.topic == "alerts")
    elapsed = time.perf_counter() - began
    score = score_maintenance(
        ground_truth,
        alerts,
        horizon_s=settings.of(MaintenanceSettings).horizon_h * 3600.0,
        run_start_ts=start,
        run_end_ts=t,
        motors=motors,
    )
    basis = Counter(a["evidence"].get("basis") for a in alerts if a["state"] == "raised")
    return {
        "seed": seed,
        "start": datetime.fromtimestamp(start, UTC).isoformat(),
        "events": events,
        "events_per_s": round(events / elapsed),
        **score.to_dict(),
        "raised_by_basis": dict(basis),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the offline scoring for each seed and print one JSON line each."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.maintenance_offline")
    parser.add_argument("--motors", type=int, default=50)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument(
        "--start", default=DEFAULT_START, help="simulated start, ISO 8601 (default 2026-01-01)"
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    for seed in (int(s) for s in args.seeds.split(",")):
        start = datetime.fromisoformat(args.start).timestamp()
        result = simulate_and_score(settings, args.motors, args.days, seed, start=start)
        print(orjson.dumps(result).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
