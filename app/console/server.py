"""``aiot console``: the operations console's web server (aiohttp), live over server-sent events.

Routes:

* ``GET /`` - the single page (Maintenance, Fleet, Safety, Alarms), ``GET /static/...`` its
  JavaScript, CSS and SVG, all shipped in the package: nothing is fetched from the internet.
* ``GET /api/state`` - every section at once; ``GET /api/events`` - server-sent events, one
  ``event: <section>`` with the section's JSON whenever it changed (every section on connect);
  ``GET /api/assets/{asset_id}/history`` - an asset's risk and anomaly over time.
* ``POST /api/alarms/{alert_id}/{acknowledge|shelve|unshelve|note|outcome}`` and
  ``POST /api/episodes/{episode_id}/verdict`` - JSON bodies (:mod:`app.console.actions`);
  ``202`` once the record is on Kafka, a 4xx with ``{"error": ...}`` and nothing published
  otherwise.
* ``GET /metrics``, ``/healthz``, ``/readyz`` (ready once the topics are read up to the end).

Who acts is the user named by the header ``AIOT_CONSOLE_USER_HEADER`` when set (put the console
behind your single-sign-on proxy), else the ``by`` the page sends (the operator types a name).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from aiohttp import web

from agents.alarms.figures import AlarmFigures
from agents.alarms.settings import AlarmSettings
from agents.fleet.settings import FleetSettings
from agents.safety.settings import SafetySettings
from agents.safety.site_map import load_site_map
from app.console.actions import ApiError, Bounds, alarm_action, verdict
from app.console.feed import ConsoleFeed, ConsolePublisher, followed_topics
from app.console.metrics import ConsoleMetrics
from app.console.redact import Redactor
from app.console.view import ConsoleView, Section, SkippedRecord, ViewLimits
from app.kafka.clients import bootstrap_servers
from app.kafka.topics import ensure_topics
from app.settings import Settings

__all__ = ["STATIC_DIR", "Console", "build_app", "run_console"]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
PUSH_INTERVAL_S = 0.5
FIGURES_INTERVAL_S = 5.0
KEEPALIVE_S = 15.0
MAX_BODY_BYTES = 16 * 1024


class _Client:
    """One connected page: the sections it has not been sent since they changed."""

    __slots__ = ("dirty", "wake")

    def __init__(self) -> None:
        self.dirty: set[str] = {s.value for s in Section}
        self.wake = asyncio.Event()
        self.wake.set()


class Console:
    """The console's state and behaviour: view, feed, publisher, metrics and live clients."""

    def __init__(
        self,
        settings: Settings,
        *,
        publish: Callable[[str, str, bytes], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        safety = settings.of(SafetySettings)
        alarms = settings.of(AlarmSettings)
        self.settings = settings
        self.acks_topic = alarms.topic_alert_acks
        self.verdicts_topic = settings.of(FleetSettings).topic_fleet_verdicts
        self.clock = clock
        self.metrics = ConsoleMetrics()
        self.view = ConsoleView(
            site_map=load_site_map(safety.safety_site_map),
            figures=AlarmFigures(alarms.alarm_flood_per_10min, alarms.alarm_stale_after_h * 3600.0),
            redactor=Redactor(safety.edge_biometric_fields.split(",")),
            tile_url=settings.console_tile_url,
            limits=ViewLimits(settings.min_event_time, settings.max_future_skew_s),
        )
        self.bounds = Bounds(settings.min_event_time, settings.max_future_skew_s)
        self.ready = asyncio.Event()
        self.clients: set[_Client] = set()
        self.changed: set[str] = set()
        self.payloads: dict[str, bytes] = {}
        self._publish = publish
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._publisher: ConsolePublisher | None = None
        self._feed: ConsoleFeed | None = None

    # ---- records in -------------------------------------------------------------------------

    def take(self, kind: str, key: bytes | None, value: bytes | None, kafka_ts: float) -> None:
        """Fold one record into the view (a record it cannot show is counted, never fatal)."""
        try:
            sections = self.view.apply(kind, key, value, kafka_ts, self.clock())
        except SkippedRecord as skip:
            self.metrics.skipped.labels(kind, skip.reason).inc()
            log.debug("console: skipped a %s record: %s", kind, skip)
            return
        except Exception:
            self.metrics.skipped.labels(kind, "processing_error").inc()
            log.exception("console: could not fold a %s record", kind)
            return
        self.metrics.records.labels(kind).inc()
        self.changed |= sections

    # ---- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to Kafka (topics created if missing) and start following and pushing."""
        settings = self.settings
        if self._publish is None:
            bootstrap = bootstrap_servers(settings.broker_url)
            names = [*followed_topics(settings), self.acks_topic]
            await ensure_topics(bootstrap, settings, names)
            self._publisher = ConsolePublisher(settings, bootstrap)
            await self._publisher.start()
            self._publish = self._publisher.publish
            self._feed = ConsoleFeed(settings, bootstrap, self.take, self.clock)
            self._tasks.append(asyncio.create_task(self._follow(self._feed)))
        else:
            self.ready.set()
        self._tasks.append(asyncio.create_task(self._push()))

    async def stop(self) -> None:
        """Stop the tasks, close live connections and the producer."""
        self._stop.set()
        for client in self.clients:
            client.wake.set()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._publisher is not None:
            await self._publisher.stop()

    async def _follow(self, feed: ConsoleFeed) -> None:
        waiter = asyncio.create_task(feed.caught_up.wait())
        waiter.add_done_callback(lambda _: self._mark_ready())
        while not self._stop.is_set():
            try:
                await feed.run(self._stop)
            except Exception:
                log.exception("console: Kafka consumer failed; reconnecting in 5 s")
                await asyncio.sleep(5.0)

    def _mark_ready(self) -> None:
        self.ready.set()
        self.metrics.ready.set(1)

    async def _push(self) -> None:
        """Every half second: render changed sections once and wake the pages."""
        last_figures = 0.0
        while not self._stop.is_set():
            await asyncio.sleep(PUSH_INTERVAL_S)
            now = self.clock()
            if now - last_figures >= FIGURES_INTERVAL_S:
                last_figures = now
                self.changed |= {Section.FIGURES, Section.ALARMS}
                self.metrics.set_figures(self.view.figures.read(now, self.view.alarms.values()))
            if not self.changed:
                continue
            changed, self.changed = self.changed, set()
            for name in changed:
                self.payloads[name] = orjson.dumps(self.view.section(name, now))
            for client in self.clients:
                client.dirty |= changed
                client.wake.set()

    # ---- HTTP -------------------------------------------------------------------------------

    def payload(self, name: str) -> bytes:
        """The latest rendering of section ``name``."""
        data = self.payloads.get(name)
        if data is None:
            data = self.payloads[name] = orjson.dumps(self.view.section(name, self.clock()))
        return data

    async def index(self, request: web.Request) -> web.StreamResponse:
        """The page."""
        return web.FileResponse(STATIC_DIR / "index.html")

    async def state(self, request: web.Request) -> web.Response:
        """Every section, plus how operators are identified."""
        body = b"{" + b",".join(orjson.dumps(name) + b":" + self.payload(name) for name in Section)
        header = self.settings.console_user_header
        meta = {"identity_header": bool(header), "user": _header_user(request, header)}
        body += b',"console":' + orjson.dumps(meta) + b"}"
        return web.Response(body=body, content_type="application/json")

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: each changed section as ``event: <name>`` + its JSON."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        client = _Client()
        self.clients.add(client)
        self.metrics.clients.set(len(self.clients))
        try:
            while not self._stop.is_set():
                try:
                    await asyncio.wait_for(client.wake.wait(), KEEPALIVE_S)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                client.wake.clear()
                dirty, client.dirty = client.dirty, set()
                for name in sorted(dirty):
                    await response.write(
                        b"event: " + name.encode() + b"\ndata: " + self.payload(name) + b"\n\n"
                    )
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.clients.discard(client)
            self.metrics.clients.set(len(self.clients))
        return response

    async def history(self, request: web.Request) -> web.Response:
        """One asset's risk and anomaly history."""
        data = self.view.asset_history(request.match_info["asset_id"])
        if data is None:
            return _error(404, f"no predictions of asset {request.match_info['asset_id']!r}")
        return web.Response(body=orjson.dumps(data), content_type="application/json")

    async def alarm_action(self, request: web.Request) -> web.Response:
        """Publish an operator action on an alarm (acks topic)."""
        action = request.match_info["action"]

        def build(body: dict[str, Any], user: str | None, now: float) -> tuple[str, str, bytes]:
            record = alarm_action(
                self.view,
                request.match_info["alert_id"],
                action,
                body,
                header_user=user,
                ack_id=uuid.uuid4().hex,
                now=now,
                bounds=self.bounds,
            )
            return self.acks_topic, record.asset_id, record.to_json()

        return await self._publish_request(request, action, build)

    async def verdict(self, request: web.Request) -> web.Response:
        """Publish a dispatcher verdict on a fleet episode (verdicts topic)."""

        def build(body: dict[str, Any], user: str | None, now: float) -> tuple[str, str, bytes]:
            record = verdict(
                self.view,
                request.match_info["episode_id"],
                body,
                header_user=user,
                now=now,
                bounds=self.bounds,
            )
            return self.verdicts_topic, record.vehicle_id, record.to_json()

        return await self._publish_request(request, "verdict", build)

    async def _publish_request(
        self,
        request: web.Request,
        action: str,
        build: Callable[[dict[str, Any], str | None, float], tuple[str, str, bytes]],
    ) -> web.Response:
        """Common path of every write: check, build, publish; a 4xx changes nothing."""
        try:
            body = await _json_body(request)
            header = self.settings.console_user_header
            user = _header_user(request, header)
            if header and user is None:
                raise ApiError(401, f"sign in first: the {header} header names no user")
            now = self.clock()
            topic, key, value = build(body, user, now)
        except ApiError as err:
            self.metrics.requests.labels(action, str(err.status)).inc()
            return _error(err.status, err.message)
        assert self._publish is not None
        try:
            await self._publish(topic, key, value)
        except Exception as exc:
            self.metrics.requests.labels(action, "503").inc()
            log.exception("console: could not publish %s", action)
            return _error(503, f"could not publish to Kafka: {exc}")
        self.metrics.requests.labels(action, "202").inc()
        if topic == self.acks_topic:
            self.take("alert_acks", key.encode(), value, now)  # pending until its transition
        return web.Response(
            status=202,
            body=orjson.dumps({"published": topic, "record": orjson.loads(value)}),
            content_type="application/json",
        )

    async def metrics_view(self, request: web.Request) -> web.Response:
        """Prometheus exposition."""
        return web.Response(body=self.metrics.render(), content_type="text/plain")

    async def healthz(self, request: web.Request) -> web.Response:
        """Liveness: the feed and push tasks are running."""
        dead = [t for t in self._tasks if t.done()]
        ok = not dead and not self._stop.is_set()
        return web.json_response({"ok": ok}, status=200 if ok else 503)

    async def readyz(self, request: web.Request) -> web.Response:
        """Readiness: the topics have been read up to their end once."""
        ok = self.ready.is_set()
        return web.json_response({"ok": ok}, status=200 if ok else 503)


def _header_user(request: web.Request, header: str) -> str | None:
    if not header:
        return None
    value = request.headers.get(header, "").strip()
    return value or None


async def _json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or :class:`ApiError` (415, 413, 400)."""
    if request.content_type != "application/json":
        raise ApiError(415, "send the body as JSON with Content-Type: application/json")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, f"body over {MAX_BODY_BYTES} bytes")
    raw = await request.content.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"body over {MAX_BODY_BYTES} bytes")
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"body is not JSON: {exc}") from None
    if type(body) is not dict:
        raise ApiError(400, "body must be a JSON object")
    return body


def _error(status: int, message: str) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps({"error": message}), content_type="application/json"
    )


def _security_headers(tile_url: str) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware: a strict Content-Security-Policy (own origin; the tile server for images)."""
    tiles = ""
    if tile_url:
        parts = urlsplit(tile_url)
        tiles = f" {parts.scheme}://{parts.netloc}" if parts.netloc else ""
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        f"img-src 'self' data:{tiles}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )

    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status >= 400 and request.path.startswith("/api/"):
                return _error(exc.status, exc.reason)
            raise
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return middleware


def build_app(console: Console) -> web.Application:
    """The aiohttp application of ``console`` (routes and middleware)."""
    app = web.Application(
        middlewares=[_security_headers(console.settings.console_tile_url)],
        client_max_size=MAX_BODY_BYTES,
    )
    app.router.add_get("/", console.index)
    app.router.add_static("/static/", STATIC_DIR, follow_symlinks=False)
    app.router.add_get("/api/state", console.state)
    app.router.add_get("/api/events", console.events)
    app.router.add_get("/api/assets/{asset_id}/history", console.history)
    app.router.add_post("/api/alarms/{alert_id}/{action}", console.alarm_action)
    app.router.add_post("/api/episodes/{episode_id}/verdict", console.verdict)
    app.router.add_get("/metrics", console.metrics_view)
    app.router.add_get("/healthz", console.healthz)
    app.router.add_get("/readyz", console.readyz)

    async def on_startup(_: web.Application) -> None:
        await console.start()

    async def on_shutdown(_: web.Application) -> None:
        await console.stop()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    return app


async def _serve(settings: Settings) -> None:
    console = Console(settings)
    runner = web.AppRunner(build_app(console), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.console_host, settings.console_port)
    await site.start()
    shown = "127.0.0.1" if settings.console_host in ("0.0.0.0", "") else settings.console_host
    print(f"aiot console at http://{shown}:{settings.console_port}/", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def run_console(settings: Settings) -> int:
    """Run the console in the foreground until SIGINT/SIGTERM; returns the exit code."""
    logging.basicConfig(
        level=settings.log_level.upper(), format="[%(asctime)s] [%(process)d] %(message)s"
    )
    asyncio.run(_serve(settings))
    return 0
