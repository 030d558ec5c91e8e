"""The edge's reconnect loops back off and log once per state change, not once per attempt."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from app.core.metrics import Metrics
from app.edge.config import EdgeConfig
from app.edge.control import consume_commands
from app.edge.forwarder import Forwarder
from app.edge.link import Link
from app.edge.spool import Spool
from app.embedded.broker import free_port
from app.settings import Settings

LOG = logging.getLogger("tests.edge.link")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_link_logs_down_once_and_up_once_with_the_outage(caplog):
    clock = FakeClock()
    link = Link(LOG, "kafka", first_wait_s=0.5, max_wait_s=4.0, clock=clock)
    with caplog.at_level(logging.INFO, logger=LOG.name):
        link.up()
        waits = [link.down("connection refused") for _ in range(6)]
        clock.now += 42
        link.up()
        link.up()
    messages = [record.getMessage() for record in caplog.records]
    assert waits == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert messages == [
        "kafka up",
        "kafka down (connection refused); retrying quietly, at most every 4 s",
        "kafka up again after 42 s (6 failed attempts)",
    ]
    assert link.down("again") == 0.5, "backoff starts over after the link was up"


def _run_for(seconds: float, coroutine_factory) -> None:
    async def go() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(coroutine_factory(stop))
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.wait_for(task, 20)

    asyncio.run(go())


def _edge_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("app.edge", "aiokafka"))]


def test_the_forwarder_logs_one_line_while_kafka_stays_down(tmp_path: Path, caplog):
    bootstrap = f"127.0.0.1:{free_port()}"
    settings = Settings(edge_data_dir=str(tmp_path))
    config = EdgeConfig.from_settings(settings, site="s1")
    spool = Spool(tmp_path / "spool", 1 << 20)
    spool.append("t", b"k", b"{}")
    forwarder = Forwarder(spool, config, settings, bootstrap, Metrics())
    with caplog.at_level(logging.INFO):
        _run_for(4.0, forwarder.run)
    records = _edge_records(caplog)
    assert [r.levelname for r in records] == ["WARNING"], [r.getMessage() for r in records]
    assert "connection refused; buffering" in records[0].getMessage()
    assert forwarder.link.attempts >= 3, "it kept trying meanwhile"
    spool.close()


def test_the_commands_consumer_logs_one_line_while_kafka_stays_down(caplog):
    bootstrap = f"127.0.0.1:{free_port()}"

    async def ignore(value: bytes) -> None:
        return None

    def loop(stop: asyncio.Event):
        return consume_commands(
            Settings(), bootstrap, "aiot.commands.v1", "g", ignore, stop, max_age_s=60
        )

    with caplog.at_level(logging.INFO):
        _run_for(7.0, loop)
    records = [r for r in _edge_records(caplog) if r.levelno >= logging.WARNING]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert "commands consumer of aiot.commands.v1 down (connection refused" in (
        records[0].getMessage()
    )
