"""``make run``: broker, worker and simulator together, a live alert feed and a JSON summary.

The worker runs as a child process exactly as in production (``aiot worker``), logging to a
file so the terminal shows only the feed. The simulator runs in this process. At the end the
run waits for the worker to drain its input, stops everything (no orphan processes) and prints
the summary as the last line: events, dead letters, predictions, alerts by type and the
maintenance score against the simulator's ground truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer

from app.faust_app import broker_bootstrap
from app.render import render_record
from app.settings import Settings
from app.topics import ensure_topics
from embedded.broker import EmbeddedBroker, free_port
from maintenance.scoring import score_maintenance

__all__ = ["RunFeed", "run_demo"]

SUMMARY_EVERY_S = 10.0


class RunFeed:
    """Consumes the output and ground-truth topics, prints alerts and keeps the counts."""

    def __init__(self, settings: Settings, show: bool = True) -> None:
        self.settings = settings
        self.show = show
        self.alerts: list[dict[str, Any]] = []
        self.ground_truth: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.last_record_at = time.monotonic()

    async def run(self, bootstrap: str, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set."""
        s = self.settings
        names = {
            s.topic_alerts: "alerts",
            s.topic_predictions: "predictions",
            s.topic_dead_letters: "dead_letters",
            s.topic_ground_truth: "ground_truth",
        }
        consumer = AIOKafkaConsumer(
            *names,
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=2000,
        )
        await consumer.start()
        try:
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=200, max_records=5000)
                for tp, records in batch.items():
                    kind = names[tp.topic]
                    for record in records:
                        self._take(kind, record.value or b"")
        finally:
            await consumer.stop()

    def _take(self, kind: str, value: bytes) -> None:
        self.counts[kind] += 1
        self.last_record_at = time.monotonic()
        if kind == "alerts":
            alert = orjson.loads(value)
            self.alerts.append(alert)
            if self.show and alert.get("state") in ("raised", "cleared"):
                print(render_record(value), flush=True)
        elif kind == "ground_truth":
            event = orjson.loads(value)
            self.ground_truth.append(event)
            if self.show and event.get("kind") == "failure":
                print(
                    f"          FAILURE        {event.get('asset_id')} (ground truth)", flush=True
                )
        elif kind == "dead_letters" and self.show and self.counts[kind] <= 5:
            print(render_record(value), flush=True)


def _metrics_text(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
        return str(resp.read().decode())


def _metric_sum(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _start_worker(settings: Settings, workdir: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        AIOT_BROKER_URL=settings.broker_url,
        AIOT_DATA_DIR=str(workdir / "state"),
        AIOT_WEB_PORT=str(port),
        AIOT_WEB_HOST="127.0.0.1",
        AIOT_TANSU_COMPAT=str(settings.tansu_compat).lower(),
    )
    log = open(workdir / "worker.log", "wb")  # noqa: SIM115 - owned by the child's lifetime
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop_process(proc: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


async def _drain(port: int, feed: RunFeed, timeout_s: float = 60.0) -> None:
    """Wait until the worker has consumed its input and the outputs stop arriving."""
    deadline = time.monotonic() + timeout_s
    stable = 0
    last_in = -1.0
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        try:
            text = await asyncio.to_thread(_metrics_text, port)
        except OSError:
            continue
        events_in = _metric_sum(text, "aiot_events_in_total")
        lag = _metric_sum(text, "aiot_consumer_lag")
        quiet = time.monotonic() - feed.last_record_at > 2.0
        stable = stable + 1 if (events_in == last_in and lag == 0 and quiet) else 0
        last_in = events_in
        if stable >= 3:
            return


async def _run(settings: Settings, duration_s: float, workdir: Path) -> dict[str, Any]:
    from simulator.runner import run_simulation

    bootstrap = broker_bootstrap(settings.broker_url)
    await ensure_topics(bootstrap, settings)
    port = free_port()
    worker = _start_worker(settings, workdir, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    feed_stop = asyncio.Event()
    feed = RunFeed(settings)
    feed_task = asyncio.create_task(feed.run(bootstrap, feed_stop))
    started = time.monotonic()
    try:
        print(
            f"aiot: broker {settings.broker_url}, worker log {workdir / 'worker.log'}", flush=True
        )
        while not _ready(port):
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited early; see {workdir / 'worker.log'}")
            if time.monotonic() - started > 90:
                raise RuntimeError("worker not ready after 90 s")
            await asyncio.sleep(0.5)
        print(f"aiot: worker ready in {time.monotonic() - started:.1f} s; simulating", flush=True)
        sim_task = asyncio.create_task(
            run_simulation(
                bootstrap,
                settings,
                duration_s=duration_s or None,
                stop=stop,
                bad_fraction=0.001,
            )
        )
        summary_task = asyncio.create_task(_summaries(feed, port, sim_task))
        report = await sim_task
        summary_task.cancel()
        print("aiot: simulation ended; draining the worker", flush=True)
        await _drain(port, feed)
        try:
            metrics = await asyncio.to_thread(_metrics_text, port)
        except OSError:
            metrics = ""
    finally:
        feed_stop.set()
        with contextlib.suppress(Exception):
            await feed_task
        await asyncio.to_thread(_stop_process, worker)
    return _summary(settings, feed, report, metrics, time.monotonic() - started)


async def _summaries(feed: RunFeed, port: int, sim_task: asyncio.Task[Any]) -> None:
    started = time.monotonic()
    while not sim_task.done():
        await asyncio.sleep(SUMMARY_EVERY_S)
        try:
            text = await asyncio.to_thread(_metrics_text, port)
        except OSError:
            text = ""
        raised = sum(1 for a in feed.alerts if a.get("state") == "raised")
        failures = sum(1 for g in feed.ground_truth if g.get("kind") == "failure")
        events = _metric_sum(text, "aiot_events_in_total")
        print(
            f"[{time.monotonic() - started:5.0f} s] events {events:.0f}"
            f"  predictions {feed.counts['predictions']}  alerts raised {raised}"
            f"  failures {failures}  dead letters {feed.counts['dead_letters']}"
            f"  lag {_metric_sum(text, 'aiot_consumer_lag'):.0f}",
            flush=True,
        )


def _summary(
    settings: Settings, feed: RunFeed, report: Any, metrics: str, elapsed: float
) -> dict[str, Any]:
    raised = Counter(a["alert_type"] for a in feed.alerts if a.get("state") == "raised")
    score = score_maintenance(
        feed.ground_truth,
        feed.alerts,
        horizon_s=settings.horizon_h * 3600.0,
        run_start_ts=float(report.start_ts),
        run_end_ts=float(report.end_ts),
        motors=settings.sim_motors,
    )
    events = _metric_sum(metrics, "aiot_events_in_total")
    return {
        "duration_s": round(elapsed, 1),
        "events": int(events),
        "dead_letters": feed.counts["dead_letters"],
        "predictions": feed.counts["predictions"],
        "alerts": dict(raised),
        "maintenance": score.to_dict(),
    }


def run_demo(settings: Settings, duration_s: float) -> dict[str, Any]:
    """Run the whole demo; returns the summary (also printed as the last line)."""
    broker: EmbeddedBroker | None = None
    if not settings.broker_url:
        broker = EmbeddedBroker().start()
        settings = dataclasses.replace(settings, broker_url=broker.url, tansu_compat=True)
    workdir = Path(tempfile.mkdtemp(prefix="aiot-run-"))
    try:
        summary = asyncio.run(_run(settings, duration_s, workdir))
    finally:
        if broker is not None:
            broker.stop()
    print(orjson.dumps(summary).decode(), flush=True)
    return summary
