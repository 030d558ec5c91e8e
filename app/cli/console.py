"""``aiot console``: the operations console, a live web page of every domain with alarm handling.

It needs the Kafka the workers use (``AIOT_BROKER_URL``); ``make run`` starts one beside its
worker and prints the URL.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from app.settings import load_settings

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from app.console.server import run_console

    settings = load_settings()
    if args.port:
        settings = settings.replace(console_port=args.port)
    if not settings.broker_url:
        print(
            "aiot console: AIOT_BROKER_URL is empty; set it to the Kafka your workers use, "
            "e.g. AIOT_BROKER_URL=kafka://localhost:9092 aiot console (make run starts one)",
            file=sys.stderr,
        )
        return 2
    return run_console(settings)


def register(subparsers: Any) -> None:
    """Add the ``console`` sub-command."""
    parser = subparsers.add_parser(
        "console", help="operations console: live web page of every domain, alarm handling"
    )
    parser.add_argument("--port", type=int, default=0, help="override AIOT_CONSOLE_PORT")
    parser.set_defaults(handler=_run)
