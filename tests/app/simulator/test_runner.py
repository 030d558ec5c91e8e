"""End to end: the simulator produces to the embedded broker and the messages read back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from agents.maintenance.settings import MaintenanceSettings
from app.embedded.broker import EmbeddedBroker
from app.settings import Settings
from app.simulator.runner import SimProgress, SimReport, default_start_ts, run_simulation
from app.simulator.wire import SENSOR_FIELDS

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as running:
        yield running


async def _consume(bootstrap: str, topic: str, expected: int, timeout_s: float) -> list:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    records = []
    try:
        deadline = time.monotonic() + timeout_s
        while len(records) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for messages in batches.values():
                records.extend(messages)
    finally:
        await consumer.stop()
    return records


def test_simulation_streams_decodable_telemetry_in_the_past(broker: EmbeddedBroker) -> None:
    settings = Settings(
        broker_url=broker.url,
        partitions=2,
        sim_motors=20,
        sim_speedup=5 * 86400.0,
        topic_ground_truth="sim-test.groundtruth",
    ).replace(topic_telemetry="sim-test.telemetry", topic_maintenance="sim-test.maintenance")
    progress: list[SimProgress] = []
    started_wall = time.time()
    report: SimReport = asyncio.run(
        run_simulation(
            broker.bootstrap,
            settings,
            duration_s=3.0,
            bad_fraction=0.01,
            on_progress=progress.append,
        )
    )
    sent = report.sent[settings.of(MaintenanceSettings).topic_telemetry]
    assert sent > 1000
    assert progress and progress[-1].sent == report.sent
    assert report.start_ts == default_start_ts(started_wall)
    assert report.end_ts > report.start_ts + 86400.0
    assert any(e.is_failure for e in report.episodes)

    messages = asyncio.run(
        _consume(broker.bootstrap, settings.of(MaintenanceSettings).topic_telemetry, sent, 20.0)
    )
    assert len(messages) == sent
    in_span = future = 0
    for message in messages:
        try:
            record = orjson.loads(message.value)
        except orjson.JSONDecodeError:
            continue
        if set(record) == {"v", "asset_id", "asset_class", "ts", *SENSOR_FIELDS}:
            assert message.key == record["asset_id"].encode()
            if record["ts"] > time.time():
                future += 1
            else:
                assert report.start_ts <= record["ts"] <= report.end_ts
                in_span += 1
    assert future == report.bad_by_kind["future_ts"]
    assert in_span >= sent - sum(report.bad_by_kind.values())
    assert sum(report.bad_by_kind.values()) > 0
    truth = asyncio.run(
        _consume(
            broker.bootstrap,
            settings.topic_ground_truth,
            report.sent[settings.topic_ground_truth],
            20.0,
        )
    )
    assert len(truth) == report.sent[settings.topic_ground_truth] > 0
