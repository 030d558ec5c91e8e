"""End to end: SafetyDemo's simulated shift -> Kafka -> ``aiot worker`` (both safety agents and
the zone repartition) -> alerts, commands, dead letters; the summary is what the worker emitted.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import orjson
import pytest

from agents.safety.scoring import score_safety
from app.demo.safety import SafetyDemo
from app.embedded.worker_process import WorkerProcess, metric_sum
from app.kafka.topics import ensure_topics
from tests.kafka_support import consume_all, isolated

pytestmark = pytest.mark.e2e


async def run_demo(demo: SafetyDemo, bootstrap: str, worker: WorkerProcess, seconds: float) -> None:
    """Simulate for ``seconds``, wait until the worker drained, then stop collecting."""
    stop = asyncio.Event()
    done = asyncio.Event()
    collector = asyncio.create_task(demo.collect(bootstrap, done))
    await demo.simulate(bootstrap, stop, seconds)
    deadline = time.monotonic() + 60.0
    quiet = 0
    while time.monotonic() < deadline and quiet < 3:
        await asyncio.sleep(1.0)
        status, text = await asyncio.to_thread(worker.get, "/metrics")
        consumed = metric_sum(text, "aiot_events_in_total")
        lag = metric_sum(text, "aiot_consumer_lag")
        quiet = (
            quiet + 1 if status == 200 and lag == 0 and consumed >= demo.readings + demo.bad else 0
        )
    await asyncio.sleep(2.0)
    done.set()
    await collector


def test_demo_summary_counts_what_the_worker_emitted(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings, env = isolated(
        kafka_url, safety_sim_workers=16, safety_sim_shift_h=3.0, safety_sim_seed=11
    )
    asyncio.run(ensure_topics(kafka_bootstrap, settings))
    demo = SafetyDemo(settings)
    with WorkerProcess(kafka_url, tmp_path, **env) as worker:
        worker.wait_ready(90.0)
        asyncio.run(run_demo(demo, kafka_bootstrap, worker, 25.0))
    out = asyncio.run(
        consume_all(
            kafka_bootstrap,
            [
                settings.topic_alerts,
                settings.topic_ground_truth,
                settings.topic_dead_letters,
                settings.topic_commands,
            ],
        )
    )
    summary = demo.summary()
    assert set(summary) == {
        "fatigue_episodes",
        "fatigue_detected",
        "man_down",
        "man_down_detected",
        "clusters",
        "clusters_detected",
        "false_alerts",
        "median_alert_latency_s",
    }
    truth = [g for g in out[settings.topic_ground_truth] if g["domain"] == "safety"]
    alerts = [a for a in out[settings.topic_alerts] if a["domain"] == "safety"]
    recount = score_safety(truth, alerts, grace_s=30.0).summary()
    for key in ("man_down", "man_down_detected", "clusters", "clusters_detected", "false_alerts"):
        assert summary[key] == recount[key], key
    assert summary["man_down"] >= 1 and summary["clusters"] >= 1
    assert summary["man_down_detected"] >= 1 and summary["clusters_detected"] >= 1
    assert summary["median_alert_latency_s"] is not None
    commands = [c for c in out[settings.topic_commands] if c["source"] == "safety"]
    assert {c["action"] for c in commands} >= {"alarm", "notify"}
    letters = out[settings.topic_dead_letters]
    assert len(letters) == demo.bad and demo.bad >= 1
    assert all(b"Jane.Doe" not in orjson.dumps(d) for d in letters)
    assert all(b"heart_rate_bpm" not in orjson.dumps(a) for a in alerts + commands)
