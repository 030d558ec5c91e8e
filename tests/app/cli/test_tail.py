"""``aiot tail`` against a real broker: records printed readably, bounded by --max."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from app.cli.tail import tail


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, partition=0)
    finally:
        await producer.stop()


@pytest.mark.e2e
def test_tail_prints_alerts_readably_and_stops_at_max(kafka_bootstrap, capsys):
    topic = f"tail-{uuid.uuid4().hex[:8]}"
    alerts = [
        orjson.dumps({"alert_id": str(i), "state": "raised", "ts": 0, "message": f"alert {i}"})
        for i in range(3)
    ]
    asyncio.run(_produce(kafka_bootstrap, topic, [*alerts, b"not json"]))
    printed = asyncio.run(tail(kafka_bootstrap, topic, max_records=2, idle_s=10))
    lines = capsys.readouterr().out.splitlines()
    assert printed == 2
    assert lines == [
        "1970-01-01 00:00  ALERT RAISED  alert 0",
        "1970-01-01 00:00  ALERT RAISED  alert 1",
    ]


@pytest.mark.e2e
def test_tail_stops_when_idle_and_shows_undecodable_records(kafka_bootstrap, capsys):
    topic = f"tail-{uuid.uuid4().hex[:8]}"
    asyncio.run(_produce(kafka_bootstrap, topic, [b"\xff\xfe"]))
    printed = asyncio.run(tail(kafka_bootstrap, topic, idle_s=2))
    assert printed == 1
    assert capsys.readouterr().out.strip() == repr(b"\xff\xfe")
