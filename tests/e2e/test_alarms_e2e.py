"""Alarm handling end to end: real worker processes, the alerts and acks topics on a broker.

Alerts are produced the way domain engines write them (keyed by asset); operator actions the
way the console or any client writes them. The worker's ``alarms`` agent answers on the alerts
topic. Escalation periods are a few seconds so the tests see them happen.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from agents.alarms.settings import AlarmSettings
from agents.maintenance.settings import MaintenanceSettings
from app.embedded.worker_process import WorkerProcess
from app.kafka.topics import ensure_topics
from tests.kafka_support import consume_all, isolated

pytestmark = pytest.mark.e2e


def raised(asset: str, domain: str = "safety", **changes: Any) -> dict[str, Any]:
    """A domain engine's raised record of a critical alert on ``asset``."""
    now = time.time()
    record: dict[str, Any] = {
        "v": 1,
        "alert_id": f"a-{asset}",
        "domain": domain,
        "alert_type": "man_down" if domain == "safety" else "bearing_failure_risk",
        "asset_id": asset,
        "severity": "critical",
        "state": "raised",
        "ts": now - 5.0,
        "first_ts": now - 5.0,
        "score": 1.0,
        "threshold": 1.0,
        "message": f"critical on {asset}",
        "evidence": {"top_features": [], "model_version": "t", "asset_class": "motor-x"},
    }
    record.update(changes)
    return record


def action(asset: str, kind: str, **changes: Any) -> dict[str, Any]:
    """An operator action on ``asset``'s alarm."""
    record: dict[str, Any] = {
        "v": 1,
        "ack_id": uuid.uuid4().hex,
        "alert_id": f"a-{asset}",
        "asset_id": asset,
        "action": kind,
        "by": "e2e-operator",
        "ts": time.time(),
    }
    record.update(changes)
    return record


async def produce(bootstrap: str, topic: str, records: list[dict[str, Any]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for record in records:
            await producer.send(topic, orjson.dumps(record), key=record["asset_id"].encode())
        await producer.flush()
    finally:
        await producer.stop()


def transitions(alerts: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Alarm-handling records by alert id."""
    out: dict[str, list[dict[str, Any]]] = {}
    for record in alerts:
        if record.get("transition_id"):
            out.setdefault(record["alert_id"], []).append(record)
    return out


def wait_for(check: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(1.0)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_workers_acknowledge_escalate_and_label_every_asset_once(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings, env = isolated(kafka_url, alarm_escalate_after_s=4.0, alarm_max_escalations=2)
    acks = settings.of(AlarmSettings).topic_alert_acks
    labels = settings.of(MaintenanceSettings).topic_maintenance
    asyncio.run(ensure_topics(kafka_bootstrap, settings))
    assets = [f"p-{i:020x}" for i in range(1, 7)]
    acked, ignored = assets[:3], assets[3:]
    with (
        WorkerProcess(kafka_url, tmp_path / "w1", **env) as w1,
        WorkerProcess(kafka_url, tmp_path / "w2", **env) as w2,
    ):
        w1.wait_ready(90.0)
        w2.wait_ready(90.0)
        asyncio.run(
            produce(
                kafka_bootstrap,
                settings.topic_alerts,
                [*(raised(a) for a in assets), raised("motor-9", domain="maintenance")],
            )
        )
        ack = [action(a, "acknowledge") for a in acked]
        asyncio.run(
            produce(
                kafka_bootstrap,
                acks,
                [
                    *ack,
                    ack[0],  # a client retry: same action id, no second transition
                    action("motor-9", "outcome", outcome="fault_confirmed", note="spalling"),
                    action("motor-9", "outcome", outcome="no_fault_found"),  # refused
                ],
            )
        )

        def escalated_twice() -> dict[str, list[dict[str, Any]]] | None:
            out = asyncio.run(consume_all(kafka_bootstrap, [settings.topic_alerts], idle_s=1.5))
            by_alert = transitions(out[settings.topic_alerts])
            levels = [
                {r["level"] for r in by_alert.get(f"a-{a}", []) if r["state"] == "escalated"}
                for a in ignored
            ]
            return by_alert if all(lv == {1, 2} for lv in levels) else None

        by_alert = wait_for(escalated_twice, 90.0, "two escalations of every unacknowledged alarm")
        time.sleep(5.0)  # a third period passes: max_escalations stops re-notification
        metrics = w1.get("/metrics")[1] + w2.get("/metrics")[1]
    out = asyncio.run(
        consume_all(
            kafka_bootstrap,
            [settings.topic_alerts, labels, settings.topic_dead_letters],
        )
    )
    by_alert = transitions(out[settings.topic_alerts])
    for asset in acked:
        states = Counter(r["state"] for r in by_alert[f"a-{asset}"])
        assert states == {"acknowledged": 1}, (asset, states)
        (record,) = by_alert[f"a-{asset}"]
        assert record["by"] == "e2e-operator" and record["asset_id"] == asset
    for asset in ignored:
        records = by_alert[f"a-{asset}"]
        assert sorted(r["level"] for r in records) == [1, 2], "no duplicates, no third level"
        assert all(r["by"] == "aiot" for r in records)
    ids = [r["transition_id"] for rs in by_alert.values() for r in rs]
    assert len(ids) == len(set(ids))
    (label,) = out[labels]
    assert (label["kind"], label["outcome"], label["asset_class"]) == (
        "inspection",
        "fault_confirmed",
        "motor-x",
    )
    (refused,) = out[settings.topic_dead_letters]
    assert refused["reason"] == "not_applicable" and "already recorded" in refused["detail"]
    assert "aiot_alarm_transitions_total" in metrics
    assert 'aiot_alarm_actions_total{action="acknowledge",result="duplicate"}' in metrics


def test_an_alarm_escalates_after_a_worker_restart_and_acknowledging_stops_it(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings, env = isolated(kafka_url, alarm_escalate_after_s=6.0, alarm_max_escalations=5)
    acks = settings.of(AlarmSettings).topic_alert_acks
    asyncio.run(ensure_topics(kafka_bootstrap, settings))
    asset = "p-00000000000000000abc"
    worker = WorkerProcess(kafka_url, tmp_path, **env)
    try:
        worker.start().wait_ready(90.0)
        asyncio.run(produce(kafka_bootstrap, settings.topic_alerts, [raised(asset)]))
        time.sleep(2.0)  # the agent folds the raise and writes its state
        worker.stop()  # before the deadline: the alarm is only in the table's changelog
        worker.start().wait_ready(90.0)

        def levels() -> list[int]:
            out = asyncio.run(consume_all(kafka_bootstrap, [settings.topic_alerts], idle_s=1.5))
            records = transitions(out[settings.topic_alerts]).get(f"a-{asset}", [])
            return sorted(r["level"] for r in records if r["state"] == "escalated")

        assert wait_for(levels, 60.0, "an escalation after the restart")[0] == 1
        asyncio.run(produce(kafka_bootstrap, acks, [action(asset, "acknowledge")]))
        time.sleep(2.0)
        after_ack = levels()
        time.sleep(14.0)  # two more periods: no re-notification once acknowledged
        assert levels() == after_ack
    finally:
        worker.stop()
