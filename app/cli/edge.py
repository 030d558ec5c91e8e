"""``aiot edge``: run an edge gateway for one site (MQTT devices <-> Kafka).

``--mqtt-url`` (or ``AIOT_EDGE_MQTT_URL``) empty starts the embedded amqtt broker;
``--kafka-url`` (or ``AIOT_BROKER_URL``) is required - while it is unreachable the gateway
buffers on disk. Edge metrics are served on ``--web-port`` (``AIOT_EDGE_WEB_PORT``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import signal
from typing import Any

from app.cli.errors import UsageError
from app.core.config_checks import kafka_servers
from app.settings import Settings, load_settings

__all__ = ["register"]


async def _serve(settings: Settings, mqtt_url: str, kafka_url: str, site: str) -> None:
    from prometheus_client import start_http_server

    from app.edge.gateway import EdgeGateway

    gateway = EdgeGateway(settings, mqtt_url=mqtt_url, kafka_url=kafka_url, site=site)
    server, _ = start_http_server(
        settings.edge_web_port, addr=settings.web_host, registry=gateway.metrics.registry
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(
        f"edge gateway site={gateway.config.site} mqtt={mqtt_url} kafka={kafka_url or '-'} "
        f"metrics=:{server.server_port}/metrics",
        flush=True,
    )
    try:
        await gateway.run(stop)
    finally:
        server.shutdown()


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.web_port:
        settings = dataclasses.replace(settings, edge_web_port=args.web_port)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    if settings.log_level.lower() != "debug":
        # the MQTT library's state-machine steps, Kafka's per-attempt subscription notes
        for chatty in ("amqtt", "transitions", "aiokafka"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    site = args.site or settings.edge_site
    kafka_url = args.kafka_url or settings.broker_url
    mqtt_url = args.mqtt_url or settings.edge_mqtt_url
    if not kafka_url:
        raise UsageError("--kafka-url or AIOT_BROKER_URL is required")
    problem = kafka_servers(kafka_url)
    if problem:
        raise UsageError(f"--kafka-url {kafka_url!r}: {problem}")
    with contextlib.ExitStack() as stack:
        if not mqtt_url:
            from app.embedded.mqtt import EmbeddedMqttBroker

            mqtt_url = stack.enter_context(EmbeddedMqttBroker()).url
        asyncio.run(_serve(settings, mqtt_url, kafka_url, site))
    return 0


def register(subparsers: Any) -> None:
    """Add the ``edge`` sub-command."""
    parser = subparsers.add_parser(
        "edge", help="run an edge gateway: MQTT devices, local reactions, buffer, Kafka"
    )
    parser.add_argument("--mqtt-url", default="", help="MQTT broker (default AIOT_EDGE_MQTT_URL)")
    parser.add_argument("--kafka-url", default="", help="Kafka (default AIOT_BROKER_URL)")
    parser.add_argument("--site", default="", help="site id (default AIOT_EDGE_SITE)")
    parser.add_argument("--web-port", type=int, default=0, help="override AIOT_EDGE_WEB_PORT")
    parser.set_defaults(handler=_run)
