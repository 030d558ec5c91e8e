"""Harness of the gateway tests: Mosquitto check, device clients, Kafka reading, subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from amqtt.client import MQTTClient

from app.embedded.mqtt import mqtt_reachable
from schemas.frame import iter_frame

ROOT = Path(__file__).resolve().parents[3]
MOSQUITTO = "mqtt://127.0.0.1:1883"


def mosquitto_up() -> bool:
    """Whether the machine's Mosquitto answers on 127.0.0.1:1883."""
    return mqtt_reachable("127.0.0.1", 1883)


async def device(name: str) -> MQTTClient:
    """A connected MQTT client playing a device."""
    client = MQTTClient(client_id=name, config={"auto_reconnect": False})
    await client.connect(MOSQUITTO)
    return client


async def publish_all(client: MQTTClient, messages: Iterable[tuple[str, bytes]]) -> None:
    """Publish with QoS 1 (each acknowledged by the broker)."""
    for topic, payload in messages:
        await client.publish(topic, payload, qos=1)


async def read_topic(
    bootstrap: str, topic: str, *, at_least: int, timeout_s: float = 30.0
) -> list[dict[str, Any]]:
    """Every record of ``topic`` from the beginning (frames unpacked), once ``at_least``
    distinct ones are in (the dev broker may hand out a batch twice; duplicates are kept, the
    count ignores them). Each attempt reads with a fresh consumer from offset 0 (the dev
    broker's offset answers for a topic created moments ago are unreliable)."""
    deadline = time.monotonic() + timeout_s
    out: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        out = await _read_once(bootstrap, topic)
        if len({orjson.dumps(r) for r in out}) >= at_least:
            break
        await asyncio.sleep(0.5)
    return out


async def _read_once(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    out: list[dict[str, Any]] = []
    try:
        await consumer.topics()
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not tps:
            return out
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, 0)
        while True:
            batch = await consumer.getmany(timeout_ms=700)
            if not batch:
                return out
            for records in batch.values():
                for record in records:
                    out.extend(orjson.loads(raw) for raw in iter_frame(record.value or b""))
    finally:
        await consumer.stop()


async def produce(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    """Produce one record."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


def metric(port: int, name: str) -> float:
    """Sum of the samples of metric ``name`` on a gateway's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
        text = response.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def wait_for(predicate: Any, timeout_s: float, what: str) -> None:
    """Poll ``predicate`` until true or fail with ``what``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class GatewayProcess:
    """``aiot edge`` as a child process (so it can be frozen, stopped and restarted)."""

    def __init__(self, *, site: str, kafka_url: str, data_dir: Path, web_port: int) -> None:
        self.site = site
        self.kafka_url = kafka_url
        self.data_dir = data_dir
        self.web_port = web_port
        self.log = data_dir / f"gateway-{web_port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> GatewayProcess:
        env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            AIOT_EDGE_DATA_DIR=str(self.data_dir),
            AIOT_EDGE_FRAME_LINGER_S="0.05",
            AIOT_EDGE_FRAME_MAX_READINGS="16",
            AIOT_WEB_HOST="127.0.0.1",
            AIOT_LOG_LEVEL="info",
        )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "edge", "--mqtt-url", MOSQUITTO,
                 "--kafka-url", self.kafka_url, "--site", self.site,
                 "--web-port", str(self.web_port)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_for(lambda: "subscribed" in self.log.read_text(), 20, "the gateway's MQTT session")
        return self

    def metric(self, name: str) -> float:
        return metric(self.web_port, name)

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGCONT)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
