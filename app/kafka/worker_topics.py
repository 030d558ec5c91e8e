"""The topics one worker needs, as it will use them: names, partitions, replication, compaction.

The plan is the worker's own: the platform topics, every topic of each domain ``AIOT_DOMAINS``
names, and the changelog topic of each state table its agents keep
(``<AIOT_APP_ID>-<table>-changelog``). Each domain is declared once, without Kafka or Faust,
to learn which topics its agents read and which tables they keep, so the plan cannot drift
from what the runtime subscribes to.

A topic is *co-partitioned* when an agent reads it keyed or it is a table's changelog: Faust
requires such a topic to have exactly the table's partition count (``AIOT_PARTITIONS``), or
the agent crashes with ``PartitionsMismatch`` on every start. Other topics (outputs,
single-partition feeds) work with any partition count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.registry import DOMAINS
from app.core.domain import Domain, DomainContext, Topic
from app.core.metrics import Metrics
from app.kafka.topics import platform_topics
from app.settings import Settings

__all__ = ["PlannedTopic", "changelog_name", "worker_plan"]


@dataclass(frozen=True, slots=True)
class PlannedTopic:
    """One topic of the worker's plan.

    Attributes:
        name: the Kafka topic name.
        partitions: the partition count the plan creates it with.
        replication_factor: its replication factor (``AIOT_REPLICATION_FACTOR``).
        compacted: whether it is log-compacted (``cleanup.policy=compact``).
        copartitioned: an agent reads it keyed or it is a changelog, so its partition count
            must equal the plan's (see the module docstring).
        role: what the worker uses it for, for messages (``maintenance input``, ...).
    """

    name: str
    partitions: int
    replication_factor: int
    compacted: bool
    copartitioned: bool
    role: str

    @property
    def cleanup_policy(self) -> str:
        """The ``cleanup.policy`` the plan gives the topic."""
        return "compact" if self.compacted else "delete"


def changelog_name(settings: Settings, table: str) -> str:
    """The changelog topic of state table ``table`` (Faust's naming: app id, table, suffix)."""
    return f"{settings.app_id}-{table}-changelog"


def worker_plan(settings: Settings) -> list[PlannedTopic]:
    """The topics of a worker with ``settings``, in a stable order (platform, then each domain
    with its changelogs); a topic named twice is planned once, keeping the stricter role."""
    plan: dict[str, PlannedTopic] = {}

    def add(topic: Topic, role: str, copartitioned: bool) -> None:
        planned = PlannedTopic(
            name=topic.name,
            partitions=settings.partitions if topic.keyed else 1,
            replication_factor=settings.replication_factor,
            compacted=topic.compacted and settings.compact_topics,
            copartitioned=copartitioned,
            role=role,
        )
        known = plan.get(topic.name)
        if known is None or (copartitioned and not known.copartitioned):
            plan[topic.name] = planned

    for logical, topic in platform_topics(settings).items():
        add(topic, f"platform {logical}", copartitioned=False)
    for domain in DOMAINS:
        if domain.name not in settings.domain_names:
            continue
        topics = domain.topics(settings.of(domain.settings))
        inputs, tables = _agent_inputs_and_tables(domain, settings)
        for logical, topic in topics.items():
            keyed_input = logical in inputs and topic.keyed
            role = f"{domain.name} {'input' if keyed_input else 'topic'} {logical}"
            add(topic, role, copartitioned=keyed_input)
        for table in tables:
            name = changelog_name(settings, table)
            add(Topic(name, keyed=True, compacted=True), f"changelog of {table}", True)
    return list(plan.values())


def _agent_inputs_and_tables(domain: Domain[Any], settings: Settings) -> tuple[set[str], list[str]]:
    """The logical topics a domain's agents read and the state tables they keep, learned by
    declaring the domain in a throwaway context (no Kafka, no Faust, its own metrics)."""

    def no_state(key: str) -> bytes | None:
        return None

    context = DomainContext(
        settings.of(domain.settings),
        settings.limits,
        Metrics(),
        lambda name, help: no_state,
    )
    plan = domain.declare(context)
    inputs = {topic for agent in plan.agents for topic in agent.inputs.values()}
    tables = list(dict.fromkeys(agent.table for agent in plan.agents))
    return inputs, tables
