"""Offline evaluation of the fleet domain on simulated days: ``-m benchmarks.fleet_evaluate``.

Simulates ``--vehicles`` trucks for ``--days`` days from ``--seed``, runs the fleet engines
over them exactly as the agents would (no Kafka, no Faust) and prints the scores as JSON:
macro-F1 over normal / traffic_detour / unauthorized, false unauthorized alerts per
vehicle-month (counted over the days after the learning period), the confusion matrix and
per-subtype recall, and the encoded size of the vehicles' states at the end.
``--no-verdicts`` turns off learning from dispatcher verdicts.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

import orjson

from agents.fleet.config import FleetConfig
from agents.fleet.scoring import FleetScore, score_fleet
from app.simulator.fleet.sim import FleetSimulation
from benchmarks.fleet_offline import OfflineFleet

__all__ = ["evaluate", "main"]


def evaluate(
    seed: int,
    days: int,
    vehicles: int = 20,
    verdicts: bool = True,
    config: FleetConfig | None = None,
) -> tuple[FleetScore, dict[str, Any]]:
    """Simulate and score; return the score and run facts (fixes, seconds, rates)."""
    cfg = config or FleetConfig()
    started = time.perf_counter()
    sim = FleetSimulation(vehicles=vehicles, seed=seed)
    fleet = OfflineFleet(cfg, learn_from_verdicts=verdicts)
    fleet.load_geofences(sim.geofences())
    truth: list[dict[str, Any]] = []
    for day in sim.days(days):
        truth.extend(g.to_dict() for g in day.ground_truth)
        fleet.run_day(day)
    vehicle_days = float(sim.evaluated_vehicle_days(days))
    state_sizes = [len(state.to_bytes()) for state in fleet.engine.cache.states()]
    score = score_fleet(truth, fleet.episodes, fleet.alerts, vehicle_days=vehicle_days)
    facts = {
        "seed": seed,
        "days": days,
        "vehicles": vehicles,
        "learn_from_verdicts": verdicts,
        "fixes": fleet.fixes,
        "engine_fixes_per_s": round(fleet.fixes / max(fleet.busy_s, 1e-9)),
        "wall_s": round(time.perf_counter() - started, 2),
        "verdicts_learned": sum(fleet.engine.stats.learned.values()),
        "commands": len(fleet.commands),
        "geofence_events": fleet.geofence_events,
        "vehicle_state_bytes_mean": round(sum(state_sizes) / max(len(state_sizes), 1)),
        "vehicle_state_bytes_max": max(state_sizes, default=0),
    }
    return score, facts


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; prints one JSON object."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.fleet_evaluate", description=__doc__
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--vehicles", type=int, default=20)
    parser.add_argument("--no-verdicts", action="store_true", help="do not learn from verdicts")
    args = parser.parse_args(argv)
    score, facts = evaluate(args.seed, args.days, args.vehicles, not args.no_verdicts)
    sys.stdout.write(orjson.dumps({**facts, **score.details()}).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
