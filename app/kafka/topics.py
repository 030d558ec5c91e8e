"""Create aiot's topics up front: the platform's and every domain's, with partitions and compaction.

Faust would auto-create what it uses, but the simulator, ``aiot tail`` and other consumers may
come first; creating everything in one place avoids races and wrong partition counts.
"""

from __future__ import annotations

from collections.abc import Collection

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from agents.registry import DOMAINS
from app.core.domain import Topic
from app.kafka.clients import client_options
from app.kafka.connect import start_client
from app.settings import Settings

__all__ = ["domain_topics", "ensure_topics", "platform_topics", "topic_plan"]


def platform_topics(settings: Settings) -> dict[str, Topic]:
    """The topics the platform owns by logical name: every domain's alerts, dead letters and
    commands, the devices' acknowledgements, the edge parameters and the simulator's truth."""
    return {
        "alerts": Topic(settings.topic_alerts),
        "dead_letters": Topic(settings.topic_dead_letters, keyed=False),
        "commands": Topic(settings.topic_commands),
        "command_acks": Topic(settings.topic_command_acks),
        "edge_params": Topic(settings.topic_edge_params, keyed=False, compacted=True),
        "ground_truth": Topic(settings.topic_ground_truth, keyed=False),
    }


def domain_topics(settings: Settings, name: str) -> dict[str, Topic]:
    """The topics a domain writes and reads by logical name: the shared platform topics and
    its own (see :class:`app.core.domain.Domain`)."""
    (domain,) = (d for d in DOMAINS if d.name == name)
    return {**platform_topics(settings), **domain.topics(settings.of(domain.settings))}


def topic_plan(settings: Settings) -> list[NewTopic]:
    """The topics aiot needs, with their partition counts and configs: the platform's and
    every registered domain's."""
    topics = list(platform_topics(settings).values())
    for domain in DOMAINS:
        topics.extend(domain.topics(settings.of(domain.settings)).values())
    rf = settings.replication_factor
    cleanup = {"cleanup.policy": "compact" if settings.compact_topics else "delete"}
    plan: dict[str, NewTopic] = {}
    for topic in topics:
        partitions = settings.partitions if topic.keyed else 1
        configs = dict(cleanup) if topic.compacted else None
        plan.setdefault(topic.name, NewTopic(topic.name, partitions, rf, topic_configs=configs))
    return list(plan.values())


async def ensure_topics(
    bootstrap: str, settings: Settings, names: Collection[str] | None = None
) -> list[str]:
    """Create the missing topics of :func:`topic_plan` (or only ``names``); return those created.

    A name outside the plan (e.g. a gateway's wearables topic) is created with
    ``settings.partitions`` partitions and default configs.
    """
    plan = {topic.name: topic for topic in topic_plan(settings)}
    wanted = list(plan) if names is None else list(dict.fromkeys(names))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options(settings))
    await start_client(admin, bootstrap)
    created = []
    try:
        existing = set(await admin.list_topics())
        for name in wanted:
            if name in existing:
                continue
            topic = plan.get(name) or NewTopic(
                name, settings.partitions, settings.replication_factor
            )
            try:
                await admin.create_topics([topic])
                created.append(name)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()
    return created
