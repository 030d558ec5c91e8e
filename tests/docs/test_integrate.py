"""docs/integrate.md stays true: every literal message passes the validator the worker (or the
edge gateway) runs, every kcat line sends a valid record keyed by its id, the output examples
fit their JSON Schemas, and the Python producer runs against a real broker."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from agents.fleet.settings import FleetSettings
from agents.maintenance.settings import MaintenanceSettings
from agents.safety.settings import SafetySettings
from app.edge.config import EdgeConfig
from app.edge.processor import EdgeProcessor
from app.embedded.broker import EmbeddedBroker
from app.settings import Settings
from schemas import decode_maintenance, decode_telemetry
from schemas.alert import Alert
from schemas.deadletter import DeadLetter
from schemas.jsonschema import SCHEMA_DIR
from schemas.prediction import Prediction
from schemas.vehicle import decode_geofence, decode_vehicle_telemetry, decode_verdict
from schemas.wearable import decode_wearable

REPO = Path(__file__).resolve().parents[2]
TEXT = (REPO / "docs" / "integrate.md").read_text(encoding="utf-8")
EXAMPLES: dict[str, str] = dict(
    re.findall(r"<!-- example: ([\w-]+) -->\s*```json\n(.*?)```", TEXT, re.S)
)
(PRODUCER,) = re.findall(r"<!-- snippet: python-producer -->\s*```python\n(.*?)```", TEXT, re.S)
KCAT_LINES = re.findall(r"echo '([^'|]*)\|([^']*)' \| kcat -P( -Z)?[^\n]* -t (\S+)", TEXT)

SETTINGS = Settings()
M, F, S = (SETTINGS.of(c) for c in (MaintenanceSettings, FleetSettings, SafetySettings))


def _clock() -> dict[str, float]:
    return {
        "now": time.time(),
        "min_event_time": SETTINGS.min_event_time,
        "max_future_skew_s": SETTINGS.max_future_skew_s,
    }


def _timed(decode: Callable[..., Any]) -> Callable[[bytes], Any]:
    return lambda raw: decode(raw, **_clock())


INPUTS: dict[str, tuple[str, Callable[[bytes], Any], str]] = {
    "telemetry": (M.topic_telemetry, _timed(decode_telemetry), "asset_id"),
    "maintenance": (M.topic_maintenance, _timed(decode_maintenance), "asset_id"),
    "vehicle": (F.topic_fleet_telemetry, _timed(decode_vehicle_telemetry), "vehicle_id"),
    "verdict": (F.topic_fleet_verdicts, _timed(decode_verdict), "vehicle_id"),
    "geofence": (F.topic_fleet_geofences, decode_geofence, "geofence_id"),
    "wearable": (S.edge_topic_wearables, _timed(decode_wearable), "worker_id"),
}
BY_TOPIC = {topic: (decode, key) for topic, decode, key in INPUTS.values()}


def test_the_guide_has_an_example_of_every_input_and_output():
    assert set(EXAMPLES) == {
        *INPUTS,
        "mqtt-machine",
        "mqtt-wearable",
        "alert",
        "prediction",
        "dead_letter",
    }
    assert len(KCAT_LINES) >= 6


@pytest.mark.parametrize("name", list(INPUTS))
def test_each_input_example_passes_the_workers_validator(name: str):
    _, decode, key_field = INPUTS[name]
    record = decode(EXAMPLES[name].encode())
    assert getattr(record, key_field) == orjson.loads(EXAMPLES[name])[key_field]


@pytest.mark.parametrize(
    ("key", "value", "tombstone", "topic"), KCAT_LINES, ids=[line[3] for line in KCAT_LINES]
)
def test_each_kcat_line_sends_a_valid_record_keyed_by_its_id(key, value, tombstone, topic):
    decode, key_field = BY_TOPIC[topic]
    if tombstone:
        assert value == "" and key, "a tombstone is a key with an empty value"
        return
    record = decode(value.encode())
    assert getattr(record, key_field) == key


@pytest.fixture()
def edge(tmp_path: Path) -> EdgeProcessor:
    settings = Settings(edge_data_dir=str(tmp_path))
    return EdgeProcessor(EdgeConfig.from_settings(settings, "plant-1"), b"site-secret")


def test_the_mqtt_machine_example_passes_the_gateway_and_then_the_worker(edge: EdgeProcessor):
    out = edge.handle("site/plant-1/device/pump-17/telemetry", EXAMPLES["mqtt-machine"].encode())
    assert out.rejected is None
    [forwarded] = out.outbound
    assert forwarded.key == b"pump-17"
    assert decode_telemetry(forwarded.value, **_clock()).asset_id == "pump-17"


def test_the_mqtt_wearable_example_leaves_the_site_pseudonymised_and_valid(edge: EdgeProcessor):
    out = edge.handle("site/plant-1/device/band-0193/telemetry", EXAMPLES["mqtt-wearable"].encode())
    assert out.rejected is None
    [forwarded] = out.outbound
    reading = decode_wearable(forwarded.value, **_clock())
    assert reading.worker_id.startswith("p-") and b"W-1187" not in forwarded.value
    assert b"heart_rate_bpm" not in forwarded.value
    assert forwarded.key == reading.worker_id.encode()


@pytest.mark.parametrize(
    ("name", "record", "schema"),
    [
        ("alert", Alert, "alert.v1.json"),
        ("prediction", Prediction, "prediction.v1.json"),
        ("dead_letter", DeadLetter, "dead_letter.v1.json"),
    ],
)
def test_each_output_example_fits_its_published_schema(name: str, record: Any, schema: str):
    example = orjson.loads(EXAMPLES[name])
    validator = jsonschema.Draft202012Validator(orjson.loads((SCHEMA_DIR / schema).read_bytes()))
    validator.validate(example)
    assert record.from_dict(example).to_dict() == example


def test_the_dead_letter_example_is_consistent():
    letter = orjson.loads(EXAMPLES["dead_letter"])
    assert letter["reason"] == letter["problems"][0]["reason"]
    assert letter["detail"] == "; ".join(p["detail"] for p in letter["problems"])
    original = base64.b64decode(letter["original_b64"])
    assert orjson.loads(original)["asset_id"] == letter["key"]
    assert letter["original_size"] == len(original) and not letter["truncated"]
    assert letter["original_sha256"] == hashlib.sha256(original).hexdigest()


def test_the_readme_links_the_guide():
    assert "(docs/integrate.md)" in (REPO / "README.md").read_text(encoding="utf-8")


async def _read(bootstrap: str, topics: list[str], want: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    got: list[Any] = []
    try:
        deadline = time.monotonic() + 30
        while len(got) < want and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            got.extend(record for records in batch.values() for record in records)
    finally:
        await consumer.stop()
    return got


@pytest.mark.e2e
def test_the_python_producer_runs_and_what_it_sends_passes_the_worker(tmp_path: Path):
    script = tmp_path / "producer.py"
    script.write_text(PRODUCER, encoding="utf-8")
    with EmbeddedBroker() as broker:
        done = subprocess.run(
            [sys.executable, str(script)],
            env={**os.environ, "KAFKA": broker.bootstrap},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        topics = [M.topic_telemetry, M.topic_maintenance]
        sent = asyncio.run(_read(broker.bootstrap, topics, want=2))
    assert sorted(r.topic for r in sent) == sorted(topics)
    for message in sent:
        decode, key_field = BY_TOPIC[message.topic]
        record = decode(message.value)
        assert message.key == getattr(record, key_field).encode()
