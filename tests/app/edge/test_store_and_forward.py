"""Store-and-forward end to end: Mosquitto -> ``aiot edge`` (child process) -> embedded Kafka.

The embedded Tansu broker is memory-only, so an outage is a broker stopped and a fresh one
started on the same port: the gateway must notice, buffer on disk, reconnect and replay.
"""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from app.embedded.broker import EmbeddedBroker, free_port
from tests.app.edge.harness import GatewayProcess, device, mosquitto_up, publish_all, read_topic
from tests.app.edge.helpers import machine_payload

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not mosquitto_up(), reason="no Mosquitto at 127.0.0.1:1883"),
]

TELEMETRY = "aiot.machine.telemetry.v1"
DEVICES = ("m1", "m2", "m3")
T0 = float(int(time.time()) - 3600)
"""Reading ``s`` of a device is stamped ``T0 + s``: its event time tells its place."""


def _readings(site: str, seqs: range) -> list[tuple[str, bytes]]:
    return [
        (f"site/{site}/device/{d}/telemetry", machine_payload(2.0, s, T0 + s, waveform_n=0))
        for s in seqs
        for d in DEVICES
    ]


def _publish(site: str, seqs: range) -> None:
    async def go() -> None:
        client = await device(f"dev-{uuid.uuid4().hex[:8]}")
        try:
            await publish_all(client, _readings(site, seqs))
        finally:
            await client.disconnect()

    asyncio.run(go())


def _assert_complete_and_ordered(records: list[dict[str, Any]], count: int) -> None:
    """Every reading of every device present; first occurrences in publication order."""
    for name in DEVICES:
        seqs = [round(r["ts"] - T0) for r in records if r["asset_id"] == name]
        first: list[int] = []
        for s in seqs:
            if s not in first:
                first.append(s)
        assert sorted(first) == list(range(count)), f"{name}: missing readings"
        assert first == sorted(first), f"{name}: order broken"


def _missing(records: list[dict[str, Any]]) -> int:
    """How many of the 180 readings (3 devices x 60) are not in ``records``."""
    return 180 - len({(r["asset_id"], r["ts"]) for r in records})


def test_a_kafka_outage_loses_nothing_and_keeps_order(tmp_path: Path) -> None:
    site = f"t{uuid.uuid4().hex[:10]}"
    broker = EmbeddedBroker().start()
    gateway = GatewayProcess(
        site=site, kafka_url=broker.url, data_dir=tmp_path, web_port=free_port()
    ).start()
    try:
        _publish(site, range(0, 20))
        asyncio.run(read_topic(broker.bootstrap, TELEMETRY, at_least=60))
        # Freeze the gateway so every record broker 1 acknowledged can be read back before it
        # dies (it keeps nothing), then stop Kafka while devices go on publishing.
        gateway.signal(signal.SIGSTOP)
        _publish(site, range(20, 30))
        before = asyncio.run(read_topic(broker.bootstrap, TELEMETRY, at_least=60))
        broker.stop()
        gateway.signal(signal.SIGCONT)
        _publish(site, range(30, 50))
        _wait(lambda: gateway.metric("aiot_edge_in_total") >= 150, "all readings received")
        assert gateway.metric("aiot_edge_buffered_records") > 0
        broker = EmbeddedBroker(port=broker.port).start()
        _publish(site, range(50, 60))
        after = asyncio.run(read_topic(broker.bootstrap, TELEMETRY, at_least=_missing(before)))
        _assert_complete_and_ordered(before + after, 60)
        assert gateway.metric("aiot_edge_replayed_total") > 0
        assert gateway.metric("aiot_edge_dropped_total") == 0
    finally:
        gateway.stop()
        broker.stop()


def test_a_gateway_restart_with_a_full_buffer_loses_nothing(tmp_path: Path) -> None:
    site = f"t{uuid.uuid4().hex[:10]}"
    port = free_port()
    gateway = GatewayProcess(
        site=site, kafka_url=f"kafka://127.0.0.1:{port}", data_dir=tmp_path, web_port=free_port()
    ).start()
    try:
        _publish(site, range(0, 15))
        _wait(lambda: gateway.metric("aiot_edge_buffered_records") >= 45, "45 buffered readings")
    finally:
        gateway.stop()
    with EmbeddedBroker(port=port) as broker:
        restarted = GatewayProcess(
            site=site, kafka_url=broker.url, data_dir=tmp_path, web_port=free_port()
        ).start()
        try:
            records = asyncio.run(read_topic(broker.bootstrap, TELEMETRY, at_least=45))
            _assert_complete_and_ordered(records, 15)
            _wait(lambda: restarted.metric("aiot_edge_replayed_total") >= 45, "replay counted")
        finally:
            restarted.stop()


def _wait(predicate: Any, what: str) -> None:
    from tests.app.edge.harness import wait_for

    wait_for(predicate, 30, what)
