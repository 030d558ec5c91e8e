"""``aiot run`` (``make run``): broker, worker and simulator with a live feed and a summary."""

from __future__ import annotations

import argparse
from typing import Any

from app.settings import load_settings

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from app.demo.run import run_demo

    run_demo(load_settings(), float(args.duration))
    return 0


def register(subparsers: Any) -> None:
    """Add the ``run`` sub-command."""
    parser = subparsers.add_parser(
        "run", help="demo: broker + worker + simulator, live alerts, JSON summary at the end"
    )
    parser.add_argument(
        "--duration", type=float, default=0, help="stop after N seconds (0: until Ctrl-C)"
    )
    parser.set_defaults(handler=_run)
