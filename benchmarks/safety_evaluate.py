"""Offline evaluation: a simulated site through the safety engines, scored against ground truth.

``python -m benchmarks.safety_evaluate --seed N`` simulates ``--shifts`` consecutive shifts of
``--workers`` workers (same workers every day, so their baselines carry over), feeds every
reading through the worker engine and every zone-presence record it emits through the zone
engine - the same code the Faust agents run, minus Kafka - and prints recall and precision per
kind, event-time detection delays and the state sizes. No Faust, no broker; a few seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Any

import orjson

from agents.safety.config import SafetyConfig
from agents.safety.scoring import SafetyScore, score_safety
from agents.safety.settings import SafetySettings
from agents.safety.worker_engine import PRESENCE, WorkerEngine
from agents.safety.zone_engine import ZoneEngine
from app.core import OFFLINE, Output, RecordMeta
from app.settings import Settings, load_settings
from app.simulator.safety.shift import SiteSimulation

__all__ = ["Evaluation", "evaluate", "main"]

STEP_S = 60.0


@dataclass(slots=True)
class Evaluation:
    """Outcome of :func:`evaluate`."""

    score: SafetyScore
    readings: int
    presence: int
    alerts: list[dict[str, Any]]
    commands: int
    dead_letters: int
    worker_state_bytes: int
    zone_state_bytes: int
    seconds: float


def evaluate(
    seed: int,
    *,
    workers: int = 30,
    shifts: int = 3,
    settings: Settings | None = None,
) -> Evaluation:
    """Run the offline evaluation (see the module docstring)."""
    settings = settings or load_settings()
    config = SafetyConfig.from_settings(settings.of(SafetySettings))
    limits = settings.limits
    started = time.monotonic()
    shift_s = settings.safety_sim_shift_h * 3600.0
    sim = SiteSimulation.from_settings(
        settings,
        config,
        seed=seed,
        workers=workers,
        start_ts=SiteSimulation.default_start(time.time(), shift_s, shifts),
        shifts=shifts,
    )
    worker_engine = WorkerEngine(config, limits, lambda key: None)
    zone_engine = ZoneEngine(config, limits, lambda key: None)
    alerts: list[dict[str, Any]] = []
    counts = {"presence": 0, "commands": 0, "dead_letters": 0, "readings": 0}
    truth: list[dict[str, Any]] = []

    def collect(outputs: list[Output]) -> None:
        """Route engine output: presence to the zone engine (the repartition), count the rest."""
        for output in outputs:
            key, value = output.encode()
            if output.topic == PRESENCE:
                counts["presence"] += 1
                collect(
                    zone_engine.handle(value, RecordMeta("presence", PRESENCE, 0, OFFLINE, key))
                )
            elif output.topic == "alerts":
                alerts.append(orjson.loads(value))
            else:
                counts[output.topic] += 1

    now = sim.sim_ts
    while not sim.done:
        now += STEP_S
        batch = sim.advance(now)
        truth.extend(e.record() for e in batch.truth)
        for key, value in batch.readings:
            counts["readings"] += 1
            collect(
                worker_engine.handle(value, RecordMeta("wearables", "wearables", 0, OFFLINE, key))
            )
    truth.extend(e.record() for e in sim.advance(sim.end_ts + 3600.0).truth)
    worker_sizes = [len(s.to_bytes()) for s in worker_engine.cache.states()]
    zone_sizes = [len(s.to_bytes()) for s in zone_engine.cache.states()]
    return Evaluation(
        score=score_safety(truth, alerts, grace_s=3 * settings.safety_sim_interval_s),
        readings=counts["readings"],
        presence=counts["presence"],
        alerts=alerts,
        commands=counts["commands"],
        dead_letters=counts["dead_letters"],
        worker_state_bytes=max(worker_sizes, default=0),
        zone_state_bytes=max(zone_sizes, default=0),
        seconds=time.monotonic() - started,
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: print the evaluation as JSON; exit 1 if a kind misses 0.9 recall/precision."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.safety_evaluate", description=__doc__
    )
    parser.add_argument("--seed", type=int, required=True, help="simulator seed")
    parser.add_argument("--workers", type=int, default=30, help="workers on the site")
    parser.add_argument("--shifts", type=int, default=3, help="consecutive shifts (days)")
    args = parser.parse_args(argv)
    result = evaluate(args.seed, workers=args.workers, shifts=args.shifts)
    report = {
        "seed": args.seed,
        "workers": args.workers,
        "shifts": args.shifts,
        "readings": result.readings,
        "presence_records": result.presence,
        "commands": result.commands,
        "dead_letters": result.dead_letters,
        **result.score.details(),
        "false_alerts": result.score.false_alerts,
        "max_worker_state_bytes": result.worker_state_bytes,
        "max_zone_state_bytes": result.zone_state_bytes,
        "seconds": round(result.seconds, 1),
    }
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    ok = all(
        (s.recall or 0.0) >= 0.9 and (s.precision if s.precision is not None else 1.0) >= 0.9
        for s in result.score.kinds.values()
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
