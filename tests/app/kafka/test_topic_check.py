"""Checking and creating the worker's topics: the rules, and on a real broker."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from agents.maintenance.settings import MaintenanceSettings
from app.kafka.connect import BrokerUnreachable
from app.kafka.topic_check import (
    ExistingTopic,
    TopicsNotReady,
    check_topics,
    compare,
    create_topics,
    prepare_worker_topics,
)
from app.kafka.worker_topics import PlannedTopic
from tests.kafka_support import isolated

INPUT = PlannedTopic("in", 8, 3, compacted=False, copartitioned=True, role="x input")
OUTPUT = PlannedTopic("out", 8, 3, compacted=False, copartitioned=False, role="x output")
MODELS = PlannedTopic("models", 1, 3, compacted=True, copartitioned=False, role="x models")


def test_a_matching_topic_is_ok():
    status = compare(INPUT, ExistingTopic(8, 3, "delete"))
    assert status.ok and not status.notes


def test_a_missing_topic_is_not_ok():
    status = compare(INPUT, None)
    assert status.missing and not status.ok
    assert status.line().startswith("MISSING")


def test_input_with_another_partition_count_is_a_problem_an_output_only_a_note():
    assert compare(INPUT, ExistingTopic(4, 3, "delete")).problems
    output = compare(OUTPUT, ExistingTopic(4, 3, "delete"))
    assert output.ok and "4 partitions" in output.notes[0]


def test_fewer_replicas_than_planned_is_a_problem_more_a_note():
    assert "replication factor 1" in compare(OUTPUT, ExistingTopic(8, 1, "delete")).problems[0]
    assert compare(OUTPUT, ExistingTopic(8, 5, "delete")).ok


def test_compaction_must_match_both_ways():
    assert "retention" in compare(MODELS, ExistingTopic(1, 3, "delete")).problems[0]
    assert compare(MODELS, ExistingTopic(1, 3, "compact,delete")).ok
    assert "repeated key" in compare(INPUT, ExistingTopic(8, 3, "compact")).problems[0]


def test_an_unreported_policy_is_said_to_be_unchecked_not_passed():
    status = compare(MODELS, ExistingTopic(1, 3, None))
    assert status.ok
    assert "compaction not checked" in status.notes[0]
    assert "compaction not checked" in status.line()


def _create_raw(bootstrap: str, name: str, partitions: int) -> None:
    async def go() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, partitions, 1)])
        finally:
            await admin.close()

    asyncio.run(go())


@pytest.mark.e2e
def test_create_makes_the_missing_topics_as_planned_and_check_then_passes(kafka_url):
    settings, _ = isolated(kafka_url, domains="maintenance")
    bootstrap = kafka_url.split("://", 1)[1]
    before = asyncio.run(check_topics(bootstrap, settings))
    assert not before.ok and len(before.missing) == len(before.statuses)
    assert asyncio.run(check_topics(bootstrap, settings)).missing, "check must not create"
    created = asyncio.run(create_topics(bootstrap, settings))
    assert created.ok, created.lines()
    assert set(created.created) == {s.planned.name for s in before.statuses}
    after = asyncio.run(check_topics(bootstrap, settings))
    assert after.ok and not after.created
    policies = {s.planned.name: s.existing.cleanup_policy for s in after.statuses if s.existing}
    assert set(policies.values()) == {"delete"}, "compaction is planned off on Tansu"
    assert "topics match the plan" in after.summary()


@pytest.mark.e2e
def test_an_input_with_the_wrong_partition_count_stops_the_worker_with_one_line(kafka_url):
    settings, _ = isolated(kafka_url, domains="maintenance")
    bootstrap = kafka_url.split("://", 1)[1]
    telemetry = settings.of(MaintenanceSettings).topic_telemetry
    _create_raw(bootstrap, telemetry, settings.partitions + 1)
    with pytest.raises(TopicsNotReady) as caught:
        prepare_worker_topics(settings)
    message = str(caught.value)
    assert "\n" not in message
    assert telemetry in message and "AIOT_PARTITIONS" in message
    assert f"set AIOT_PARTITIONS={settings.partitions + 1}" in message
    report = asyncio.run(check_topics(bootstrap, settings))
    assert [s.planned.name for s in report.mismatched] == [telemetry]
    assert not report.missing, "the other topics were created"


@pytest.mark.e2e
def test_without_create_a_missing_topic_stops_the_worker(kafka_url):
    settings, _ = isolated(kafka_url, domains="maintenance", create_topics=False)
    with pytest.raises(TopicsNotReady, match=r"missing .* run `aiot topics create`"):
        prepare_worker_topics(settings)


def test_an_unreachable_broker_is_one_error_with_the_reason():
    from app.embedded.broker import free_port
    from app.settings import Settings

    bootstrap = f"127.0.0.1:{free_port()}"
    with pytest.raises(BrokerUnreachable, match=f"cannot reach Kafka at {bootstrap}: .*refused"):
        asyncio.run(check_topics(bootstrap, Settings(broker_url=f"kafka://{bootstrap}")))
