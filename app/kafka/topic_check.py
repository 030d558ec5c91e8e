"""Check the worker's topic plan against a broker, and create the topics that are missing.

:func:`compare` judges one planned topic against what the broker holds (pure, no Kafka);
:func:`check_topics` describes every planned topic on the broker without creating any (a topic
that does not exist is only listed, never described, since describing a missing topic makes
some brokers auto-create it) and :func:`create_topics` creates the missing ones with the plan's
partitions, replication and ``cleanup.policy``, then checks again.

What is a problem (the worker refuses to start) and what is only a note:

* missing topic: a problem (``aiot topics create`` or ``AIOT_CREATE_TOPICS`` fixes it);
* partition count of a co-partitioned topic (agent input, changelog) other than the plan's:
  a problem - Faust stops the agent with ``PartitionsMismatch``; for other topics a note;
* replication factor below the plan's: a problem (the plan's durability is not there); above
  it: a note;
* ``cleanup.policy``: a compacted topic that is not compacted loses state to retention, and a
  stream topic that is compacted loses readings with a repeated key - both problems. A broker
  that does not report the policy (Tansu reports only configs given at creation) gives a note
  that compaction was not checked, rather than a pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import for_code

from app.kafka.clients import bootstrap_servers, client_options
from app.kafka.connect import start_client
from app.kafka.worker_topics import PlannedTopic, worker_plan
from app.settings import Settings

__all__ = [
    "ExistingTopic",
    "TopicCreateError",
    "TopicReport",
    "TopicStatus",
    "TopicsNotReady",
    "check_topics",
    "compare",
    "create_topics",
    "prepare_worker_topics",
]

TOPIC_ALREADY_EXISTS = 36


class TopicCreateError(RuntimeError):
    """The broker refused to create a planned topic (e.g. more replicas than brokers)."""


class TopicsNotReady(RuntimeError):
    """A worker's topic is missing or does not match the plan: the worker must not start."""


@dataclass(frozen=True, slots=True)
class ExistingTopic:
    """What the broker says about a topic.

    Attributes:
        partitions: its partition count.
        replication_factor: the smallest replica count of its partitions.
        cleanup_policy: its ``cleanup.policy``, or None when the broker did not report it.
    """

    partitions: int
    replication_factor: int
    cleanup_policy: str | None


@dataclass(frozen=True, slots=True)
class TopicStatus:
    """A planned topic, what the broker holds (None: missing) and the verdict."""

    planned: PlannedTopic
    existing: ExistingTopic | None
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def missing(self) -> bool:
        """The topic does not exist."""
        return self.existing is None

    @property
    def ok(self) -> bool:
        """The topic exists and matches the plan (notes allowed)."""
        return self.existing is not None and not self.problems

    def line(self, created: bool = False) -> str:
        """One line for ``aiot topics``: verdict (``created`` when this run made the topic),
        name, role, what was found."""
        p = self.planned
        wanted = f"{p.partitions}p rf{p.replication_factor} {p.cleanup_policy}"
        if self.existing is None:
            return f"MISSING   {p.name} ({p.role}; plan {wanted})"
        verdict = "MISMATCH" if self.problems else "created" if created else "ok"
        details = [*self.problems, *self.notes]
        tail = f": {'; '.join(details)}" if details else ""
        return f"{verdict:<9} {p.name} ({p.role}; plan {wanted}){tail}"


def compare(planned: PlannedTopic, existing: ExistingTopic | None) -> TopicStatus:
    """Judge ``existing`` against ``planned`` (see the module docstring for the rules)."""
    if existing is None:
        return TopicStatus(planned, None)
    problems: list[str] = []
    notes: list[str] = []
    if existing.partitions != planned.partitions:
        found = f"{existing.partitions} partitions, the plan has {planned.partitions}"
        if planned.copartitioned:
            problems.append(
                f"{found} (AIOT_PARTITIONS): its partitions must pair with the state table's"
            )
        else:
            notes.append(f"{found} (any count works for this topic)")
    if existing.replication_factor < planned.replication_factor:
        problems.append(
            f"replication factor {existing.replication_factor}, the plan has "
            f"{planned.replication_factor} (AIOT_REPLICATION_FACTOR)"
        )
    elif existing.replication_factor > planned.replication_factor:
        notes.append(
            f"replication factor {existing.replication_factor} (plan {planned.replication_factor})"
        )
    policy = existing.cleanup_policy
    if policy is None:
        notes.append(
            "compaction not checked: the broker does not report cleanup.policy "
            "(Tansu reports only configs given at creation)"
        )
    elif planned.compacted and "compact" not in policy:
        problems.append(
            f"cleanup.policy={policy}, the plan has compact: retention would delete its state"
        )
    elif not planned.compacted and "compact" in policy:
        problems.append(
            f"cleanup.policy={policy}, the plan has delete: records with a repeated key "
            "would be dropped"
        )
    return TopicStatus(planned, existing, tuple(problems), tuple(notes))


@dataclass(frozen=True, slots=True)
class TopicReport:
    """The verdict on every planned topic, and which topics were created on the way."""

    statuses: tuple[TopicStatus, ...]
    created: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Every planned topic exists and matches the plan."""
        return all(status.ok for status in self.statuses)

    @property
    def missing(self) -> list[TopicStatus]:
        """The planned topics that do not exist."""
        return [status for status in self.statuses if status.missing]

    @property
    def mismatched(self) -> list[TopicStatus]:
        """The planned topics that exist but do not match the plan."""
        return [status for status in self.statuses if status.problems]

    def lines(self) -> list[str]:
        """One line per planned topic (:meth:`TopicStatus.line`), created ones marked."""
        created = set(self.created)
        return [status.line(status.planned.name in created) for status in self.statuses]

    def summary(self) -> str:
        """One line: what is wrong and what to do, or how many topics are fine."""
        if self.ok:
            made = f", {len(self.created)} created" if self.created else ""
            return f"{len(self.statuses)} topics match the plan{made}"
        parts: list[str] = []
        mismatched = self.mismatched
        if mismatched:
            first = mismatched[0]
            more = (
                f"; {len(mismatched) - 1} more topic(s) do not match either"
                if len(mismatched) > 1
                else ""
            )
            parts.append(
                f"topic {first.planned.name} ({first.planned.role}) has "
                f"{first.problems[0]}{more}. Delete and recreate with `aiot topics create`"
                f"{_partitions_hint(mismatched)}"
            )
        missing = self.missing
        if missing:
            names = ", ".join(status.planned.name for status in missing[:3])
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            parts.append(
                f"{len(missing)} topic(s) missing ({names}{more}): run `aiot topics create` "
                "or set AIOT_CREATE_TOPICS=true"
            )
        return "; ".join(parts) + " - `aiot topics check` lists every topic"


def _partitions_hint(mismatched: Sequence[TopicStatus]) -> str:
    """``, or set AIOT_PARTITIONS=N`` when every co-partitioned mismatch has the same count N
    (the plan then fits the topics as they are)."""
    counts = {
        status.existing.partitions
        for status in mismatched
        if status.existing is not None and status.planned.copartitioned
    }
    if len(counts) == 1 and all(
        status.existing is not None
        and status.existing.partitions != status.planned.partitions
        and len(status.problems) == 1
        for status in mismatched
    ):
        return f", or set AIOT_PARTITIONS={counts.pop()}"
    return ""


async def _describe(admin: AIOKafkaAdminClient, names: Sequence[str]) -> dict[str, ExistingTopic]:
    """What the broker holds of ``names``; missing topics are absent from the result."""
    present = sorted(set(await admin.list_topics()) & set(names))
    if not present:
        return {}
    partitions: dict[str, tuple[int, int]] = {}
    for topic in await admin.describe_topics(present):
        parts = topic["partitions"]
        replicas = min((len(p["replicas"]) for p in parts), default=0)
        partitions[str(topic["topic"])] = (len(parts), replicas)
    policies: dict[str, str] = {}
    responses = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in present]
    )
    for response in responses:
        for resource in response.resources:
            for entry in resource[4]:
                if entry[0] == "cleanup.policy" and entry[1] is not None:
                    policies[str(resource[3])] = str(entry[1])
    return {
        name: ExistingTopic(count, replicas, policies.get(name))
        for name, (count, replicas) in partitions.items()
    }


async def check_topics(
    bootstrap: str, settings: Settings, plan: Sequence[PlannedTopic] | None = None
) -> TopicReport:
    """Compare ``plan`` (default: :func:`~app.kafka.worker_topics.worker_plan`) with the
    broker; creates nothing."""
    return await _reconcile(bootstrap, settings, plan, create=False)


async def create_topics(
    bootstrap: str, settings: Settings, plan: Sequence[PlannedTopic] | None = None
) -> TopicReport:
    """Create the missing topics of ``plan`` (default: the worker's) as planned, then check
    them all; existing topics are left as they are (a mismatch stays in the report)."""
    return await _reconcile(bootstrap, settings, plan, create=True)


def prepare_worker_topics(settings: Settings) -> TopicReport:
    """At a worker's start: create its missing topics when ``AIOT_CREATE_TOPICS`` allows,
    check them all, and raise :class:`TopicsNotReady` (one line: what, and what to do) when
    one is missing or mismatched - the worker would otherwise look healthy and do nothing."""
    act = create_topics if settings.create_topics else check_topics
    report = asyncio.run(act(bootstrap_servers(settings.broker_url), settings))
    if not report.ok:
        raise TopicsNotReady(report.summary())
    return report


async def _reconcile(
    bootstrap: str, settings: Settings, plan: Sequence[PlannedTopic] | None, *, create: bool
) -> TopicReport:
    planned = list(plan) if plan is not None else worker_plan(settings)
    names = [p.name for p in planned]
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id=f"{settings.app_id}-topics",
        **client_options(settings),
    )
    await start_client(admin, bootstrap)
    created: list[str] = []
    try:
        existing = await _describe(admin, names)
        missing = [p for p in planned if p.name not in existing]
        if create and missing:
            created = await _create(admin, missing)
            existing = await _describe(admin, names)
    finally:
        await admin.close()
    statuses = tuple(compare(p, existing.get(p.name)) for p in planned)
    return TopicReport(statuses, tuple(created))


async def _create(admin: AIOKafkaAdminClient, missing: Sequence[PlannedTopic]) -> list[str]:
    """Create ``missing`` as planned; return the names created (one created concurrently by
    another client is fine), raise :class:`TopicCreateError` when the broker refuses one."""
    response = await admin.create_topics(
        [
            NewTopic(
                p.name,
                p.partitions,
                p.replication_factor,
                topic_configs={"cleanup.policy": p.cleanup_policy},
            )
            for p in missing
        ]
    )
    created: list[str] = []
    for entry in response.topic_errors:
        name, code = str(entry[0]), int(entry[1])
        if code == 0:
            created.append(name)
        elif code != TOPIC_ALREADY_EXISTS:
            message = entry[2] if len(entry) > 2 and entry[2] else ""
            raise TopicCreateError(
                f"the broker refused to create {name}: {for_code(code).__name__}"
                f"{f' ({message})' if message else ''}"
            )
    return created
