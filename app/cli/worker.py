"""``aiot worker``: run a stream-processing worker (all domain agents, /metrics, health).

With ``AIOT_BROKER_URL`` empty, an embedded broker is started first (dev convenience); with it
set, nothing embedded starts.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from app.runtime.worker import run_worker
from app.settings import load_settings

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.web_port:
        settings = dataclasses.replace(settings, web_port=args.web_port)
    if settings.broker_url:
        return run_worker(settings)
    from app.embedded.broker import EmbeddedBroker

    with EmbeddedBroker() as broker:
        print(f"embedded broker at {broker.url}", flush=True)
        return run_worker(dataclasses.replace(settings, broker_url=broker.url, tansu_compat=True))


def register(subparsers: Any) -> None:
    """Add the ``worker`` sub-command."""
    parser = subparsers.add_parser("worker", help="run a worker (agents, tables, /metrics)")
    parser.add_argument("--web-port", type=int, default=0, help="override AIOT_WEB_PORT")
    parser.set_defaults(handler=_run)
