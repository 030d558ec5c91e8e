"""Pace the simulated fleet into Kafka: geofences first, then fixes, ground truth and verdicts.

The simulated span (``days`` days ending a day before now, so no fix is stamped in the future)
is compressed into ``duration_s`` real seconds: every ~100 ms the simulated clock advances in
proportion and everything due is produced - fixes to the fleet telemetry topic, ground-truth
episodes to the shared ground-truth topic (at their start) and dispatcher verdicts to the
verdicts topic when the dispatcher gives them.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer

from agents.fleet.settings import FleetSettings
from app.kafka.clients import client_options
from app.kafka.topics import ensure_topics
from app.settings import Settings
from app.simulator.fleet.days import DAY
from app.simulator.fleet.sim import FleetSimulation
from app.simulator.runner import pause

__all__ = ["FleetRunReport", "fleet_topics", "run_fleet_simulation"]

STEP_S = 0.1
DEFAULT_DURATION_S = 100.0


@dataclass
class FleetRunReport:
    """What a fleet simulation run produced."""

    start_ts: float
    days_done: int = 0
    vehicle_days: float = 0.0
    sent: dict[str, int] = field(default_factory=dict)


def fleet_topics(settings: Settings) -> list[str]:
    """The topics the fleet simulation writes."""
    return [
        settings.of(FleetSettings).topic_fleet_telemetry,
        settings.of(FleetSettings).topic_fleet_verdicts,
        settings.of(FleetSettings).topic_fleet_geofences,
        settings.topic_ground_truth,
    ]


async def run_fleet_simulation(
    bootstrap: str,
    settings: Settings,
    *,
    vehicles: int,
    days: int,
    seed: int,
    duration_s: float | None,
    stop: asyncio.Event,
    report: FleetRunReport | None = None,
) -> FleetRunReport:
    """Simulate ``vehicles`` trucks for ``days`` days into Kafka within ``duration_s`` seconds.

    ``report`` (optional) is filled in as the run goes, so a caller can read progress.
    """
    now = time.time()
    start = (now - (days + 1) * DAY) // DAY * DAY
    out = report if report is not None else FleetRunReport(start_ts=start)
    out.start_ts = start
    sim = FleetSimulation(vehicles=vehicles, seed=seed, start_ts=start)
    await ensure_topics(bootstrap, settings, fleet_topics(settings))
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="aiot-fleet-simulator",
        linger_ms=20,
        acks=1,
        **client_options(settings),
    )
    await producer.start()
    sent = out.sent
    s = settings
    fleet = s.of(FleetSettings)
    for name in (
        fleet.topic_fleet_telemetry,
        fleet.topic_fleet_verdicts,
        s.topic_ground_truth,
    ):
        sent.setdefault(name, 0)
    try:
        futures = [
            await producer.send(fleet.topic_fleet_geofences, g.to_json(), g.geofence_id.encode())
            for g in sim.geofences()
        ]
        await asyncio.gather(*futures)
        sent[fleet.topic_fleet_geofences] = len(futures)
        budget = DEFAULT_DURATION_S if duration_s is None else max(duration_s * 0.85, 1.0)
        rate = days * DAY / budget
        real0 = time.monotonic()
        queue: list[tuple[float, int, str, bytes, bytes]] = []
        seq = 0
        for _ in range(days):
            if stop.is_set():
                break
            day = sim.next_day()
            day_end = start + (day.day + 1) * DAY
            for fix in day.fixes:
                seq += 1
                queue.append(
                    (
                        fix.ts,
                        seq,
                        fleet.topic_fleet_telemetry,
                        fix.vehicle_id.encode(),
                        fix.to_json(),
                    )
                )
            for truth in day.ground_truth:
                seq += 1
                queue.append(
                    (truth.ts, seq, s.topic_ground_truth, truth.asset_id.encode(), truth.to_json())
                )
            for verdict in day.verdicts:
                seq += 1
                queue.append(
                    (
                        verdict.ts,
                        seq,
                        fleet.topic_fleet_verdicts,
                        verdict.vehicle_id.encode(),
                        verdict.to_json(),
                    )
                )
            heapq.heapify(queue)
            while queue and queue[0][0] <= day_end and not stop.is_set():
                sim_now = start + rate * (time.monotonic() - real0)
                batch = []
                while queue and queue[0][0] <= min(sim_now, day_end):
                    batch.append(heapq.heappop(queue))
                futures = []
                for _, _, topic, key, value in batch:
                    futures.append(await producer.send(topic, value, key))
                    sent[topic] += 1
                if futures:
                    await asyncio.gather(*futures)
                await pause(stop, STEP_S)
            out.days_done = day.day + 1
            out.vehicle_days = float(sim.evaluated_vehicle_days(out.days_done))
    finally:
        await producer.stop()
    return out
