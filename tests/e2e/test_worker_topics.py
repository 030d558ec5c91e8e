"""``aiot worker`` and its topics on a real broker: created at start, or one line and an exit.

The issue this guards against: a worker whose input topic was auto-created by the broker with
another partition count crash-looped its agent while /healthz said ok. Now it either starts on
topics that match its plan or stops before serving anything.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from agents.maintenance.settings import MaintenanceSettings
from app.embedded.broker import EmbeddedBroker
from app.embedded.worker_process import WorkerProcess
from app.kafka.topic_check import check_topics
from app.kafka.worker_topics import worker_plan
from app.settings import Settings
from tests.kafka_support import isolated

pytestmark = pytest.mark.e2e


def _exit_code_never_healthy(worker: WorkerProcess, timeout_s: float = 60.0) -> int:
    """Wait for the worker to exit, asserting /healthz never answered 200 meanwhile."""
    assert worker.proc is not None
    deadline = time.monotonic() + timeout_s
    while worker.proc.poll() is None:
        assert time.monotonic() < deadline, f"worker did not exit:\n{worker.log_tail()}"
        assert worker.get("/healthz")[0] != 200, "a worker on wrong topics looked healthy"
        time.sleep(0.2)
    return int(worker.proc.returncode)


def _log_lines(worker: WorkerProcess) -> list[str]:
    return [line for line in worker.log_path.read_text().splitlines() if line.strip()]


def test_a_worker_with_default_settings_on_a_bare_broker_creates_its_topics(tmp_path: Path):
    with EmbeddedBroker() as broker:
        with WorkerProcess(broker.url, tmp_path) as worker:
            worker.wait_ready(timeout_s=120)
            assert worker.get("/healthz")[0] == 200
        report = asyncio.run(check_topics(broker.bootstrap, Settings(broker_url=broker.url)))
    assert report.ok, report.lines()
    planned = len(worker_plan(Settings(broker_url=broker.url)))
    assert f"topics: {planned} topics match the plan, {planned} created" in (
        worker.log_path.read_text()
    )


def test_without_topic_creation_a_bare_broker_stops_the_worker_with_one_line(tmp_path: Path):
    with (
        EmbeddedBroker() as broker,
        WorkerProcess(broker.url, tmp_path, create_topics="false") as worker,
    ):
        code = _exit_code_never_healthy(worker)
    assert code == 2
    (line,) = _log_lines(worker)
    planned = len(worker_plan(Settings(broker_url=broker.url)))
    assert line.startswith(f"aiot worker: {planned} topic(s) missing")
    assert "aiot topics create" in line


def test_an_input_topic_with_the_wrong_partition_count_makes_the_worker_exit(
    kafka_url: str, tmp_path: Path
):
    settings, env = isolated(kafka_url)
    telemetry = settings.of(MaintenanceSettings).topic_telemetry

    async def auto_created_like_a_broker_would() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_url.split("://", 1)[1])
        await admin.start()
        try:
            await admin.create_topics([NewTopic(telemetry, settings.partitions * 2, 1)])
        finally:
            await admin.close()

    asyncio.run(auto_created_like_a_broker_would())
    with WorkerProcess(kafka_url, tmp_path, **env) as worker:
        code = _exit_code_never_healthy(worker)
    assert code == 2
    (line,) = _log_lines(worker)
    assert line.startswith(f"aiot worker: topic {telemetry} (maintenance input telemetry) has 8")
    assert "the plan has 4 (AIOT_PARTITIONS)" in line
