"""How every plain aiokafka client of aiot connects: bootstrap servers and security options.

Faust takes the broker URL and credentials itself (:mod:`app.faust_app`); the other clients -
the model restore, ``aiot tail``, topic creation, the simulator, the edge gateway, ``make run``
- take their connection from here, so a SASL/TLS cluster works for all of them alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.helpers import create_ssl_context

from app.settings import Settings

__all__ = ["bootstrap_servers", "client_options", "follow_topics"]


def bootstrap_servers(url: str) -> str:
    """``host:port[,host:port]`` from a broker URL (``kafka://a:9092;kafka://b:9092`` or a list)."""
    hosts: list[str] = []
    for part in url.replace(";", ",").split(","):
        host = part.strip()
        if "://" in host:
            host = host.split("://", 1)[1]
        if host:
            hosts.append(host)
    return ",".join(hosts)


def client_options(settings: Settings) -> dict[str, Any]:
    """Security keyword arguments for aiokafka clients, from the ``broker_*`` settings."""
    protocol = settings.broker_security_protocol.upper()
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in {"SSL", "SASL_SSL"}:
        options["ssl_context"] = create_ssl_context(cafile=settings.broker_ssl_cafile or None)
    if protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.broker_sasl_mechanism
        options["sasl_plain_username"] = settings.broker_sasl_username
        options["sasl_plain_password"] = settings.broker_sasl_password
    return options


async def follow_topics(
    bootstrap: str,
    settings: Settings,
    topics: Iterable[str],
    stop: asyncio.Event,
    on_record: Callable[[str, bytes, float], None],
) -> None:
    """Read ``topics`` from their start (no consumer group) until ``stop`` is set.

    ``on_record(topic, value, kafka_ts)`` is called for every record, ``kafka_ts`` being the
    record's Kafka timestamp in seconds; ``make run`` and its domains collect outputs this way.
    """
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=2000,
        **client_options(settings),
    )
    await consumer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            for tp, records in batch.items():
                for record in records:
                    on_record(tp.topic, record.value or b"", record.timestamp / 1000.0)
    finally:
        await consumer.stop()
