"""``aiot tail TOPIC``: print a topic's records readably, for operators and the demo.

TOPIC is a logical name (``alerts``, ``predictions``, ``dead_letters``, ``telemetry`` ...) or
a Kafka topic name. Reads from the beginning (or only new records with ``--new``) and follows
until Ctrl-C, ``--max`` records or ``--idle`` seconds without a record. A topic that does not
exist is refused (and not created: subscribing would make many brokers auto-create it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from app.cli.errors import UsageError
from app.demo.render import render_record
from app.kafka.clients import bootstrap_servers, client_options
from app.kafka.connect import start_client
from app.settings import load_settings
from schemas.topics import TOPICS

__all__ = ["register", "tail"]


async def tail(
    bootstrap: str,
    topic: str,
    *,
    from_beginning: bool = True,
    max_records: int = 0,
    idle_s: float = 0.0,
    raw: bool = False,
    options: dict[str, Any] | None = None,
) -> int:
    """Print records of ``topic``; returns how many were printed. Raises :class:`UsageError`
    when the topic does not exist."""
    await _require_topic(bootstrap, topic, options or {})
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        **(options or {}),
    )
    await start_client(consumer, bootstrap)
    printed = 0
    loop = asyncio.get_running_loop()
    last = loop.time()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    value = record.value or b""
                    line = value.decode("utf-8", "replace") if raw else render_record(value)
                    print(line, flush=True)
                    printed += 1
                    last = loop.time()
                    if max_records and printed >= max_records:
                        return printed
            if idle_s and loop.time() - last > idle_s:
                return printed
    finally:
        await consumer.stop()


async def _require_topic(bootstrap: str, topic: str, options: dict[str, Any]) -> None:
    """Raise :class:`UsageError` unless ``topic`` exists (listed, never described: describing
    a missing topic makes some brokers create it)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options)
    await start_client(admin, bootstrap)
    try:
        exists = topic in set(await admin.list_topics())
    finally:
        await admin.close()
    if exists:
        return
    if topic in {spec.topic_name(load_settings()) for spec in TOPICS.values()}:
        raise UsageError(
            f"topic {topic!r} does not exist on {bootstrap} yet: `aiot topics create` (or "
            "`aiot worker`) creates it"
        )
    raise UsageError(
        f"topic {topic!r} does not exist on {bootstrap}; give a logical name "
        f"({', '.join(TOPICS)}) or an existing topic (`aiot topics check` lists the worker's)"
    )


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not settings.broker_url:
        raise UsageError("AIOT_BROKER_URL is not set: start `aiot broker` and export its URL")
    spec = TOPICS.get(args.topic)
    topic = spec.topic_name(settings) if spec else args.topic
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            tail(
                bootstrap_servers(settings.broker_url),
                topic,
                from_beginning=not args.new,
                max_records=args.max,
                idle_s=args.idle,
                raw=args.raw,
                options=client_options(settings),
            )
        )
    return 0


def register(subparsers: Any) -> None:
    """Add the ``tail`` sub-command."""
    parser = subparsers.add_parser("tail", help="print a topic's records readably")
    parser.add_argument("topic", help=f"logical name ({', '.join(TOPICS)}) or topic name")
    parser.add_argument("--new", action="store_true", help="only records arriving from now on")
    parser.add_argument("--max", type=int, default=0, help="stop after N records")
    parser.add_argument("--idle", type=float, default=0.0, help="stop after N idle seconds")
    parser.add_argument("--raw", action="store_true", help="print the JSON as stored")
    parser.set_defaults(handler=_run)
