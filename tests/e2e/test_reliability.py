"""Same answer after a backlog or a crash; no record can crash an agent (on the session broker).

Readings and maintenance labels are processed as a stream in event-time order, as a backlog
produced before the worker starts (labels first, the worst order), and as a backlog with the
worker killed (SIGKILL) part-way and restarted: the final per-asset states in the table's
changelog must be byte-equal and the alerts the same episodes. Poison pills - a 1 MB garbage
record and a frame whose middle member is nested 300 deep - each become one dead letter while
the valid readings around them are processed and the agent never crashes.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import orjson
import pytest

from agents.maintenance.domain import STATE_TABLE
from agents.maintenance.settings import MaintenanceSettings
from app.core.rows import decode_row
from app.embedded.worker_process import WorkerProcess, metric_sum
from app.kafka.topics import ensure_topics
from schemas.frame import encode_frame
from tests.e2e.motors import latest_by_key, produce, reading
from tests.kafka_support import consume_all, isolated, wait_drained

pytestmark = pytest.mark.e2e

ASSETS = [f"motor-c{i}" for i in range(8)]
READINGS = 240


def _backlog(start: float) -> list[tuple[bytes, bytes]]:
    """Readings of every asset, 10 min apart; two assets drift towards an alert."""
    out = []
    for i in range(READINGS):
        for n, asset in enumerate(ASSETS):
            drift = 0.02 * max(0, i - 150) if n < 2 else 0.0
            out.append((asset.encode(), reading(asset, start + i * 600.0, i, drift)))
    return out


def _labels(start: float) -> list[tuple[bytes, bytes]]:
    """A failure of the first drifting asset and its repair, and an inspection of another."""

    def event(asset: str, i: int, kind: str) -> tuple[bytes, bytes]:
        record = {
            "v": 1,
            "event_id": f"{asset}-{kind}-{i}",
            "asset_id": asset,
            "asset_class": "motor-e2e",
            "ts": start + i * 600.0 + 1.0,
            "kind": kind,
        }
        return asset.encode(), orjson.dumps(record)

    return [
        event(ASSETS[0], 200, "failure"),
        event(ASSETS[0], 205, "repair"),
        event(ASSETS[3], 120, "inspection"),
    ]


def _run(
    kafka_url: str,
    bootstrap: str,
    data: Path,
    start: float,
    kill_after: int | None = None,
    paced: bool = False,
) -> tuple[dict[bytes, bytes], set[tuple[str, str]], str]:
    """Process the readings and labels - as a stream in event-time order when ``paced``, else
    as a backlog with the labels first (killing the worker once after ``kill_after`` records
    if set); returns each asset's final state, the alerts' (id, state) pairs and the log."""
    settings, env = isolated(kafka_url, store="rocksdb://")
    asyncio.run(ensure_topics(bootstrap, settings))
    maintenance = settings.of(MaintenanceSettings)
    backlog, labels = _backlog(start), _labels(start)
    if not paced:
        asyncio.run(produce(bootstrap, maintenance.topic_maintenance, labels))
        asyncio.run(produce(bootstrap, maintenance.topic_telemetry, backlog))
    worker = WorkerProcess(kafka_url, data, **env)
    worker.start()
    try:
        worker.wait_ready()
        if paced:
            _stream(worker, bootstrap, maintenance, backlog, labels)
        elif kill_after is not None:
            seen = 0.0
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                status, text = worker.get("/metrics")
                seen = metric_sum(text, "aiot_events_in_total") if status == 200 else 0
                if seen >= kill_after:
                    break
                time.sleep(0.05)
            worker.stop(kill=True)
            assert seen < len(backlog), "the kill must come part-way through the backlog"
            worker.start()
            worker.wait_ready()
            wait_drained(worker, timeout_s=120)
        else:
            wait_drained(worker, timeout_s=120, consumed=len(backlog) + len(labels))
        time.sleep(6.0)  # one timer interval: labels of quiet assets past their grace
        wait_drained(worker, timeout_s=60)
        log = worker.log_tail(500_000)
    finally:
        worker.stop()
    changelog = f"{settings.app_id}-{STATE_TABLE}-changelog"
    rows = asyncio.run(latest_by_key(bootstrap, changelog))
    states = {key: decode_row(row).state for key, row in rows.items()}
    alerts = asyncio.run(consume_all(bootstrap, [settings.topic_alerts]))[settings.topic_alerts]
    return states, {(a["alert_id"], a["state"]) for a in alerts}, log


def _stream(
    worker: WorkerProcess,
    bootstrap: str,
    maintenance: MaintenanceSettings,
    backlog: list[tuple[bytes, bytes]],
    labels: list[tuple[bytes, bytes]],
    chunks: int = 6,
) -> None:
    """Produce readings and labels in event-time order, chunk by chunk, each chunk drained."""
    ts = [orjson.loads(value)["ts"] for _, value in backlog]
    label_ts = [orjson.loads(value)["ts"] for _, value in labels]
    size = -(-len(backlog) // chunks)
    consumed = 0
    for n in range(chunks):
        part = backlog[n * size : (n + 1) * size]
        if not part:
            break
        low = ts[n * size] if n else float("-inf")
        high = ts[min((n + 1) * size, len(ts)) - 1] if n < chunks - 1 else float("inf")
        due = [m for m, t in zip(labels, label_ts, strict=True) if low < t <= high]
        asyncio.run(produce(bootstrap, maintenance.topic_telemetry, part))
        asyncio.run(produce(bootstrap, maintenance.topic_maintenance, due))
        consumed += len(part) + len(due)
        wait_drained(worker, timeout_s=120, consumed=consumed)


def test_a_backlog_with_labels_first_ends_like_the_stream_in_event_time_order(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    start = float(int(time.time()) - 60 * 86400)
    streamed = _run(kafka_url, kafka_bootstrap, tmp_path / "streamed", start, paced=True)
    backlog = _run(kafka_url, kafka_bootstrap, tmp_path / "backlog", start)
    assert len(streamed[0]) == len(ASSETS)
    assert backlog[0] == streamed[0], backlog[2][-3000:]
    assert backlog[1] == streamed[1]


def test_a_killed_and_restarted_worker_ends_in_the_same_states_and_alerts(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    start = float(int(time.time()) - 60 * 86400)
    calm_states, calm_alerts, _ = _run(kafka_url, kafka_bootstrap, tmp_path / "calm", start)
    assert len(calm_states) == len(ASSETS)
    assert calm_alerts, "the drifting assets must raise alerts for the comparison to mean much"
    killed_states, killed_alerts, log = _run(
        kafka_url, kafka_bootstrap, tmp_path / "killed", start, READINGS * len(ASSETS) // 2
    )
    assert killed_states == calm_states, log[-3000:]
    assert killed_alerts == calm_alerts


def test_poison_pills_become_dead_letters_and_the_readings_around_them_are_processed(
    kafka_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings, env = isolated(kafka_url)
    asyncio.run(ensure_topics(kafka_bootstrap, settings))
    maintenance = settings.of(MaintenanceSettings)
    start = time.time() - 86400
    deep = b"[" * 300 + b"1" + b"]" * 300
    poisoned = b'{"asset_id": "motor-p2", "nested": ' + deep + b"}"
    frame = encode_frame(
        [reading("motor-p1", start, 0), poisoned, reading("motor-p3", start, 0)], "site-p"
    )
    garbage = (b"\xff\x00garbage" * 120_000)[:1_000_000]
    with WorkerProcess(kafka_url, tmp_path, **env) as worker:
        worker.wait_ready()
        asyncio.run(
            produce(
                kafka_bootstrap,
                maintenance.topic_telemetry,
                [(b"motor-p0", garbage), (b"motor-p1", frame)],
                max_request_size=4 * 1024 * 1024,
            )
        )
        wait_drained(worker, consumed=4)
        _, metrics = worker.get("/metrics")
        health = worker.get("/healthz")[0]
        log = worker.log_tail(500_000)
    letters = asyncio.run(consume_all(kafka_bootstrap, [settings.topic_dead_letters]))[
        settings.topic_dead_letters
    ]
    assert sorted(d["reason"] for d in letters) == ["malformed_json", "nested_too_deep"]
    big = next(d for d in letters if d["reason"] == "malformed_json")
    assert big["truncated"] and big["original_size"] == len(garbage)
    assert len(orjson.dumps(big)) < 200_000
    changelog = f"{settings.app_id}-{STATE_TABLE}-changelog"
    stored = asyncio.run(latest_by_key(kafka_bootstrap, changelog))
    assert set(stored) == {b"motor-p1", b"motor-p3"}  # both valid readings were applied
    assert "Crashed" not in log
    assert metric_sum(metrics, "aiot_agent_errors_total") >= 1
    assert health == 200
