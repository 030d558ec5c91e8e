"""``aiot worker``: run a stream-processing worker (all domain agents, /metrics, health).

With ``AIOT_BROKER_URL`` empty, an embedded broker is started first (dev convenience); with it
set, nothing embedded starts. Before the agents start, the worker's topics are created
(``AIOT_CREATE_TOPICS``, default true) and checked against its plan; a missing or mismatched
topic stops it with one line (:mod:`app.kafka.topic_check`).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from app.kafka.topic_check import prepare_worker_topics
from app.runtime.worker import run_worker
from app.settings import Settings, load_settings

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.web_port:
        settings = dataclasses.replace(settings, web_port=args.web_port)
    if settings.broker_url:
        return _checked_run(settings)
    from app.embedded.broker import EmbeddedBroker

    with EmbeddedBroker() as broker:
        print(f"embedded broker at {broker.url}", flush=True)
        return _checked_run(dataclasses.replace(settings, broker_url=broker.url, tansu_compat=True))


def _checked_run(settings: Settings) -> int:
    """Run the worker once its topics are there and match its plan (else one line, exit 2)."""
    report = prepare_worker_topics(settings)
    print(f"topics: {report.summary()}", flush=True)
    return run_worker(settings)


def register(subparsers: Any) -> None:
    """Add the ``worker`` sub-command."""
    parser = subparsers.add_parser("worker", help="run a worker (agents, tables, /metrics)")
    parser.add_argument("--web-port", type=int, default=0, help="override AIOT_WEB_PORT")
    parser.set_defaults(handler=_run)
