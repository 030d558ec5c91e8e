"""The gateway in-process against Mosquitto and the session's embedded Kafka broker:
dead letters, the command round trip, and a local reaction with its latency reported."""

from __future__ import annotations

import asyncio
import base64
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from app.edge.gateway import EdgeGateway
from app.settings import Settings
from schemas.command import Command
from tests.app.edge.harness import device, mosquitto_up, produce, publish_all, read_topic
from tests.app.edge.helpers import machine_payload

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not mosquitto_up(), reason="no Mosquitto at 127.0.0.1:1883"),
]

MOSQUITTO = "mqtt://127.0.0.1:1883"


def _run(tmp_path: Path, kafka_url: str, body: Callable[[EdgeGateway, str], Awaitable[Any]]) -> Any:
    """Run ``body(gateway, site)`` with a started gateway of a fresh site."""
    site = f"t{uuid.uuid4().hex[:10]}"
    settings = Settings(edge_data_dir=str(tmp_path), edge_frame_linger_s=0.02)

    async def main() -> Any:
        gateway = EdgeGateway(settings, mqtt_url=MOSQUITTO, kafka_url=kafka_url, site=site)
        stop = asyncio.Event()
        task = asyncio.create_task(gateway.run(stop))
        try:
            await asyncio.wait_for(gateway.subscribed.wait(), 15)
            return await body(gateway, site)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)

    return asyncio.run(main())


def test_bad_payloads_reach_the_dead_letter_topic_with_reasons(
    tmp_path: Path, kafka_url: str, kafka_bootstrap: str
) -> None:
    bad = {
        b"{broken": "malformed_json",
        machine_payload(2.0, 1, bearing_temp_c=999.0): "out_of_range",
        b'{"kind": "wearable", "worker_id": "w1"}': "missing_field",
    }

    async def body(gateway: EdgeGateway, site: str) -> list[dict[str, Any]]:
        client = await device(f"dev-{site}")
        topic = f"site/{site}/device/m9/telemetry"
        await publish_all(client, [(topic, payload) for payload in bad])
        await client.disconnect()
        letters = await read_topic(kafka_bootstrap, "aiot.deadletter.v1", at_least=1)
        mine = [d for d in letters if d["source_topic"] == f"mqtt:{topic}"]
        while len({d["original_b64"] for d in mine}) < len(bad):
            await asyncio.sleep(0.5)
            letters = await read_topic(kafka_bootstrap, "aiot.deadletter.v1", at_least=1)
            mine = [d for d in letters if d["source_topic"] == f"mqtt:{topic}"]
        assert gateway.stats.rejected == {
            "malformed_json": 1,
            "out_of_range": 1,
            "missing_field": 1,
        }
        return mine

    letters = _run(tmp_path, kafka_url, body)
    got = {base64.b64decode(d["original_b64"]): d["reason"] for d in letters}
    assert got == bad


def test_a_cloud_command_reaches_the_device_and_its_ack_comes_back(
    tmp_path: Path, kafka_url: str, kafka_bootstrap: str
) -> None:
    async def body(gateway: EdgeGateway, site: str) -> dict[str, Any]:
        motor = await device(f"motor-{site}")
        await motor.subscribe([(f"site/{site}/device/m1/command", 1)])
        await asyncio.wait_for(gateway.commands_ready.wait(), 30)
        command = Command(
            command_id=uuid.uuid4().hex[:16],
            asset_id="m1",
            action="derate",
            reason="test",
            source="maintenance",
            trigger_ts=time.time(),
            issued_at=time.time(),
            site=site,
            params={"derate_pct": 40.0},
        )
        await produce(kafka_bootstrap, "aiot.commands.v1", b"m1", command.to_json())
        message = await motor.deliver_message(timeout_duration=30)
        received = orjson.loads(bytes(message.data))
        assert received["command_id"] == command.command_id
        assert received["params"] == {"derate_pct": 40.0}
        ack = {"command_id": command.command_id, "status": "done", "detail": "load 40%"}
        await motor.publish(f"site/{site}/device/m1/ack", orjson.dumps(ack), qos=1)
        await motor.disconnect()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            acks = await read_topic(kafka_bootstrap, "aiot.commands.acks.v1", at_least=1)
            for record in acks:
                if record["command_id"] == command.command_id:
                    return record
        raise AssertionError("acknowledgement never reached Kafka")

    ack = _run(tmp_path, kafka_url, body)
    assert ack["status"] == "done" and ack["asset_id"] == "m1" and ack["detail"] == "load 40%"


def test_severe_vibration_stops_the_motor_locally_and_the_latency_is_reported(
    tmp_path: Path, kafka_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def body(gateway: EdgeGateway, site: str) -> tuple[list[float], list[float]]:
        motor = await device(f"motor-{site}")
        await motor.subscribe([(f"site/{site}/device/+/command", 1)])
        device_latency: list[float] = []
        for i in range(20):
            name = f"m{i}"
            topic = f"site/{site}/device/{name}/telemetry"
            await motor.publish(topic, machine_payload(2.0, 0), qos=1)
            await motor.publish(topic, machine_payload(15.0, 1), qos=1)
            sent = time.perf_counter()
            await motor.publish(topic, machine_payload(15.0, 2), qos=1)
            message = await motor.deliver_message(timeout_duration=10)
            device_latency.append(time.perf_counter() - sent)
            command = orjson.loads(bytes(message.data))
            assert command["action"] == "stop" and command["asset_id"] == name
        await motor.disconnect()
        return device_latency, list(gateway.stats.reaction_latency_s)

    device_latency, edge_latency = _run(tmp_path, kafka_url, body)
    assert len(device_latency) == 20 and len(edge_latency) == 20
    dev = sorted(x * 1000 for x in device_latency)
    edge = sorted(x * 1000 for x in edge_latency)
    with capsys.disabled():
        print(
            f"\nlocal reaction (20 motors, Mosquitto): MQTT in -> command published at the "
            f"edge median {statistics.median(edge):.2f} ms, max {edge[-1]:.2f} ms; device "
            f"publish -> command received median {statistics.median(dev):.2f} ms, "
            f"max {dev[-1]:.2f} ms"
        )
