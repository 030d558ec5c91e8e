"""Create aiot's topics up front (partitions, replication, compaction for the models topic).

Faust would auto-create what it uses, but the simulator, ``aiot tail`` and other consumers may
come first; creating everything in one place avoids races and wrong partition counts.
"""

from __future__ import annotations

from collections.abc import Collection

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from app.kafka_clients import client_options
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
        NewTopic(settings.topic_fleet_telemetry, keyed, rf),
        NewTopic(settings.topic_fleet_verdicts, keyed, rf),
        NewTopic(settings.topic_fleet_context, keyed, rf),
        NewTopic(settings.topic_fleet_area, keyed, rf),
        NewTopic(settings.topic_fleet_episodes, keyed, rf),
        NewTopic(settings.topic_fleet_geofence_events, keyed, rf),
        NewTopic(settings.edge_topic_wearables, keyed, rf),
        NewTopic(settings.topic_zone_presence, keyed, rf),
        NewTopic(settings.topic_alert_acks, keyed, rf),
    ]
    compacted = {"cleanup.policy": "compact" if settings.compact_topics else "delete"}
    plan += [
        NewTopic(settings.topic_models, 1, rf, topic_configs=dict(compacted)),
        NewTopic(settings.topic_edge_params, 1, rf, topic_configs=dict(compacted)),
        NewTopic(settings.topic_fleet_geofences, 1, rf, topic_configs=dict(compacted)),
        NewTopic(settings.topic_fleet_models, 1, rf, topic_configs=dict(compacted)),
    ]
    return plan


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
    await admin.start()
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
