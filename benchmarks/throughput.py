"""``make bench``: speed and memory of the maintenance path and the edge, measured, never asserted.

Four figures, each with the conditions it was measured under:

1. **engine**: the Faust-free :class:`~maintenance.engine.MaintenanceEngine` alone - events/s
   of one core over simulated readings of many assets, and the per-asset state size
   (mean and max bytes, and what 100k assets would hold).
2. **worker**: a real ``aiot worker`` process on the embedded broker - records/s from the first
   to the last consumed record of a pre-produced backlog (Kafka, Faust, engine, table writes and
   output sends included).
3. **simulator**: advancing and encoding 100k motors by one reading interval.
4. **edge motion**: one gateway core turning raw IMU blocks of many wearables (50 Hz, 1 s
   blocks, accelerometer and gyroscope) into motion features - the features alone
   (:class:`app.edge.motion.MotionTracker`) and the whole message path of the gateway
   (:meth:`app.edge.processor.EdgeProcessor.handle`: JSON, validation, pseudonym, features,
   records), as seconds of one core per second of data.

Run: ``python -m benchmarks.throughput [--assets N] [--readings K] [--worker-records N]
[--wearables N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import orjson
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

__all__ = ["bench_edge_motion", "bench_engine", "bench_simulator", "bench_worker", "main"]

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


def _imu_second(second: int, wearable: int, fs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One second of a wearable's wrist motion (g, deg/s): walking, and for one wearable in
    ten an impact every ten seconds (candidate falls: the expensive path)."""
    t = second + np.arange(fs) / fs + wearable * 1e-3
    phase = 2 * np.pi * 1.8 * t
    accel = np.empty((fs, 3))
    accel[:, 0] = -(1.0 + 0.3 * np.maximum(np.sin(phase), 0.0) ** 2)
    accel[:, 1] = 0.15 * np.sin(phase / 2)
    accel[:, 2] = 0.05
    if wearable % 10 == 0 and second % 10 == 3:
        accel[fs // 2] = [0.5, 0.8, 3.5]
    gyro = 60.0 * np.abs(np.sin(phase / 2)) + 5.0
    return t, accel, gyro


def bench_edge_motion(wearables: int, seconds: int, fs: int = 50) -> dict[str, float]:
    """Seconds of one core per second of data for ``wearables`` at ``fs`` Hz in 1 s blocks."""
    from app.edge.config import EdgeConfig
    from app.edge.motion import G, MotionTracker
    from app.edge.processor import EdgeProcessor
    from app.edge.topics import telemetry_topic

    start = time.time() - seconds - 60.0
    trackers = [MotionTracker() for _ in range(wearables)]
    features_s = 0.0
    windows = 0
    for second in range(seconds):
        for w, tracker in enumerate(trackers):
            t, accel, gyro = _imu_second(second, w, fs)
            t0 = time.perf_counter()
            windows += len(tracker.push(start + t, accel, start + t, gyro))
            features_s += time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(edge_data_dir=tmp)
        processor = EdgeProcessor(EdgeConfig.from_settings(settings, "bench"), b"bench-secret")
        topics = [telemetry_topic("bench", f"band-{w}") for w in range(wearables)]
        gateway_s = 0.0
        records = 0
        for second in range(seconds):
            for w in range(wearables):
                t, accel, gyro = _imu_second(second, w, fs)
                axes = np.radians(np.column_stack([gyro, np.zeros(fs), np.zeros(fs)]))
                payload = orjson.dumps(
                    {
                        "kind": "wearable",
                        "worker_id": f"worker-{w}",
                        "ts": start + float(t[0]),
                        "x_m": 10.0,
                        "y_m": 20.0,
                        "imu": {
                            "accel": np.round(accel * G, 3).tolist(),
                            "t": np.round(t - t[0], 4).tolist(),
                            "gyro": np.round(axes, 4).tolist(),
                        },
                    }
                )
                t0 = time.perf_counter()
                outcome = processor.handle(topics[w], payload)
                gateway_s += time.perf_counter() - t0
                records += len(outcome.outbound)
    return {
        "wearables": wearables,
        "seconds": seconds,
        "features_core_share": features_s / seconds,
        "gateway_core_share": gateway_s / seconds,
        "windows_per_s": windows / seconds,
        "records_per_s": records / seconds,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and print one line each."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__)
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--readings", type=int, default=100)
    parser.add_argument("--worker-records", type=int, default=100_000)
    parser.add_argument("--sim-motors", type=int, default=100_000)
    parser.add_argument("--wearables", type=int, default=1000)
    parser.add_argument("--wearable-seconds", type=int, default=20)
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
    edge = bench_edge_motion(args.wearables, args.wearable_seconds)
    print(
        f"edge motion: {edge['wearables']:.0f} wearables at 50 Hz in 1 s blocks "
        f"({edge['seconds']:.0f} s of data): features {edge['features_core_share']:.2f} s of one "
        f"core per second, whole gateway message path {edge['gateway_core_share']:.2f} s; "
        f"{edge['records_per_s']:,.0f} records/s forwarded"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
