"""``make bench-reliability``: the same answer after a backlog, a crash and a rebalance.

On the embedded broker, the same readings and maintenance labels (8 motors, two drifting into
alerts, a failure and its repair, an inspection) are processed:

* **stream**: produced in event-time order while the worker runs (the readings up to each
  label, then the label);
* **backlog**: produced before the worker starts, the labels first (the worst order);
* **crash**: as the backlog, with the worker killed (SIGKILL) part-way and restarted;
* **rebalance**: as the backlog with two workers, one stopped part-way and started again.

Each run's final per-asset states (the table's changelog) and alerts are compared with the
backlog run; poison pills (a 1 MB garbage record, a frame with a 300-deep member between two
valid readings) must each give one dead letter, both readings applied, no crash. The last line
printed is one JSON object: ``backlog_equal``, ``crash_equal``, ``rebalance_equal``,
``poison_ok``, ``restart_to_processing_s`` (kill to the restarted worker's first record),
``rebalance_stall_s`` (longest time no record was processed while records waited, from the
stop to the drain), ``duplicate_outputs`` (prediction records sent again by the crash and the
rebalance runs).

Run: ``python -m benchmarks.reliability [--readings N]``. The scenario functions are also the
end-to-end tests' (``tests/e2e/test_reliability.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from agents.maintenance.domain import STATE_TABLE
from agents.maintenance.settings import MaintenanceSettings
from app.core.rows import decode_row
from app.embedded.broker import EmbeddedBroker
from app.embedded.worker_process import WorkerProcess, metric_sum
from app.kafka.topics import ensure_topics
from app.settings import Settings
from schemas.frame import encode_frame
from tests.e2e.motors import latest_by_key, produce, reading
from tests.kafka_support import consume_all, isolated, wait_drained

__all__ = ["ASSETS", "Outcome", "PoisonOutcome", "main", "poison", "run"]

ASSETS = [f"motor-c{i}" for i in range(8)]
STEP_S = 600.0
MODES = ("stream", "backlog", "crash", "rebalance")


@dataclass
class Outcome:
    """What one run ended with."""

    states: dict[bytes, bytes]
    alerts: set[tuple[str, str]]
    predictions: list[dict[str, object]]
    log: str
    records: int
    restart_to_processing_s: float | None = None
    stall_s: float | None = None

    @property
    def duplicate_predictions(self) -> int:
        """Prediction records sent more than once (same asset and event time)."""
        keys = {(p["asset_id"], p["ts"]) for p in self.predictions}
        return len(self.predictions) - len(keys)

    def same_as(self, other: Outcome) -> bool:
        """Byte-equal states and the same alert transitions."""
        return self.states == other.states and self.alerts == other.alerts


@dataclass
class PoisonOutcome:
    """What the poison-pill run ended with."""

    letters: list[dict[str, object]]
    stored: set[bytes]
    errors: float
    health: int
    log: str
    garbage_size: int
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """One dead letter each, both valid readings applied, no crash, healthy."""
        reasons = sorted(str(d["reason"]) for d in self.letters)
        big = [d for d in self.letters if d["reason"] == "malformed_json"]
        return (
            reasons == ["malformed_json", "nested_too_deep"]
            and bool(big[0]["truncated"])
            and big[0]["original_size"] == self.garbage_size
            and self.stored == {b"motor-p1", b"motor-p3"}
            and "Crashed" not in self.log
            and self.errors >= 1
            and self.health == 200
        )


def readings(start: float, count: int) -> list[tuple[bytes, bytes]]:
    """Readings of every asset, 10 min apart; two assets drift towards an alert."""
    out = []
    for i in range(count):
        for n, asset in enumerate(ASSETS):
            drift = 0.02 * max(0, i - 150) if n < 2 else 0.0
            out.append((asset.encode(), reading(asset, start + i * STEP_S, i, drift)))
    return out


def labels(start: float) -> list[tuple[bytes, bytes]]:
    """A failure of the first drifting asset and its repair, and an inspection of another."""

    def event(asset: str, i: int, kind: str) -> tuple[bytes, bytes]:
        record = {
            "v": 1,
            "event_id": f"{asset}-{kind}-{i}",
            "asset_id": asset,
            "asset_class": "motor-e2e",
            "ts": start + i * STEP_S + 1.0,
            "kind": kind,
        }
        return asset.encode(), orjson.dumps(record)

    return [
        event(ASSETS[0], 200, "failure"),
        event(ASSETS[0], 205, "repair"),
        event(ASSETS[3], 120, "inspection"),
    ]


def run(
    kafka_url: str, bootstrap: str, data: Path, start: float, mode: str, count: int = 240
) -> Outcome:
    """Process ``count`` readings per asset and the labels in ``mode`` (see the module doc)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    settings, env = isolated(kafka_url, store="rocksdb://")
    asyncio.run(ensure_topics(bootstrap, settings))
    maintenance = settings.of(MaintenanceSettings)
    backlog, events = readings(start, count), labels(start)
    total = len(backlog) + len(events)
    if mode != "stream":
        asyncio.run(produce(bootstrap, maintenance.topic_maintenance, events))
        asyncio.run(produce(bootstrap, maintenance.topic_telemetry, backlog))
    workers = [_worker(kafka_url, data / "a", env)]
    if mode == "rebalance":
        workers.append(_worker(kafka_url, data / "b", env))
    outcome = Outcome({}, set(), [], "", total)
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.wait_ready()
        if mode == "stream":
            _stream(workers[0], bootstrap, maintenance, backlog, events)
        elif mode == "crash":
            outcome.restart_to_processing_s = _crash(workers[0], total)
        elif mode == "rebalance":
            outcome.stall_s = _rebalance(workers, total)
        else:
            wait_drained(workers[0], timeout_s=180, consumed=total)
        time.sleep(6.0)  # one timer interval: labels of quiet assets past their grace
        for worker in workers:
            wait_drained(worker, timeout_s=120)
        outcome.log = "\n".join(worker.log_tail(500_000) for worker in workers)
    finally:
        for worker in workers:
            worker.stop()
    _collect(outcome, bootstrap, settings)
    return outcome


def _worker(kafka_url: str, data: Path, env: dict[str, str]) -> WorkerProcess:
    """A worker process with the run's isolated settings (``AIOT_*`` overrides)."""
    overrides: dict[str, Any] = dict(env)
    return WorkerProcess(kafka_url, data, **overrides)


def _collect(outcome: Outcome, bootstrap: str, settings: Settings) -> None:
    changelog = f"{settings.app_id}-{STATE_TABLE}-changelog"
    rows = asyncio.run(latest_by_key(bootstrap, changelog))
    outcome.states = {key: decode_row(row).state for key, row in rows.items()}
    predictions = settings.of(MaintenanceSettings).topic_predictions
    out = asyncio.run(consume_all(bootstrap, [settings.topic_alerts, predictions]))
    outcome.alerts = {(a["alert_id"], a["state"]) for a in out[settings.topic_alerts]}
    outcome.predictions = out[predictions]


def _events(worker: WorkerProcess) -> float:
    status, text = worker.get("/metrics")
    return metric_sum(text, "aiot_events_in_total") if status == 200 else 0.0


def _wait_events(workers: list[WorkerProcess], at_least: float, timeout_s: float = 180) -> float:
    deadline = time.monotonic() + timeout_s
    seen = 0.0
    while time.monotonic() < deadline:
        seen = sum(_events(w) for w in workers)
        if seen >= at_least:
            return seen
        time.sleep(0.05)
    raise TimeoutError(f"workers processed {seen} of {at_least} records in {timeout_s} s")


def _crash(worker: WorkerProcess, total: int) -> float:
    """Kill the worker after about a third of the records, restart it; seconds from the kill
    to the restarted worker's first record."""
    seen = _wait_events([worker], total // 3)
    worker.stop(kill=True)
    if seen >= total:
        raise RuntimeError("the kill came after the whole backlog: use more readings")
    killed = time.monotonic()
    worker.start()
    _wait_events([worker], 1)
    first = time.monotonic() - killed
    wait_drained(worker, timeout_s=180)
    return first


def _rebalance(workers: list[WorkerProcess], total: int) -> float:
    """Stop the second worker after about a third of the records and start it again; the
    longest time no record was processed while records waited, until both drain."""
    first, second = workers
    _wait_events(workers, total // 3)
    second.stop()
    stall = _watch_progress([first], seconds=20.0)
    second.start()
    second.wait_ready(timeout_s=120)
    stall = max(stall, _watch_progress(workers, seconds=20.0))
    for worker in workers:
        wait_drained(worker, timeout_s=180)
    return stall


def _watch_progress(workers: list[WorkerProcess], seconds: float) -> float:
    """Longest gap between record counts going up while some worker reports lag."""
    longest, last_change = 0.0, time.monotonic()
    previous = -1.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        texts = [w.get("/metrics") for w in workers]
        seen = sum(metric_sum(t, "aiot_events_in_total") for s, t in texts if s == 200)
        lag = sum(metric_sum(t, "aiot_consumer_lag") for s, t in texts if s == 200)
        now = time.monotonic()
        if seen != previous or lag == 0:
            previous, last_change = seen, now
        longest = max(longest, now - last_change)
        if lag == 0 and seen >= 1:
            break
        time.sleep(0.1)
    return longest


def _stream(
    worker: WorkerProcess,
    bootstrap: str,
    maintenance: MaintenanceSettings,
    backlog: list[tuple[bytes, bytes]],
    events: list[tuple[bytes, bytes]],
) -> None:
    """Produce readings and labels in event-time order: the readings up to each label, drained,
    then the label, drained - as a live plant sends them."""
    merged = sorted(
        [(orjson.loads(v)["ts"], 0, maintenance.topic_telemetry, (k, v)) for k, v in backlog]
        + [(orjson.loads(v)["ts"], 1, maintenance.topic_maintenance, (k, v)) for k, v in events],
        key=lambda item: (item[0], item[1]),
    )
    consumed = 0
    group: list[tuple[bytes, bytes]] = []
    topic = merged[0][2]
    for _, _, item_topic, message in [*merged, (0.0, 2, "", (b"", b""))]:
        if item_topic != topic and group:
            asyncio.run(produce(bootstrap, topic, group))
            consumed += len(group)
            wait_drained(worker, timeout_s=180, consumed=consumed)
            group = []
        topic = item_topic
        group.append(message)


def poison(kafka_url: str, bootstrap: str, data: Path) -> PoisonOutcome:
    """A 1 MB garbage record and a frame whose middle member is nested 300 deep."""
    settings, env = isolated(kafka_url)
    asyncio.run(ensure_topics(bootstrap, settings))
    maintenance = settings.of(MaintenanceSettings)
    start = time.time() - 86400
    deep = b"[" * 300 + b"1" + b"]" * 300
    poisoned = b'{"asset_id": "motor-p2", "nested": ' + deep + b"}"
    frame = encode_frame(
        [reading("motor-p1", start, 0), poisoned, reading("motor-p3", start, 0)], "site-p"
    )
    garbage = (b"\xff\x00garbage" * 120_000)[:1_000_000]
    with _worker(kafka_url, data, env) as worker:
        worker.wait_ready()
        asyncio.run(
            produce(
                bootstrap,
                maintenance.topic_telemetry,
                [(b"motor-p0", garbage), (b"motor-p1", frame)],
                max_request_size=4 * 1024 * 1024,
            )
        )
        wait_drained(worker, consumed=4)
        _, metrics = worker.get("/metrics")
        health = worker.get("/healthz")[0]
        log = worker.log_tail(500_000)
    letters = asyncio.run(consume_all(bootstrap, [settings.topic_dead_letters]))[
        settings.topic_dead_letters
    ]
    changelog = f"{settings.app_id}-{STATE_TABLE}-changelog"
    stored = set(asyncio.run(latest_by_key(bootstrap, changelog)))
    errors = metric_sum(metrics, "aiot_agent_errors_total")
    return PoisonOutcome(letters, stored, errors, health, log, len(garbage))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scenarios on an embedded broker; one line each, then the JSON summary."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reliability", description=__doc__)
    parser.add_argument("--readings", type=int, default=600, help="readings per motor")
    args = parser.parse_args(argv)
    start = float(int(time.time()) - 90 * 86400)
    outcomes: dict[str, Outcome] = {}
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        for mode in MODES:
            t0 = time.perf_counter()
            outcomes[mode] = run(
                broker.url, broker.bootstrap, Path(tmp) / mode, start, mode, args.readings
            )
            o = outcomes[mode]
            print(
                f"{mode}: {o.records} records, {len(o.states)} assets, {len(o.alerts)} alert "
                f"transitions, {len(o.predictions)} predictions "
                f"({o.duplicate_predictions} repeated) in {time.perf_counter() - t0:.0f} s"
            )
        pills = poison(broker.url, broker.bootstrap, Path(tmp) / "poison")
        print(f"poison: {sorted(str(d['reason']) for d in pills.letters)}, ok={pills.ok}")
    backlog = outcomes["backlog"]
    summary = {
        "backlog_equal": backlog.same_as(outcomes["stream"]),
        "crash_equal": outcomes["crash"].same_as(backlog),
        "rebalance_equal": outcomes["rebalance"].same_as(backlog),
        "poison_ok": pills.ok,
        "restart_to_processing_s": round(outcomes["crash"].restart_to_processing_s or 0.0, 2),
        "rebalance_stall_s": round(outcomes["rebalance"].stall_s or 0.0, 2),
        "duplicate_outputs": outcomes["crash"].duplicate_predictions
        + outcomes["rebalance"].duplicate_predictions,
    }
    print(orjson.dumps(summary).decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
