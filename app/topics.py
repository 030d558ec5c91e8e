"""Create aiot's topics up front (partitions, replication, compaction for the models topic).

Faust would auto-create what it uses, but the simulator, ``aiot tail`` and other consumers may
come first; creating everything in one place avoids races and wrong partition counts.
"""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from app.settings import Settings

__all__ = ["ensure_topics", "topic_plan"]


def topic_plan(settings: Settings) -> list[NewTopic]:
    """The topics aiot needs, with their partition counts and configs."""
    keyed = settings.partitions
    rf = settings.replication_factor
    plan = [
        NewTopic(settings.topic_telemetry, keyed, rf),
        NewTopic(settings.topic_maintenance, keyed, rf),
        NewTopic(settings.topic_predictions, keyed, rf),
        NewTopic(settings.topic_alerts, keyed, rf),
        NewTopic(settings.topic_dead_letters, 1, rf),
        NewTopic(settings.topic_ground_truth, 1, rf),
        NewTopic(settings.topic_commands, keyed, rf),
        NewTopic(settings.topic_command_acks, keyed, rf),
    ]
    compacted = {"cleanup.policy": "compact" if settings.compact_topics else "delete"}
    plan += [
        NewTopic(settings.topic_models, 1, rf, topic_configs=dict(compacted)),
        NewTopic(settings.topic_edge_params, 1, rf, topic_configs=dict(compacted)),
    ]
    return plan


async def ensure_topics(bootstrap: str, settings: Settings) -> list[str]:
    """Create the missing topics of :func:`topic_plan`; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    created = []
    try:
        existing = set(await admin.list_topics())
        for topic in topic_plan(settings):
            if topic.name in existing:
                continue
            try:
                await admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()
    return created
