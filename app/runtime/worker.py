"""Assemble and run a worker: the Faust app, the chosen domains and the HTTP endpoints.

The domains come from the registry (:mod:`agents.registry`), filtered by ``AIOT_DOMAINS``; each
is declared through a :class:`~app.runtime.domain_host.DomainHost`. One timer drives every
domain's periodic work and the state writes of all partitions.

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

from agents.registry import DOMAINS
from app.core.metrics import METRICS, Metrics
from app.runtime.agent_loop import TICK_INTERVAL_S
from app.runtime.domain_host import DomainHost
from app.runtime.faust_app import create_app
from app.runtime.health import Watchdog
from app.runtime.reload import tables_recovered
from app.settings import Settings

__all__ = ["WorkerContext", "build_worker_app", "run_worker"]

log = logging.getLogger(__name__)


class WorkerContext:
    """What the domains of one worker share: settings, metrics, the watchdog, the hosts."""

    def __init__(self, app: faust.App, settings: Settings, metrics: Metrics) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics
        self.watchdog = Watchdog()
        self.input_lag = 0
        self.domains: list[DomainHost] = []

    @property
    def agent_names(self) -> list[str]:
        """Every agent of every domain on this worker."""
        return [loop.plan.name for host in self.domains for loop in host.loops]

    def recovery_done(self) -> bool:
        """True once Faust's table recovery has completed at least once and is not running."""
        return tables_recovered(self.app)


def build_worker_app(settings: Settings, metrics: Metrics = METRICS) -> WorkerContext:
    """Create the app with the domains of ``AIOT_DOMAINS``, the timers and the web views."""
    app = create_app(settings)
    ctx = WorkerContext(app, settings, metrics)
    chosen = settings.domain_names
    for domain in DOMAINS:
        if domain.name in chosen:
            ctx.domains.append(DomainHost(app, domain, settings, metrics, ctx.watchdog))
    _register_timer(ctx)
    _register_web(ctx)
    _register_monitor(ctx)
    return ctx


def _register_timer(ctx: WorkerContext) -> None:
    """Every domain's periodic work; feeds closed at shutdown."""
    app = ctx.app

    async def domains_tick() -> None:
        for host in ctx.domains:
            try:
                await host.tick()
            except Exception:
                log.exception("%s timer failed; retrying next interval", host.name)
                ctx.metrics.agent_errors.labels(f"{host.name}_timer").inc()

    app.timer(interval=TICK_INTERVAL_S)(domains_tick)

    async def on_shutdown(sender: Any, *args: Any, **kwargs: Any) -> None:
        for host in ctx.domains:
            await host.stop()

    app.on_before_shutdown.connect(on_shutdown)  # type: ignore[arg-type]


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
        for agent in ctx.agent_names:
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
