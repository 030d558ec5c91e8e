"""Helpers of the end-to-end tests: isolated topic names, reading outputs, waiting for a drain.

Every test worker registers every domain's agents, so its settings isolate *all* topics (every
``topic_*`` and ``edge_topic_*`` setting gets a unique suffix) and the app id: tests sharing
the session broker never see each other's records or consumer groups.
"""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer

from app.embedded.worker_process import WorkerProcess, metric_sum
from app.settings import Settings, section_types

__all__ = ["TOPIC_FIELDS", "consume_all", "isolated", "wait_drained"]

TOPIC_FIELDS = tuple(
    f.name
    for cls in (Settings, *section_types())
    for f in dataclasses.fields(cls)
    if f.name.startswith("topic_") or f.name.startswith("edge_topic_")
)


def isolated(
    kafka_url: str, prefix: str = "aiot-e2e", **changes: Any
) -> tuple[Settings, dict[str, str]]:
    """Settings with unique topic names and app id, and the same as worker env overrides."""
    tag = uuid.uuid4().hex[:8]
    base = Settings(broker_url=kafka_url, partitions=4)
    values: dict[str, Any] = {f: f"{base.value(f)}.{tag}" for f in TOPIC_FIELDS}
    values["app_id"] = f"{prefix}-{tag}"
    values["tansu_compat"] = not os.environ.get("AIOT_TEST_BROKER_URL")
    values.update(changes)
    settings = base.replace(**values)
    env = {k: str(v) for k, v in values.items()}
    env["partitions"] = str(settings.partitions)
    return settings, env


async def consume_all(
    bootstrap: str, topics: list[str], idle_s: float = 3.0
) -> dict[str, list[Any]]:
    """Read every record of ``topics`` (JSON-decoded) until none arrives for ``idle_s``."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    out: dict[str, list[Any]] = {t: [] for t in topics}
    try:
        last = time.monotonic()
        while time.monotonic() - last < idle_s:
            batch = await consumer.getmany(timeout_ms=300)
            for tp, records in batch.items():
                out[tp.topic].extend(orjson.loads(r.value) for r in records)
                last = time.monotonic()
    finally:
        await consumer.stop()
    return out


def wait_drained(worker: WorkerProcess, timeout_s: float = 60.0, consumed: int = 0) -> None:
    """Wait until the worker reports zero lag twice in a row and has consumed ``consumed``
    records (Tansu under-reports the high watermark by part of the last batch, so zero lag
    alone can come a little early)."""
    deadline = time.monotonic() + timeout_s
    zero = 0
    while time.monotonic() < deadline:
        status, text = worker.get("/metrics")
        seen = "aiot_consumer_lag{" in text
        done = metric_sum(text, "aiot_events_in_total") >= consumed
        idle = seen and metric_sum(text, "aiot_consumer_lag") == 0
        zero = zero + 1 if status == 200 and idle and done else 0
        if zero >= 2:
            return
        time.sleep(1.0)
    raise TimeoutError(f"worker did not drain:\n{worker.log_tail()}")
