"""Create aiot's Kafka topics before the workers start (the chart's pre-install/upgrade hook).

Runs in the aiot image with the same ``AIOT_*`` environment as the worker, so topic names, the
Faust app id, partitions, replication factor and broker security all come from
:func:`app.settings.load_settings`. The chart adds a JSON spec file with the changelog tables
and topic configs. Creating is idempotent: existing topics are left alone, but an existing topic
with fewer partitions than configured fails the hook, because Faust tables need the changelog
and the keyed input co-partitioned and a partition count cannot be changed in place.

Usage: ``python provision_topics.py --spec topics.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from app.kafka.topics import topic_plan
from app.settings import Settings, load_settings

log = logging.getLogger("aiot.provision")

TOPIC_ALREADY_EXISTS = 36
DEFAULT_SPEC = "/etc/aiot-provision/topics.json"


@dataclass(frozen=True)
class TopicSpec:
    """One topic to create."""

    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str] = field(default_factory=dict)


def _configs(raw: dict[str, Any] | None) -> dict[str, str]:
    """Kafka topic configs as strings (Kafka takes every config value as a string)."""
    return {str(k): str(v) for k, v in (raw or {}).items()}


def desired_topics(settings: Settings, spec: dict[str, Any]) -> list[TopicSpec]:
    """Every topic aiot needs: the stream topics, the compacted changelogs and any extras."""
    parts = settings.partitions
    replicas = settings.replication_factor
    stream_config = _configs(spec.get("streamConfig"))
    changelog_config = _configs(spec.get("changelogConfig"))
    changelog_config.setdefault("cleanup.policy", "compact")
    # The worker's own topic plan (names, partition counts, the compacted models topic), with the
    # chart's stream configs for the topics the plan leaves at broker defaults.
    topics = [
        TopicSpec(
            new.name,
            new.num_partitions,
            new.replication_factor,
            {**stream_config, **_configs(new.topic_configs)},
        )
        for new in topic_plan(settings)
    ]
    for table in spec.get("changelogTables", []):
        name = f"{settings.app_id}-{table}-changelog"
        topics.append(TopicSpec(name, parts, replicas, dict(changelog_config)))
    for extra in spec.get("extra", []):
        topics.append(
            TopicSpec(
                str(extra["name"]),
                int(extra.get("partitions") or parts),
                int(extra.get("replicationFactor") or replicas),
                _configs(extra.get("config")),
            )
        )
    return topics


def bootstrap_servers(broker_url: str) -> str:
    """``host:port,host:port`` from ``kafka://a:9092;kafka://b:9092`` or a comma list."""
    hosts = []
    for part in broker_url.replace(";", ",").split(","):
        host = part.strip().split("://", 1)[-1]
        if host:
            hosts.append(host)
    return ",".join(hosts)


def admin_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of :class:`AIOKafkaAdminClient` for the broker security settings."""
    protocol = settings.broker_security_protocol.upper()
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers(settings.broker_url),
        "security_protocol": protocol,
        "client_id": f"{settings.app_id}-provision",
    }
    if "SSL" in protocol:
        from aiokafka.helpers import create_ssl_context

        options["ssl_context"] = create_ssl_context(cafile=settings.broker_ssl_cafile or None)
    if protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.broker_sasl_mechanism.upper()
        options["sasl_plain_username"] = settings.broker_sasl_username
        options["sasl_plain_password"] = settings.broker_sasl_password
    return options


async def _existing_partitions(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, int]:
    """Partition counts of those ``names`` that already exist (no auto-creation)."""
    present = set(await admin.list_topics()) & set(names)
    if not present:
        return {}
    described = await admin.describe_topics(sorted(present))
    return {str(t["topic"]): len(t["partitions"]) for t in described if t["topic"] in present}


async def provision(settings: Settings, spec: dict[str, Any]) -> list[str]:
    """Create the missing topics; return the problems found (empty means success)."""
    topics = desired_topics(settings, spec)
    admin = AIOKafkaAdminClient(**admin_options(settings))
    problems: list[str] = []
    await admin.start()
    try:
        existing = await _existing_partitions(admin, [t.name for t in topics])
        missing = [t for t in topics if t.name not in existing]
        for topic in topics:
            have = existing.get(topic.name)
            if have is not None and have < topic.partitions:
                problems.append(
                    f"{topic.name} has {have} partitions, {topic.partitions} configured: "
                    "partition counts cannot grow in place (keys would move); create new "
                    "versioned topics or keep the old count"
                )
            elif have is not None:
                log.info("exists: %s (%d partitions)", topic.name, have)
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(t.name, t.partitions, t.replication_factor, topic_configs=t.config)
                    for t in missing
                ]
            )
            for entry in response.topic_errors:
                name, code = entry[0], entry[1]
                if code == 0:
                    log.info("created: %s", name)
                elif code == TOPIC_ALREADY_EXISTS:
                    log.info("exists: %s (created concurrently)", name)
                else:
                    message = entry[2] if len(entry) > 2 else ""
                    problems.append(f"creating {name} failed with error {code} {message}")
    finally:
        await admin.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    """Provision the topics, retrying until the brokers answer; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=DEFAULT_SPEC, help="JSON spec rendered by the chart")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to reach Kafka")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    if not settings.broker_url:
        log.error("AIOT_BROKER_URL is empty")
        return 2
    spec = json.loads(Path(args.spec).read_text(encoding="utf-8"))
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            problems = asyncio.run(provision(settings, spec))
            break
        except Exception as exc:  # broker not reachable yet: retry until the deadline
            if time.monotonic() >= deadline:
                log.error("cannot provision topics: %s", exc)
                return 1
            log.warning("Kafka not ready (%s); retrying", exc)
            time.sleep(2.0)
    for problem in problems:
        log.error("%s", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
