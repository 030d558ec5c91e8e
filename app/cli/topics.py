"""``aiot topics create|check``: the worker's topics on the configured Kafka.

The plan is the worker's own (:func:`app.kafka.worker_topics.worker_plan`): the platform's
topics, every topic of the domains ``AIOT_DOMAINS`` names and the changelogs of their state
tables, with ``AIOT_PARTITIONS``, ``AIOT_REPLICATION_FACTOR`` and compaction, over the broker
security settings every aiot Kafka client uses. ``check`` prints one line per topic and exits
1 when one is missing or does not match; ``create`` creates the missing ones first.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from app.kafka.clients import bootstrap_servers
from app.kafka.topic_check import check_topics, create_topics
from app.settings import SettingsError, load_settings

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not settings.broker_url:
        raise SettingsError("AIOT_BROKER_URL is not set: export the URL of your Kafka")
    bootstrap = bootstrap_servers(settings.broker_url)
    act = create_topics if args.action == "create" else check_topics
    report = asyncio.run(act(bootstrap, settings))
    if not args.quiet:
        for line in report.lines():
            print(line)
    print(report.summary(), flush=True)
    return 0 if report.ok else 1


def register(subparsers: Any) -> None:
    """Add the ``topics`` sub-command."""
    parser = subparsers.add_parser(
        "topics",
        help="create or check the worker's topics (partitions, replication, compaction)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "action", choices=("create", "check"), help="create missing topics, or only check"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print the summary only")
    parser.set_defaults(handler=_run)
