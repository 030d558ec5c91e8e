"""``aiot settings``: list every AIOT_* environment variable, its default and current value."""

from __future__ import annotations

import argparse
import os
from typing import Any

from app.settings import Settings

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    for env, default, doc in Settings.documented():
        if args.markdown:
            print(f"| `{env}` | `{default}` | {doc} |")
        else:
            current = os.environ.get(env)
            shown = f" (set: {current!r})" if current is not None else ""
            print(f"{env}={default}{shown}\n    {doc}")
    return 0


def register(subparsers: Any) -> None:
    """Add the ``settings`` sub-command."""
    parser = subparsers.add_parser("settings", help="list the AIOT_* settings and defaults")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.set_defaults(handler=_run)
