"""Motor readings and producing helpers shared by the end-to-end tests of the maintenance worker."""

from __future__ import annotations

import time

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

__all__ = ["latest_by_key", "produce", "reading"]


def reading(asset: str, ts: float, i: int, drift: float = 0.0) -> bytes:
    """A valid motor reading of ``asset`` at ``ts``; ``drift`` raises vibration and kurtosis."""
    return orjson.dumps(
        {
            "v": 1,
            "asset_id": asset,
            "asset_class": "motor-e2e",
            "ts": ts,
            "vibration_rms": 2.0 + 0.01 * (i % 7) + drift,
            "kurtosis": 3.0 + 0.01 * (i % 5) + drift,
            "crest_factor": 3.1 + 0.01 * (i % 3),
            "dominant_freq_hz": 24.6,
            "bearing_temp_c": 50.0 + 0.1 * (i % 4),
            "ambient_temp_c": 22.0,
            "load_pct": 70.0,
            "speed_rpm": 1475.0,
        }
    )


async def produce(
    bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]], max_request_size: int = 0
) -> None:
    """Send ``(key, value)`` messages to ``topic`` in order and wait for them all."""
    options = {"max_request_size": max_request_size} if max_request_size else {}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **options)
    await producer.start()
    try:
        for key, value in messages:
            await producer.send(topic, value=value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


async def latest_by_key(bootstrap: str, topic: str, idle_s: float = 3.0) -> dict[bytes, bytes]:
    """The newest value of every key of ``topic`` (a table's changelog: its final state)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    latest: dict[bytes, bytes] = {}
    try:
        last = time.monotonic()
        while time.monotonic() - last < idle_s:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                for record in records:
                    if record.key is not None and record.value is not None:
                        latest[record.key] = record.value
                last = time.monotonic()
    finally:
        await consumer.stop()
    return latest
