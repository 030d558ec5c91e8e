"""The chart's topic-provisioning script creates aiot's topics on a real Kafka-protocol broker.

It runs exactly as the hook Job runs it: the script file and the topics.json spec come out of the
rendered provisioning ConfigMap, and the broker is the embedded one.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from app.embedded.broker import EmbeddedBroker
from tests.helm.support import REPO, Manifest, one


def _write_hook_files(manifests: list[Manifest], directory: Path) -> tuple[Path, Path]:
    data = one(manifests, "ConfigMap", "aiot-provision")["data"]
    script = directory / "provision_topics.py"
    spec = directory / "topics.json"
    script.write_text(data["provision_topics.py"], encoding="utf-8")
    spec.write_text(data["topics.json"], encoding="utf-8")
    return script, spec


def _run(script: Path, spec: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), "--spec", str(spec), "--timeout", "20"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _describe(bootstrap: str, names: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Partition counts and cleanup.policy of ``names``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
        partitions = {t["topic"]: len(t["partitions"]) for t in described}
        responses = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
        )
        policies = {}
        for response in responses:
            for resource in response.resources:
                configs = {entry[0]: entry[1] for entry in resource[4]}
                policies[resource[3]] = configs.get("cleanup.policy", "")
        return partitions, policies
    finally:
        await admin.close()


def test_provisioning_creates_compacted_changelogs_and_refuses_to_grow_partitions(
    broker: EmbeddedBroker, default_manifests: list[Manifest], tmp_path: Path
) -> None:
    script, spec = _write_hook_files(default_manifests, tmp_path)
    suffix = uuid.uuid4().hex[:8]
    app_id = f"prov{suffix}"
    streams = {
        "AIOT_TOPIC_TELEMETRY": f"t{suffix}.telemetry",
        "AIOT_TOPIC_MAINTENANCE": f"t{suffix}.maintenance",
        "AIOT_TOPIC_PREDICTIONS": f"t{suffix}.predictions",
        "AIOT_TOPIC_ALERTS": f"t{suffix}.alerts",
        "AIOT_TOPIC_DEAD_LETTERS": f"t{suffix}.deadletter",
        "AIOT_TOPIC_GROUND_TRUTH": f"t{suffix}.groundtruth",
    }
    models = f"t{suffix}.models"
    env = dict(os.environ, AIOT_BROKER_URL=broker.url, AIOT_APP_ID=app_id, AIOT_PARTITIONS="3")
    env.update(streams, AIOT_TOPIC_MODELS=models)

    first = _run(script, spec, env)
    assert first.returncode == 0, first.stderr

    changelogs = [f"{app_id}-asset_state-changelog"]
    names = [*streams.values(), *changelogs, models]
    partitions, policies = asyncio.run(_describe(broker.bootstrap, names))
    single = {streams["AIOT_TOPIC_DEAD_LETTERS"], streams["AIOT_TOPIC_GROUND_TRUTH"], models}
    assert partitions == {name: 1 if name in single else 3 for name in names}
    assert all(policies[name] == "compact" for name in [*changelogs, models])
    assert all(policies[name] == "delete" for name in streams.values())

    again = _run(script, spec, env)
    assert again.returncode == 0, again.stderr

    grown = _run(script, spec, dict(env, AIOT_PARTITIONS="6"))
    assert grown.returncode != 0
    assert "cannot grow in place" in grown.stderr
