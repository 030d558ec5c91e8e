"""Assemble and run a worker: the Faust app, every domain's agents and the HTTP endpoints.

``/metrics`` serves Prometheus text, ``/healthz`` liveness (watchdog) and ``/readyz`` readiness
(recovery done, partitions assigned); both answer 200 or 503 with a JSON body of reasons.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import faust
import orjson
from faust.web import Request, Response, View

from app.faust_app import create_app
from app.health import Watchdog
from app.metrics import METRICS, Metrics
from app.settings import Settings

__all__ = ["WorkerContext", "build_worker_app", "run_worker"]

log = logging.getLogger(__name__)


class WorkerContext:
    """What the agents of one worker share: settings, metrics and the watchdog."""

    def __init__(self, app: faust.App, settings: Settings, metrics: Metrics) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics
        self.watchdog = Watchdog()
        self.input_lag = 0

    def recovery_done(self) -> bool:
        """True once Faust's table recovery has completed at least once and is not running."""
        recovery = self.app.tables.recovery  # type: ignore[attr-defined]
        return bool(recovery.completed.is_set()) and not self.app.in_recovery


def build_worker_app(settings: Settings, metrics: Metrics = METRICS) -> WorkerContext:
    """Create the app with all agents, timers and web views registered."""
    from agents.alarms import register_alarms
    from agents.fleet import register_fleet
    from agents.maintenance import register_maintenance
    from agents.safety import register_safety

    app = create_app(settings)
    ctx = WorkerContext(app, settings, metrics)
    register_maintenance(ctx)
    register_fleet(ctx)
    register_safety(ctx)
    register_alarms(ctx)
    _register_web(ctx)
    _register_monitor(ctx)
    return ctx


def _json_response(web: Any, report: dict[str, object], ok: bool) -> Response:
    return web.bytes(
        orjson.dumps(report), content_type="application/json", status=200 if ok else 503
    )


def _register_web(ctx: WorkerContext) -> None:
    app = ctx.app

    @app.page("/metrics")
    class MetricsView(View):
        """Prometheus exposition of the worker's metrics."""

        async def get(self, request: Request) -> Response:
            return self.bytes(ctx.metrics.render(), content_type="text/plain; version=0.0.4")

    @app.page("/healthz")
    class HealthView(View):
        """Liveness: 503 when an agent died or stalled with input waiting."""

        async def get(self, request: Request) -> Response:
            report = ctx.watchdog.liveness(ctx.input_lag)
            return _json_response(self, report.to_dict(), report.ok)

    @app.page("/readyz")
    class ReadyView(View):
        """Readiness: 200 once recovery is done and partitions are assigned."""

        async def get(self, request: Request) -> Response:
            report = Watchdog.readiness(
                recovery_done=ctx.recovery_done(),
                rebalancing=bool(app.rebalancing),
                assigned_partitions=len(app.consumer.assignment()),
            )
            return _json_response(self, report.to_dict(), report.ok)


def _register_monitor(ctx: WorkerContext) -> None:
    """A timer that samples consumer lag and readiness into metrics."""
    app = ctx.app
    metrics = ctx.metrics

    @app.timer(interval=2.0)
    async def sample_worker_state() -> None:
        consumer = app.consumer
        total = 0
        try:
            assignment = consumer.assignment()
            for tp in assignment:
                if tp.topic.endswith("-changelog"):
                    continue
                position = await consumer.position(tp)
                highwater = consumer.highwater(tp)
                if position is None or highwater is None:
                    continue
                lag = max(int(highwater) - int(position), 0)
                total += lag
                metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(lag)
        except Exception as exc:
            log.debug("lag sampling skipped: %s", exc)
            assignment = set()
        ctx.input_lag = total
        done = ctx.recovery_done()
        metrics.recovery_done.set(1 if done else 0)
        ready = done and not app.rebalancing and bool(assignment)
        metrics.worker_ready.set(1 if ready else 0)
        now = time.time()
        for agent in (
            "maintenance",
            "fleet_vehicles",
            "fleet_areas",
            "safety_workers",
            "safety_zones",
            "alarms",
        ):
            last = ctx.watchdog.last_progress(agent)
            if last is not None:
                metrics.agent_progress.labels(agent).set(last)
            if total == 0:
                ctx.watchdog.beat(agent, now)


def run_worker(settings: Settings) -> int:
    """Run a worker in the foreground until SIGINT/SIGTERM; returns the exit code."""
    from faust.worker import Worker

    ctx = build_worker_app(settings)
    worker = Worker(
        ctx.app,
        loglevel=settings.log_level.upper(),
        redirect_stdouts=False,
        quiet=True,
    )
    worker.execute_from_commandline()
    return 0
