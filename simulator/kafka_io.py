"""aiokafka plumbing of the simulator: connection options from settings and topic creation."""

from __future__ import annotations

import contextlib
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context

from app.settings import Settings

__all__ = ["bootstrap_of", "client_options", "ensure_topics"]


def bootstrap_of(broker_url: str) -> str:
    """``host:port[,host:port]`` from a ``kafka://`` broker URL (or a bare bootstrap list)."""
    return ",".join(part.strip().removeprefix("kafka://") for part in broker_url.split(","))


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


async def ensure_topics(bootstrap: str, settings: Settings, topics: list[str]) -> list[str]:
    """Create those of ``topics`` that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in topics if name not in existing]
        if not missing:
            return []
        new = [
            NewTopic(
                name=name,
                num_partitions=settings.partitions,
                replication_factor=settings.replication_factor,
            )
            for name in missing
        ]
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(new)
        return missing
    finally:
        await admin.close()
