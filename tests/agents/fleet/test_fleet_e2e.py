"""End to end on the embedded broker: simulated trucks -> ``aiot worker`` -> fleet outputs.

The fleet part of ``make run`` (:class:`fleet.demo.FleetDemo`) drives a real worker process;
the summary must be computed from what the worker emitted, and bad fixes must reach the
dead-letter topic with their reason.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from agents.fleet.scoring import score_fleet
from agents.fleet.settings import FleetSettings
from app.demo.fleet import FleetDemo
from app.embedded.worker_process import WorkerProcess, metric_sum
from app.kafka.topics import ensure_topics
from app.settings import Settings
from tests.kafka_support import consume_all, isolated

pytestmark = pytest.mark.e2e

BAD_FIXES = (
    b'{"vehicle_id": "truck-x", "ts": 1.7e9, "lat": 95.0, "lon": 7.6, "speed_kmh": 3,'
    b' "heading_deg": 0, "ignition": true}',
    b'{"vehicle_id": "truck x", "ts": 1.7e9, "lat": 45.0, "lon": 7.6, "speed_kmh": 3,'
    b' "heading_deg": 0, "ignition": true}',
    b"not json",
)


async def _run_demo(
    demo: FleetDemo, bootstrap: str, settings: Settings, worker: WorkerProcess, sim_s: float
) -> None:
    stop_sim = asyncio.Event()
    stop_collect = asyncio.Event()
    collector = asyncio.create_task(demo.collect(bootstrap, stop_collect))
    await demo.simulate(bootstrap, stop_sim, sim_s)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for raw in BAD_FIXES:
            await producer.send_and_wait(
                settings.of(FleetSettings).topic_fleet_telemetry, raw, b"truck-x"
            )
    finally:
        await producer.stop()
    sent = sum(
        demo.report.sent[t]
        for t in (
            settings.of(FleetSettings).topic_fleet_telemetry,
            settings.of(FleetSettings).topic_fleet_verdicts,
        )
    ) + len(BAD_FIXES)
    deadline = time.monotonic() + 60.0
    stable = 0
    while time.monotonic() < deadline and stable < 3:
        await asyncio.sleep(1.0)
        status, text = await asyncio.to_thread(worker.get, "/metrics")
        fleet_in = metric_sum(
            "\n".join(
                line
                for line in text.splitlines()
                if settings.of(FleetSettings).topic_fleet_telemetry in line
                or settings.of(FleetSettings).topic_fleet_verdicts in line
            ),
            "aiot_events_in_total",
        )
        idle = metric_sum(text, "aiot_consumer_lag") == 0
        stable = stable + 1 if status == 200 and idle and fleet_in >= sent else 0
    await asyncio.sleep(2.0)
    stop_collect.set()
    await collector


def test_fleet_demo_scores_what_the_worker_emitted(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings, env = isolated(
        kafka_url, "aiot-fleet", fleet_sim_vehicles=8, fleet_sim_days=10, fleet_sim_seed=5
    )
    asyncio.run(ensure_topics(kafka_bootstrap, settings))
    demo = FleetDemo(settings)
    with WorkerProcess(kafka_url, tmp_path, **env) as worker:
        worker.wait_ready()
        asyncio.run(_run_demo(demo, kafka_bootstrap, settings, worker, 20.0))
        status, metrics = worker.get("/metrics")
    with WorkerProcess(kafka_url, tmp_path / "restart", **env) as restarted:
        restarted.wait_ready()
        restarted.wait_log("fleet restored: ")
        restored = restarted.log_tail(200_000)
    summary = demo.summary()
    assert set(summary) == {
        "episodes",
        "classified_correctly",
        "macro_f1",
        "false_unauthorized",
        "vehicle_days",
    }
    assert demo.report.days_done == 10 and summary["vehicle_days"] > 20
    assert demo.episodes, "the worker published no fleet episode"
    assert all(e["reasons"] and 0.0 <= e["confidence"] <= 1.0 for e in demo.episodes)
    truth = [g for g in demo.ground_truth if g["kind"] == "fleet_episode"]
    assert len(truth) >= 5
    assert summary["classified_correctly"] >= 0.6 * summary["episodes"]
    raised = [a for a in demo.alerts if a["state"] == "raised"]
    assert any(a["alert_type"] == "unauthorized_use" for a in raised)
    assert all(a["evidence"]["reasons"] for a in raised if a["alert_type"] == "unauthorized_use")
    assert any(c["action"] == "notify" and c["source"] == "fleet" for c in demo.commands)

    out = asyncio.run(
        consume_all(
            kafka_bootstrap,
            [
                settings.topic_dead_letters,
                settings.of(FleetSettings).topic_fleet_geofence_events,
                settings.of(FleetSettings).topic_fleet_episodes,
                settings.topic_alerts,
                settings.topic_ground_truth,
            ],
        )
    )
    # The summary is the score of what the worker really published, read back independently.
    rescored = score_fleet(
        [g for g in out[settings.topic_ground_truth] if g["domain"] == "fleet"],
        out[settings.of(FleetSettings).topic_fleet_episodes],
        [a for a in out[settings.topic_alerts] if a["domain"] == "fleet"],
        vehicle_days=demo.report.vehicle_days,
    )
    assert rescored.to_dict() == summary
    letters = [
        d
        for d in out[settings.topic_dead_letters]
        if d["source_topic"] == settings.of(FleetSettings).topic_fleet_telemetry
    ]
    assert {d["reason"] for d in letters} == {"out_of_range", "bad_id", "malformed_json"}
    assert {e["event"] for e in out[settings.of(FleetSettings).topic_fleet_geofence_events]} >= {
        "entered",
        "left",
    }
    assert status == 200
    assert metric_sum(metrics, "aiot_fleet_episodes_total") > 0
    assert metric_sum(metrics, "aiot_fleet_geofence_events_total") > 0
    line = next(x for x in restored.splitlines() if "fleet restored: " in x)
    found = re.search(r"\+sgd(\d+)", line)
    assert found, line
    learned = int(found.group(1))
    assert learned > 0, line  # the classifier taught by verdicts came back from its topic
