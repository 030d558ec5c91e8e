"""End to end on a real broker: simulator -> worker process -> output topics, and a restart.

Each test uses its own topic names and application id, so tests sharing the session broker do
not see each other's records.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import orjson
import pytest

from agents.maintenance.settings import MaintenanceSettings
from app.embedded.worker_process import WorkerProcess
from app.kafka.topics import ensure_topics
from app.simulator.runner import run_simulation
from tests.e2e.motors import produce, reading
from tests.kafka_support import consume_all, isolated, wait_drained

pytestmark = pytest.mark.e2e


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
        sent = (
            report.sent[settings.of(MaintenanceSettings).topic_telemetry]
            + report.sent[settings.of(MaintenanceSettings).topic_maintenance]
        )
        wait_drained(worker, consumed=sent)
        status, metrics = worker.get("/metrics")
        health = worker.get("/healthz")[0]
    out = asyncio.run(
        consume_all(
            kafka_bootstrap,
            [
                settings.topic_alerts,
                settings.topic_dead_letters,
                settings.of(MaintenanceSettings).topic_predictions,
            ],
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

    predictions = out[settings.of(MaintenanceSettings).topic_predictions]
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
            (a.encode(), reading(a, start + i * step, i))
            for i in range(first, first + count)
            for a in assets
        ]

    worker = WorkerProcess(kafka_url, tmp_path, **env)
    worker.start()
    try:
        worker.wait_ready()
        asyncio.run(
            produce(
                kafka_bootstrap, settings.of(MaintenanceSettings).topic_telemetry, batch(0, 100)
            )
        )
        failure = {
            "v": 1,
            "event_id": "f-1",
            "asset_id": assets[0],
            "asset_class": "motor-e2e",
            "ts": start + 100 * step,
            "kind": "failure",
        }
        asyncio.run(
            produce(
                kafka_bootstrap,
                settings.of(MaintenanceSettings).topic_maintenance,
                [(assets[0].encode(), orjson.dumps(failure))],
            )
        )
        wait_drained(worker)
        # Asset states are written before their offsets are committed; the class model learned
        # from the failure is published by the timer, so give it one interval.
        time.sleep(6.0)
        worker.stop(kill=True)
        worker.start()
        worker.wait_ready()
        # Fewer readings than the baseline warm-up: a cold asset would stay silent.
        asyncio.run(
            produce(
                kafka_bootstrap, settings.of(MaintenanceSettings).topic_telemetry, batch(101, 7)
            )
        )
        wait_drained(worker)
    finally:
        worker.stop()
    assert "maintenance restored: models of classes ['motor-e2e']" in worker.log_tail(200_000)
    out = asyncio.run(
        consume_all(kafka_bootstrap, [settings.of(MaintenanceSettings).topic_predictions])
    )
    after = [
        p
        for p in out[settings.of(MaintenanceSettings).topic_predictions]
        if p["ts"] >= start + 101 * step
    ]
    assert {p["asset_id"] for p in after} == set(assets), worker.log_tail()


def test_two_workers_share_the_partitions_and_process_every_asset(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings, env = isolated(kafka_url)
    asyncio.run(ensure_topics(kafka_bootstrap, settings))
    assets = [f"motor-w{i}" for i in range(12)]
    start = time.time() - 10 * 86400
    messages = [(a.encode(), reading(a, start + i * 600.0, i)) for i in range(60) for a in assets]
    with (
        WorkerProcess(kafka_url, tmp_path / "w1", **env) as first,
        WorkerProcess(kafka_url, tmp_path / "w2", **env) as second,
    ):
        first.wait_ready()
        second.wait_ready()
        asyncio.run(
            produce(kafka_bootstrap, settings.of(MaintenanceSettings).topic_telemetry, messages)
        )
        wait_drained(first)
        wait_drained(second)
        consumed = [w.metric("aiot_events_in_total") for w in (first, second)]
    out = asyncio.run(
        consume_all(kafka_bootstrap, [settings.of(MaintenanceSettings).topic_predictions])
    )
    assert {p["asset_id"] for p in out[settings.of(MaintenanceSettings).topic_predictions]} == set(
        assets
    )
    assert all(n for n in consumed), consumed
    assert sum(n or 0 for n in consumed) == len(messages)
