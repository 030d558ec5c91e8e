"""``make bench``: speed and memory of the maintenance path, measured, never asserted in tests.

Three figures, each with the conditions it was measured under:

1. **engine**: the Faust-free :class:`~maintenance.engine.MaintenanceEngine` alone - events/s
   of one core over simulated readings of many assets, and the per-asset state size
   (mean and max bytes, and what 100k assets would hold).
2. **worker**: a real ``aiot worker`` process on the embedded broker - records/s from the first
   to the last consumed record of a pre-produced backlog (Kafka, Faust, engine, table writes and
   output sends included).
3. **simulator**: advancing and encoding 100k motors by one reading interval.

Run: ``python -m benchmarks.throughput [--assets N] [--readings K] [--worker-records N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from aiokafka import AIOKafkaProducer

from agents.maintenance.config import MaintenanceConfig
from agents.maintenance.engine import MaintenanceEngine
from agents.maintenance.settings import MaintenanceSettings
from app.core import OFFLINE, RecordMeta, StreamLimits
from app.embedded.broker import EmbeddedBroker
from app.embedded.worker_process import WorkerProcess
from app.kafka.topics import ensure_topics
from app.settings import Settings
from app.simulator.motors import MotorFleet

__all__ = ["bench_engine", "bench_simulator", "bench_worker", "main"]

HOUR = 3600.0


def _telemetry(n_assets: int, readings: int, start_ts: float) -> list[tuple[bytes, bytes]]:
    fleet = MotorFleet(n_assets, seed=3, start_ts=start_ts, interval_s=600.0)
    batch = fleet.advance(start_ts + readings * 600.0)
    return list(batch.telemetry_messages())


def bench_engine(n_assets: int, readings: int) -> dict[str, float]:
    """Events/s of the engine on one core and per-asset state bytes."""
    start = time.time() - (readings + 10) * 600.0
    messages = _telemetry(n_assets, readings, start)
    engine = MaintenanceEngine(
        MaintenanceConfig.from_settings(MaintenanceSettings()), StreamLimits(), lambda _: None
    )
    meta = RecordMeta("telemetry", "telemetry", 0, OFFLINE, None)
    t0 = time.perf_counter()
    for _, value in messages:
        engine.handle(value, meta)
    elapsed = time.perf_counter() - t0
    sizes = [len(state) for _, _, state in engine.cache.take_dirty()]
    return {
        "events": len(messages),
        "events_per_s": len(messages) / elapsed,
        "us_per_event": elapsed / len(messages) * 1e6,
        "state_bytes_mean": statistics.fmean(sizes),
        "state_bytes_max": max(sizes),
        "state_mb_100k_assets": statistics.fmean(sizes) * 100_000 / 1e6,
    }


async def _produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=262144)
    await producer.start()
    try:
        for key, value in messages:
            await producer.send(topic, value=value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


def bench_worker(records: int, n_assets: int) -> dict[str, float]:
    """Records/s of a real worker draining a backlog on the embedded broker."""

    readings = max(records // n_assets, 1)
    start = time.time() - (readings + 10) * 600.0
    messages = _telemetry(n_assets, readings, start)
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(broker_url=broker.url, tansu_compat=True)
        asyncio.run(ensure_topics(broker.bootstrap, settings))
        asyncio.run(
            _produce(broker.bootstrap, settings.of(MaintenanceSettings).topic_telemetry, messages)
        )
        with WorkerProcess(broker.url, Path(tmp), tansu_compat="true") as worker:
            worker.wait_ready()
            t0 = time.perf_counter()
            done = 0.0
            while done < len(messages):
                done = worker.metric("aiot_events_in_total") or 0.0
                if time.perf_counter() - t0 > 600:
                    raise TimeoutError("worker did not drain the backlog in 10 minutes")
                time.sleep(0.2)
            elapsed = time.perf_counter() - t0
    return {"records": len(messages), "records_per_s": len(messages) / elapsed}


def bench_simulator(motors: int) -> dict[str, float]:
    """Seconds to advance and encode ``motors`` motors by one reading interval."""
    start = 1_700_000_000.0
    fleet = MotorFleet(motors, seed=1, start_ts=start, interval_s=600.0)
    fleet.advance(start + 600.0)
    t0 = time.perf_counter()
    batch = fleet.advance(start + 1200.0)
    advanced = time.perf_counter() - t0
    encoded = sum(1 for _ in batch.telemetry_messages())
    total = time.perf_counter() - t0
    return {"motors": motors, "readings": encoded, "advance_s": advanced, "advance_encode_s": total}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and print one line each."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__)
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--readings", type=int, default=100)
    parser.add_argument("--worker-records", type=int, default=100_000)
    parser.add_argument("--sim-motors", type=int, default=100_000)
    args = parser.parse_args(argv)
    engine = bench_engine(args.assets, args.readings)
    print(
        f"engine: {engine['events']:.0f} events of {args.assets} assets, "
        f"{engine['events_per_s']:,.0f} events/s ({engine['us_per_event']:.1f} us/event); "
        f"state {engine['state_bytes_mean']:.0f} B mean, {engine['state_bytes_max']:.0f} B max "
        f"-> {engine['state_mb_100k_assets']:.0f} MB for 100k assets"
    )
    worker = bench_worker(args.worker_records, args.assets)
    print(
        f"worker: {worker['records']:.0f} records drained at {worker['records_per_s']:,.0f} "
        "records/s (embedded broker, one worker, memory store)"
    )
    sim = bench_simulator(args.sim_motors)
    print(
        f"simulator: {sim['motors']:.0f} motors, one interval: advance {sim['advance_s']:.3f} s, "
        f"advance+encode {sim['advance_encode_s']:.3f} s ({sim['readings']:.0f} readings)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
