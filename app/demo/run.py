"""``make run``: broker, worker and simulator together, a live alert feed and a JSON summary.

The worker runs as a child process exactly as in production (``aiot worker``), logging to a
file so the terminal shows only the feed; the operations console (``aiot console``) runs beside
it, and its URL is printed once it has read the topics. The simulator runs in this process. At
the end the run waits for the worker to drain its input, stops everything (no orphan processes)
and prints the summary as the last line: events, dead letters, predictions, alerts by type and the
maintenance score against the simulator's ground truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import orjson

from agents.maintenance.scoring import score_maintenance
from agents.maintenance.settings import MaintenanceSettings
from app.demo.fleet import FleetDemo
from app.demo.render import render_record
from app.demo.safety import SafetyDemo
from app.embedded.broker import EmbeddedBroker
from app.embedded.mqtt import EmbeddedMqttBroker
from app.embedded.worker_process import WorkerProcess, metric_sum
from app.kafka.clients import bootstrap_servers, follow_topics
from app.kafka.topics import ensure_topics
from app.settings import Settings
from app.simulator.mqtt_sink import MqttTelemetrySink
from app.simulator.runner import run_simulation

__all__ = ["DomainDemo", "RunFeed", "domain_demos", "run_demo"]

SUMMARY_EVERY_S = 10.0
SHOWN_ALERT_STATES = frozenset({"raised", "cleared", "acknowledged", "escalated", "inspected"})
"""Alert transitions the live feed prints (alarm handling from the console shows up too)."""


class DomainDemo(Protocol):
    """A domain's part of ``make run`` besides maintenance: its simulator and its score."""

    name: str

    async def simulate(self, bootstrap: str, stop: asyncio.Event, duration_s: float | None) -> None:
        """Produce the domain's simulated input and ground truth, ending within ``duration_s``."""
        ...

    async def collect(self, bootstrap: str, stop: asyncio.Event) -> None:
        """Consume the domain's output topics until ``stop`` is set."""
        ...

    def summary(self) -> dict[str, Any]:
        """The domain's part of the run summary."""
        ...


def _domain_factories() -> dict[str, Callable[[Settings], DomainDemo]]:
    """Every domain with its own simulator and score in ``make run`` (besides maintenance)."""
    return {"fleet": FleetDemo, "safety": SafetyDemo}


def domain_demos(settings: Settings) -> list[DomainDemo]:
    """The demos of the domains ``AIOT_DOMAINS`` names (maintenance is run by :func:`_run`)."""
    factories = _domain_factories()
    return [factories[name](settings) for name in settings.domain_names if name in factories]


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
            s.of(MaintenanceSettings).topic_predictions: "predictions",
            s.topic_dead_letters: "dead_letters",
            s.topic_ground_truth: "ground_truth",
        }
        await follow_topics(
            bootstrap, s, names, stop, lambda topic, value, _: self._take(names[topic], value)
        )

    def _take(self, kind: str, value: bytes) -> None:
        self.counts[kind] += 1
        self.last_record_at = time.monotonic()
        if kind == "alerts":
            alert = orjson.loads(value)
            self.alerts.append(alert)
            if self.show and alert.get("state") in SHOWN_ALERT_STATES:
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


async def _metrics(worker: WorkerProcess) -> str:
    status, text = await asyncio.to_thread(worker.get, "/metrics")
    return text if status == 200 else ""


async def _drain(worker: WorkerProcess, feed: RunFeed, timeout_s: float = 60.0) -> None:
    """Wait until the worker has consumed its input and the outputs stop arriving."""
    deadline = time.monotonic() + timeout_s
    stable = 0
    last_in = -1.0
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        text = await _metrics(worker)
        if not text:
            continue
        events_in = metric_sum(text, "aiot_events_in_total")
        lag = metric_sum(text, "aiot_consumer_lag")
        quiet = time.monotonic() - feed.last_record_at > 2.0
        stable = stable + 1 if (events_in == last_in and lag == 0 and quiet) else 0
        last_in = events_in
        if stable >= 3:
            return


class EdgePath:
    """The device side of ``make run``: an MQTT broker, the edge gateway, an MQTT publisher.

    The simulator publishes readings over MQTT as devices do; the gateway (``aiot edge`` as a
    child process) validates them, frames them to Kafka and relays commands back. With
    ``AIOT_EDGE_MQTT_URL`` empty an embedded ``amqtt`` broker is started.
    """

    def __init__(self, settings: Settings, workdir: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        self.mqtt: Any = None
        self.gateway: WorkerProcess | None = None
        self.sink: Any = None

    async def start(self) -> None:
        """Start the broker (if embedded) and the gateway, and connect the publisher."""
        url = self.settings.edge_mqtt_url
        if not url:
            self.mqtt = await asyncio.to_thread(EmbeddedMqttBroker().start)
            url = self.mqtt.url
        self.gateway = WorkerProcess(
            self.settings.broker_url,
            self.workdir / "edge",
            command=("edge", "--mqtt-url", url),
            port_setting="edge_web_port",
            tansu_compat=str(self.settings.tansu_compat).lower(),
            edge_data_dir=str(self.workdir / "edge" / "spool"),
        ).start()
        await asyncio.to_thread(self.gateway.wait_log, "subscribed", 60.0)
        self.sink = await MqttTelemetrySink(url, self.settings.edge_site).start()

    async def drain(self, timeout_s: float = 30.0) -> None:
        """Wait until the gateway has forwarded what it received (nothing buffered, quiet)."""
        assert self.gateway is not None
        deadline = time.monotonic() + timeout_s
        last = -1.0
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            forwarded = await asyncio.to_thread(self.gateway.metric, "aiot_edge_out_total")
            buffered = await asyncio.to_thread(self.gateway.metric, "aiot_edge_buffered_records")
            if forwarded == last and not buffered:
                return
            last = forwarded if forwarded is not None else -1.0

    def summary(self) -> dict[str, Any]:
        """The edge part of the run summary, read from the gateway's metrics."""
        assert self.gateway is not None
        names = {
            "readings_in": "aiot_edge_in_total",
            "records_out": "aiot_edge_out_total",
            "frames": "aiot_edge_frames_total",
            "replayed": "aiot_edge_replayed_total",
            "dropped": "aiot_edge_dropped_total",
            "local_reactions": "aiot_edge_local_reactions_total",
            "params_applied": "aiot_edge_params_applied_total",
        }
        return {key: int(self.gateway.metric(name) or 0) for key, name in names.items()}

    async def stop(self) -> None:
        """Disconnect the publisher, stop the gateway and the embedded broker."""
        if self.sink is not None:
            with contextlib.suppress(Exception):
                await self.sink.stop()
        if self.gateway is not None:
            await asyncio.to_thread(self.gateway.stop)
        if self.mqtt is not None:
            await asyncio.to_thread(self.mqtt.stop)


async def _run(settings: Settings, duration_s: float, workdir: Path) -> dict[str, Any]:
    bootstrap = bootstrap_servers(settings.broker_url)
    await ensure_topics(bootstrap, settings)
    domains = domain_demos(settings)
    with_maintenance = "maintenance" in settings.domain_names
    edge = EdgePath(settings, workdir) if settings.run_via_edge and with_maintenance else None
    edge_summary: dict[str, Any] | None = None
    worker = WorkerProcess(
        settings.broker_url,
        workdir,
        web_host="127.0.0.1",
        tansu_compat=str(settings.tansu_compat).lower(),
    ).start()
    console = WorkerProcess(
        settings.broker_url,
        workdir / "console",
        command=("console",),
        port_setting="console_port",
        port=_console_port(settings),
        console_host="127.0.0.1",
        tansu_compat=str(settings.tansu_compat).lower(),
    ).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    feed_stop = asyncio.Event()
    feed = RunFeed(settings)
    collectors = [asyncio.create_task(feed.run(bootstrap, feed_stop))]
    collectors += [asyncio.create_task(d.collect(bootstrap, feed_stop)) for d in domains]
    started = time.monotonic()
    report: Any = None
    try:
        print(f"aiot: broker {settings.broker_url}, logs in {workdir}", flush=True)
        await asyncio.to_thread(worker.wait_ready, 90.0)
        await asyncio.to_thread(console.wait_ready, 60.0)
        print(
            f"aiot: operations console at http://127.0.0.1:{console.port}/ "
            "(Maintenance, Fleet, Safety, Alarms: live while the run lasts)",
            flush=True,
        )
        if edge is not None:
            await edge.start()
            print("aiot: devices publish over MQTT through the edge gateway", flush=True)
        names = ["maintenance"] * with_maintenance + [d.name for d in domains]
        print(
            f"aiot: worker ready in {time.monotonic() - started:.1f} s; simulating "
            + ", ".join(names),
            flush=True,
        )
        sims: list[asyncio.Task[Any]] = [
            asyncio.create_task(d.simulate(bootstrap, stop, duration_s or None)) for d in domains
        ]
        if with_maintenance:
            sim_task = asyncio.create_task(
                run_simulation(
                    bootstrap,
                    settings,
                    duration_s=duration_s or None,
                    stop=stop,
                    bad_fraction=0.001,
                    telemetry_sink=edge.sink if edge is not None else None,
                )
            )
            sims.insert(0, sim_task)
        summary_task = asyncio.create_task(_summaries(feed, worker, sims))
        results = await asyncio.gather(*sims, return_exceptions=True)
        summary_task.cancel()
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                print(f"aiot: the {name} simulator failed: {result!r}", flush=True)
        if with_maintenance and not isinstance(results[0], BaseException):
            report = results[0]
        print("aiot: simulation ended; draining the worker", flush=True)
        if edge is not None:
            await edge.drain()
            edge_summary = edge.summary()
        await _drain(worker, feed)
        metrics = await _metrics(worker)
    finally:
        feed_stop.set()
        for task in collectors:
            with contextlib.suppress(Exception):
                await task
        if edge is not None:
            await edge.stop()
        await asyncio.to_thread(console.stop)
        await asyncio.to_thread(worker.stop)
    summary = _summary(settings, feed, report, metrics, time.monotonic() - started)
    if edge_summary is not None:
        summary["edge"] = edge_summary
    for domain in domains:
        summary[domain.name] = domain.summary()
    return summary


async def _summaries(feed: RunFeed, worker: WorkerProcess, sims: list[asyncio.Task[Any]]) -> None:
    started = time.monotonic()
    while not all(task.done() for task in sims):
        await asyncio.sleep(SUMMARY_EVERY_S)
        text = await _metrics(worker)
        raised = sum(1 for a in feed.alerts if a.get("state") == "raised")
        failures = sum(1 for g in feed.ground_truth if g.get("kind") == "failure")
        events = metric_sum(text, "aiot_events_in_total")
        print(
            f"[{time.monotonic() - started:5.0f} s] events {events:.0f}"
            f"  predictions {feed.counts['predictions']}  alerts raised {raised}"
            f"  failures {failures}  dead letters {feed.counts['dead_letters']}"
            f"  lag {metric_sum(text, 'aiot_consumer_lag'):.0f}",
            flush=True,
        )


def _summary(
    settings: Settings, feed: RunFeed, report: Any, metrics: str, elapsed: float
) -> dict[str, Any]:
    raised = Counter(a["alert_type"] for a in feed.alerts if a.get("state") == "raised")
    events = metric_sum(metrics, "aiot_events_in_total")
    summary: dict[str, Any] = {
        "duration_s": round(elapsed, 1),
        "events": int(events),
        "dead_letters": feed.counts["dead_letters"],
        "predictions": feed.counts["predictions"],
        "alerts": dict(raised),
    }
    if report is not None:
        score = score_maintenance(
            [g for g in feed.ground_truth if g.get("domain", "maintenance") == "maintenance"],
            [a for a in feed.alerts if a.get("domain") == "maintenance"],
            horizon_s=settings.of(MaintenanceSettings).horizon_h * 3600.0,
            run_start_ts=float(report.start_ts),
            run_end_ts=float(report.end_ts),
            motors=settings.sim_motors,
        )
        summary["maintenance"] = score.to_dict()
    return summary


def _console_port(settings: Settings) -> int | None:
    """``AIOT_CONSOLE_PORT`` when it is free on this machine (a stable URL), else None (any)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", settings.console_port))
        except OSError:
            return None
    return settings.console_port


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
