"""The edge gateway: MQTT in, local reactions out, a durable buffer, Kafka forward, control in.

Tasks of one gateway (one site), on one asyncio loop:

* MQTT loop: each device message goes through :class:`edge.processor.EdgeProcessor`; local
  commands are published first (latency from message arrival to command published is
  measured), then every record for Kafka is appended to the spool;
* forwarder: spool -> Kafka in frames, with store-and-forward across outages and restarts;
* commands consumer: cloud commands -> the devices' MQTT command topics;
* edge-params consumer: cloud parameters -> the local model, live.

The MQTT session is persistent (fixed client id, clean session off, QoS 1), so the broker
keeps the site's messages while the gateway restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from app.core.metrics import Metrics
from app.edge.config import EdgeConfig
from app.edge.control import consume_commands, consume_edge_params
from app.edge.forwarder import Forwarder
from app.edge.link import Link
from app.edge.privacy import load_site_secret
from app.edge.processor import DEAD_LETTER_SOURCE, EdgeProcessor, LocalAction, Outcome
from app.edge.reactions import parse_edge_params
from app.edge.spool import Spool
from app.edge.topics import subscriptions
from app.kafka.clients import bootstrap_servers
from app.settings import Settings

__all__ = ["EdgeGateway", "GatewayStats"]

log = logging.getLogger(__name__)

COMMAND_MAX_AGE_S = 300.0
DRAIN_ON_STOP_S = 3.0


@dataclass(slots=True)
class GatewayStats:
    """Counters of a running gateway (also on /metrics), for tests and reports."""

    received: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    reactions: int = 0
    reaction_latency_s: list[float] = field(default_factory=list)
    relayed_commands: int = 0


def _supervised(
    name: str, factory: Callable[[], Coroutine[Any, Any, None]], stop: asyncio.Event
) -> asyncio.Task[None]:
    """Run ``factory()`` as a task that is logged and restarted if it ever fails."""

    async def guard() -> None:
        while not stop.is_set():
            try:
                await factory()
            except Exception:
                log.exception("edge task %s failed; restarting it", name)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)

    return asyncio.create_task(guard(), name=name)


class EdgeGateway:
    """One site's gateway (module docstring)."""

    def __init__(
        self,
        settings: Settings,
        *,
        mqtt_url: str,
        kafka_url: str,
        site: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.config = EdgeConfig.from_settings(settings, site)
        self.mqtt_url = mqtt_url
        self.bootstrap = bootstrap_servers(kafka_url)
        self.metrics = metrics or Metrics()
        secret = load_site_secret(self.config.site_secret, self.config.data_dir)
        self.processor = EdgeProcessor(self.config, secret)
        self.spool = Spool(
            self.config.spool_dir, self.config.buffer_bytes, fsync=self.config.spool_fsync
        )
        self.forwarder = Forwarder(self.spool, self.config, settings, self.bootstrap, self.metrics)
        self.stats = GatewayStats()
        self.subscribed = asyncio.Event()
        self.commands_ready = asyncio.Event()
        self._client: Any = None
        self._dropped_seen = self.spool.dropped

    async def run(self, stop: asyncio.Event) -> None:
        """Run every task until ``stop`` is set, then drain briefly and close."""
        cfg = self.config
        tasks = [
            _supervised("edge-mqtt", lambda: self._mqtt_loop(stop), stop),
            _supervised("edge-forwarder", lambda: self.forwarder.run(stop), stop),
            _supervised(
                "edge-commands",
                lambda: consume_commands(
                    self.settings,
                    self.bootstrap,
                    cfg.topic_commands,
                    f"aiot-edge-{cfg.site}",
                    self._relay_command,
                    stop,
                    max_age_s=COMMAND_MAX_AGE_S,
                    ready=self.commands_ready,
                ),
                stop,
            ),
            _supervised(
                "edge-params",
                lambda: consume_edge_params(
                    self.settings, self.bootstrap, cfg.topic_edge_params, self._apply_params, stop
                ),
                stop,
            ),
        ]
        self._update_gauges()
        try:
            await stop.wait()
        finally:
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.forwarder.drain(DRAIN_ON_STOP_S)
            self.spool.close()
            log.info(
                "edge gateway %s stopped: %d records still buffered", cfg.site, self.spool.pending
            )

    # ---- MQTT -------------------------------------------------------------------------------

    async def _mqtt_loop(self, stop: asyncio.Event) -> None:
        from amqtt.client import MQTTClient

        link = Link(log, f"edge {self.config.site}: MQTT {self.mqtt_url}", 1.0, 10.0)
        while not stop.is_set():
            wait = 1.0
            client = MQTTClient(
                client_id=f"aiot-edge-{self.config.site}",
                config={"auto_reconnect": False, "keep_alive": 30, "default_qos": 1},
            )
            try:
                await client.connect(self.mqtt_url, cleansession=False)
                await client.subscribe([(topic, 1) for topic in subscriptions(self.config.site)])
                self._client = client
                self.subscribed.set()
                link.up("subscribed")
                while not stop.is_set():
                    try:
                        message = await client.deliver_message(timeout_duration=0.5)
                    except TimeoutError:
                        continue
                    if message is None:
                        continue
                    await self._on_message(message.topic, bytes(message.data or b""))
            except Exception as exc:
                wait = link.failed(exc, "reconnecting")
            finally:
                self._client = None
                self.subscribed.clear()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.disconnect(), timeout=2.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    async def _on_message(self, topic: str, payload: bytes) -> None:
        """Handle one device message: react locally first, then buffer for Kafka."""
        arrived = time.perf_counter()
        outcome = self.processor.handle(topic, payload)
        self.stats.received += 1
        self.metrics.edge_in.labels(outcome.kind).inc()
        for action in outcome.actions:
            await self._publish(action)
            latency = time.perf_counter() - arrived
            self.stats.reactions += 1
            self.stats.reaction_latency_s.append(latency)
            self.metrics.edge_reactions.labels(action.command.action).inc()
            self.metrics.edge_reaction_latency.observe(latency)
            log.warning(
                "edge local reaction: %s %s in %.2f ms (%s)",
                action.command.action,
                action.command.asset_id,
                latency * 1000,
                action.command.reason,
            )
        self._buffer(outcome)

    def _buffer(self, outcome: Outcome) -> None:
        if outcome.rejected is not None:
            reason = outcome.rejected
            self.stats.rejected[reason] = self.stats.rejected.get(reason, 0) + 1
            self.metrics.dead_letters.labels(DEAD_LETTER_SOURCE, reason).inc()
        for record in outcome.outbound:
            self.spool.append(record.topic, record.key, record.value, record.framed)
        if outcome.outbound:
            self.forwarder.notify()
        self._update_gauges()

    async def _publish(self, action: LocalAction) -> None:
        client = self._client
        if client is None:
            log.error("edge: no MQTT connection; %s not published", action.command.command_id)
            return
        await client.publish(action.mqtt_topic, action.command.to_json(), qos=1)

    # ---- control from the cloud -------------------------------------------------------------

    async def _relay_command(self, raw: bytes) -> None:
        try:
            action = self.processor.on_cloud_command(raw)
        except Exception as exc:
            log.error("edge: unreadable command skipped: %r", exc)
            return
        if action is None:
            return
        await self._publish(action)
        self.stats.relayed_commands += 1
        self.metrics.edge_commands.labels(action.command.action).inc()
        log.info(
            "edge: command %s %s relayed to %s",
            action.command.action,
            action.command.command_id,
            action.mqtt_topic,
        )

    def _apply_params(self, raw: bytes) -> None:
        try:
            params = parse_edge_params(raw)
        except Exception as exc:
            log.error("edge: unusable edge params skipped: %r", exc)
            return
        if self.processor.book.apply(params):
            self.metrics.edge_params.inc()

    def _update_gauges(self) -> None:
        self.metrics.edge_buffered.set(self.spool.pending)
        self.metrics.edge_buffered_bytes.set(self.spool.size_bytes)
        dropped = self.spool.dropped - self._dropped_seen
        if dropped > 0:
            self.metrics.edge_dropped.inc(dropped)
            self._dropped_seen = self.spool.dropped
