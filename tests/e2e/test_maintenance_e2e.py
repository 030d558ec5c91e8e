"""End to end on a real broker: simulator -> worker process -> output topics, and a restart.

Each test uses its own topic names and application id, so tests sharing the session broker do
not see each other's records.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from app.settings import Settings
from app.topics import ensure_topics
from app.worker_process import WorkerProcess, metric_sum
from simulator.runner import run_simulation

pytestmark = pytest.mark.e2e

TOPIC_FIELDS = (
    "topic_telemetry",
    "topic_maintenance",
    "topic_predictions",
    "topic_alerts",
    "topic_dead_letters",
    "topic_models",
    "topic_ground_truth",
)


def isolated(kafka_url: str, **changes: Any) -> tuple[Settings, dict[str, str]]:
    """Settings with unique topic names and app id, and the same as worker env overrides."""
    tag = uuid.uuid4().hex[:8]
    base = Settings(broker_url=kafka_url, partitions=4)
    values: dict[str, Any] = {f: f"{getattr(base, f)}.{tag}" for f in TOPIC_FIELDS}
    values["app_id"] = f"aiot-e2e-{tag}"
    values["tansu_compat"] = not os.environ.get("AIOT_TEST_BROKER_URL")
    values.update(changes)
    settings = dataclasses.replace(base, **values)
    env = {k: str(v) for k, v in values.items()}
    env["partitions"] = str(settings.partitions)
    return settings, env


async def consume_all(bootstrap: str, topics: list[str], idle_s: float = 3.0) -> dict[str, list]:
    """Read every record of ``topics`` until none arrives for ``idle_s``."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    out: dict[str, list] = {t: [] for t in topics}
    try:
        last = time.monotonic()
        while time.monotonic() - last < idle_s:
            batch = await consumer.getmany(timeout_ms=300)
            for tp, records in batch.items():
                out[tp.topic].extend(orjson.loads(r.value) for r in records)
                last = time.monotonic()
    finally:
        await consumer.stop()
    return out


def wait_drained(worker: WorkerProcess, timeout_s: float = 60.0, consumed: int = 0) -> None:
    """Wait until the worker reports zero lag twice in a row and has consumed ``consumed``
    records (Tansu under-reports the high watermark by part of the last batch, so zero lag
    alone can come a little early)."""
    deadline = time.monotonic() + timeout_s
    zero = 0
    while time.monotonic() < deadline:
        status, text = worker.get("/metrics")
        seen = "aiot_consumer_lag{" in text
        done = metric_sum(text, "aiot_events_in_total") >= consumed
        idle = seen and metric_sum(text, "aiot_consumer_lag") == 0
        zero = zero + 1 if status == 200 and idle and done else 0
        if zero >= 2:
            return
        time.sleep(1.0)
    raise TimeoutError(f"worker did not drain:\n{worker.log_tail()}")


def test_simulated_failures_are_predicted_and_bad_input_is_dead_lettered(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings, env = isolated(
        kafka_url, sim_motors=30, sim_speedup=30000.0, sim_mtbf_days=3.0, sim_seed=11
    )
    asyncio.run(ensure_topics(kafka_bootstrap, settings))
    with WorkerProcess(kafka_url, tmp_path, **env) as worker:
        worker.wait_ready()
        report = asyncio.run(
            run_simulation(kafka_bootstrap, settings, duration_s=18.0, bad_fraction=0.003)
        )
        sent = report.sent[settings.topic_telemetry] + report.sent[settings.topic_maintenance]
        wait_drained(worker, consumed=sent)
        status, metrics = worker.get("/metrics")
        health = worker.get("/healthz")[0]
    out = asyncio.run(
        consume_all(
            kafka_bootstrap,
            [settings.topic_alerts, settings.topic_dead_letters, settings.topic_predictions],
        )
    )
    failures = [e for e in report.episodes if e.is_failure and e.failure_ts <= report.end_ts]
    assert len(failures) >= 2, "the simulated span must contain failures"
    raised = [a for a in out[settings.topic_alerts] if a["state"] == "raised"]
    predicted = [
        f
        for f in failures
        if any(
            a["asset_id"] == f.asset_id and f.failure_ts - 72 * 3600 <= a["first_ts"] < f.failure_ts
            for a in raised
        )
    ]
    assert len(predicted) >= 0.5 * len(failures), (len(predicted), len(failures))
    assert all(a["evidence"]["top_features"] for a in raised)

    letters = out[settings.topic_dead_letters]
    reasons = {d["reason"] for d in letters}
    expected = {
        "malformed_json",
        "missing_field",
        "wrong_type",
        "not_finite",
        "out_of_range",
        "timestamp_in_future",
        "bad_id",
    }
    assert len(letters) == sum(report.bad_by_kind.values())
    assert expected <= reasons
    assert all(d["detail"] and d["original_b64"] for d in letters)

    predictions = out[settings.topic_predictions]
    assert predictions and all(0 <= p["failure_probability"] <= 1 for p in predictions)
    assert status == 200 and health == 200
    for name in (
        "aiot_events_in_total",
        "aiot_dead_letters_total",
        "aiot_processing_latency_seconds_bucket",
        "aiot_alerts_total",
        "aiot_worker_ready 1.0",
    ):
        assert name in metrics, name


def _reading(asset: str, ts: float, i: int) -> bytes:
    return orjson.dumps(
        {
            "v": 1,
            "asset_id": asset,
            "asset_class": "motor-e2e",
            "ts": ts,
            "vibration_rms": 2.0 + 0.01 * (i % 7),
            "kurtosis": 3.0 + 0.01 * (i % 5),
            "crest_factor": 3.1 + 0.01 * (i % 3),
            "dominant_freq_hz": 24.6,
            "bearing_temp_c": 50.0 + 0.1 * (i % 4),
            "ambient_temp_c": 22.0,
            "load_pct": 70.0,
            "speed_rpm": 1475.0,
        }
    )


async def _produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for key, value in messages:
            await producer.send(topic, value=value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


def test_killed_worker_resumes_with_asset_state_without_cold_start(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings, env = isolated(kafka_url, store="rocksdb://")
    asyncio.run(ensure_topics(kafka_bootstrap, settings))
    assets = [f"motor-r{i}" for i in range(4)]
    start = time.time() - 10 * 86400
    step = 600.0

    def batch(first: int, count: int) -> list[tuple[bytes, bytes]]:
        return [
            (a.encode(), _reading(a, start + i * step, i))
            for i in range(first, first + count)
            for a in assets
        ]

    worker = WorkerProcess(kafka_url, tmp_path, **env)
    worker.start()
    try:
        worker.wait_ready()
        asyncio.run(_produce(kafka_bootstrap, settings.topic_telemetry, batch(0, 100)))
        failure = {
            "v": 1,
            "event_id": "f-1",
            "asset_id": assets[0],
            "asset_class": "motor-e2e",
            "ts": start + 100 * step,
            "kind": "failure",
        }
        asyncio.run(
            _produce(
                kafka_bootstrap,
                settings.topic_maintenance,
                [(assets[0].encode(), orjson.dumps(failure))],
            )
        )
        wait_drained(worker)
        time.sleep(6.0)  # one state-flush interval: every dirty asset reaches the table
        worker.stop(kill=True)
        worker.start()
        worker.wait_ready()
        # Fewer readings than the baseline warm-up: a cold asset would stay silent.
        asyncio.run(_produce(kafka_bootstrap, settings.topic_telemetry, batch(101, 7)))
        wait_drained(worker)
    finally:
        worker.stop()
    assert "restored 1 model records for classes ['motor-e2e']" in worker.log_tail(200_000)
    out = asyncio.run(consume_all(kafka_bootstrap, [settings.topic_predictions]))
    after = [p for p in out[settings.topic_predictions] if p["ts"] >= start + 101 * step]
    assert {p["asset_id"] for p in after} == set(assets), worker.log_tail()


def test_two_workers_share_the_partitions_and_process_every_asset(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings, env = isolated(kafka_url)
    asyncio.run(ensure_topics(kafka_bootstrap, settings))
    assets = [f"motor-w{i}" for i in range(12)]
    start = time.time() - 10 * 86400
    messages = [(a.encode(), _reading(a, start + i * 600.0, i)) for i in range(60) for a in assets]
    with (
        WorkerProcess(kafka_url, tmp_path / "w1", **env) as first,
        WorkerProcess(kafka_url, tmp_path / "w2", **env) as second,
    ):
        first.wait_ready()
        second.wait_ready()
        asyncio.run(_produce(kafka_bootstrap, settings.topic_telemetry, messages))
        wait_drained(first)
        wait_drained(second)
        consumed = [w.metric("aiot_events_in_total") for w in (first, second)]
    out = asyncio.run(consume_all(kafka_bootstrap, [settings.topic_predictions]))
    assert {p["asset_id"] for p in out[settings.topic_predictions]} == set(assets)
    assert all(n for n in consumed), consumed
    assert sum(n or 0 for n in consumed) == len(messages)
